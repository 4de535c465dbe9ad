// Voice messages and pictures in replies, end to end: a real SQLite store, the local engine
// (stories260K), the real espeak-ng speech provider and the offline avatar renderer behind the
// runtime's ReplyMedia, the turn streamed over HTTP, and the file served by the media route. A
// stage with share 1 always gets its medium, share 0 never does, and a medium that fails leaves
// the reply stored with the error in its metadata.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "chat/runtime.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "server/api_fixture.h"
#include "studio/audio_probe.h"
#include "studio/avatar_provider.h"
#include "studio/espeak_speech.h"
#include "studio/reply_media_providers.h"
#include "support/temp_dir.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

using MediaSseEvent = StreamEvent;

// A ReplyMedia whose every call fails, as an unreachable speech or image service would.
class FailingReplyMedia final : public chat::ReplyMedia {
 public:
  Result<chat::MediaContent> Voice(const chat::VoiceRequest&) override {
    return Status(StatusCode::kUnavailable, "the speech service is down");
  }
  Result<chat::MediaContent> Picture(const chat::PictureRequest&) override {
    return Status(StatusCode::kDeadlineExceeded, "the image service did not answer");
  }
};

std::string MediaFlowWith(const std::string& media) {
  return "stages:\n"
         "  only:\n"
         "    prompt: \"Say hello to {{user}}.\"\n"
         "    sampling: {temperature: 0, max_tokens: 24}\n"
         "    reply: {split: none, typing_chars_per_second: 0}\n" +
         media;
}

class ReplyMediaRoutesTest : public ::testing::Test {
 protected:
  // `failing`: the runtime's media always fail; otherwise espeak-ng and the offline avatars.
  void StartServer(bool failing = false) {
    server_ = std::make_unique<ApiServer>(Backend::kSqlite, UnlimitedOptions(),
                                          [this, failing](store::Store& store, ApiOptions& api) {
      static std::shared_ptr<llm::LocalModel> model(
          llm::LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf").value());
      llm::LocalProviderOptions provider_options;
      provider_options.context_length = 512;
      provider_ = llm::MakeLocalProvider(model, provider_options).value();
      chat::RuntimeOptions runtime_options;
      if (failing) {
        runtime_options.reply_media = std::make_shared<FailingReplyMedia>();
      } else {
        runtime_options.reply_media = studio::MakeReplyMedia(std::make_unique<studio::EspeakSpeech>(),
                                                             studio::MakeAvatarImageProvider());
      }
      media_dir_ = std::filesystem::path(api.data_dir) / "media";
      runtime_options.media_dir = media_dir_;
      runtime_ = std::make_unique<chat::ChatRuntime>(
          store, [this](std::string_view) -> Result<llm::Provider*> { return provider_.get(); }, runtime_options);
      api.runtime = runtime_.get();
    });
    ASSERT_TRUE(server_->ok());
  }

  ~ReplyMediaRoutesTest() override {
    if (runtime_) runtime_->Shutdown();
    server_.reset();
  }

  // A conversation with a new character whose one stage has `media`; returns its path.
  std::string Conversation(const std::string& media, const std::string& user_name = "tim") {
    store::Character character;
    character.name = "Lily Moss";
    character.personality = "cheerful and curious";
    character.flow = MediaFlowWith(media);
    character.published = true;
    character = *server_->store().characters().Create(character);
    store::User user = server_->MakeUser(user_name);
    key_ = server_->MintKey({"client"}, user.id).key;
    ClientResponse created =
        server_->Call("POST", "/api/v1/conversations", key_, json{{"character_id", character.id}}.dump());
    EXPECT_EQ(created.status, 201) << created.body;
    return "/api/v1/conversations/" + std::to_string(created.Json().value("id", int64_t{0}));
  }

  std::vector<MediaSseEvent> Send(const std::string& conversation, const std::string& text) {
    TestClient client(server_->port(), std::chrono::seconds(120));
    ClientResponse response = client.StartStream(
        "POST", conversation + "/messages", json{{"content", text}}.dump(),
        {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}});
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_TRUE(client.ReadStreamToEnd());
    return ParseStreamEvents(client.stream_body());
  }

  json Replies(const std::string& conversation) {
    ClientResponse listed = server_->Call("GET", conversation + "/messages", key_);
    EXPECT_EQ(listed.status, 200) << listed.body;
    const json page = listed.Json();
    json replies = json::array();
    for (const json& message : page["data"]) {
      if (message["role"] == "assistant") replies.push_back(message);
    }
    return replies;
  }

  std::unique_ptr<llm::Provider> provider_;
  std::unique_ptr<chat::ChatRuntime> runtime_;
  std::unique_ptr<ApiServer> server_;
  std::filesystem::path media_dir_;
  std::string key_;
};

size_t SpokenWordsIn(const std::string& text) {
  size_t words = 0;
  bool in_word = false;
  for (unsigned char c : text) {
    const bool letter = std::isalnum(c) != 0 || c >= 0x80;
    if (letter && !in_word) ++words;
    in_word = letter;
  }
  return words;
}

// A regenerated alternative is spoken too (the same draw: it keeps the message id), announced
// before done; the first alternative's voice is retired with its text.
TEST_F(ReplyMediaRoutesTest, ARegeneratedReplyGetsItsOwnVoiceMessage) {
  StartServer();
  const std::string conversation = Conversation("    voice: {share: 1}\n");
  Send(conversation, "Hello! Tell me a story.");
  const json first = Replies(conversation)[0];
  ASSERT_EQ(first["metadata"]["media"][0]["kind"], "voice") << first.dump();
  const std::string message = conversation + "/messages/" + std::to_string(first["id"].get<int64_t>());

  TestClient client(server_->port(), std::chrono::seconds(120));
  ClientResponse response = client.StartStream(
      "POST", message + "/regenerate", "{}",
      {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}});
  ASSERT_EQ(response.status, 200) << response.body;
  ASSERT_TRUE(client.ReadStreamToEnd());
  const std::vector<MediaSseEvent> events = ParseStreamEvents(client.stream_body());
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.back().type, "done");
  EXPECT_EQ(events[events.size() - 2].type, "message.media");

  const json regenerated = Replies(conversation)[0];
  ASSERT_EQ(regenerated["id"], first["id"]);
  ASSERT_EQ(regenerated["metadata"]["swipes"].size(), 2u);
  const json& medium = regenerated["metadata"]["media"][0];
  EXPECT_EQ(medium["kind"], "voice") << regenerated.dump();
  EXPECT_FALSE(medium.contains("error")) << medium.dump();
  EXPECT_EQ(medium["file"], 1);  // a file of its own: the first alternative's stays as it was
  EXPECT_EQ(regenerated["metadata"]["swipe_media"]["0"], first["metadata"]["media"]);
  ClientResponse served = server_->Call("GET", message + "/media/0", key_);
  ASSERT_EQ(served.status, 200) << served.body;
  EXPECT_EQ(served.body.size(), medium["bytes"].get<size_t>());
  EXPECT_EQ(served.Header("cache-control"), "private, no-cache");
  const std::string second_etag = served.Header("etag");

  // Back to the first alternative: its own voice message shows again, and a cached copy of the
  // second's is not taken for it.
  const std::string editor = server_->MintKey({"studio"}).key;
  ClientResponse swiped = server_->Call("PATCH", message, editor, json{{"swipe", 0}}.dump());
  ASSERT_EQ(swiped.status, 200) << swiped.body;
  EXPECT_EQ(swiped.Json()["metadata"]["media"], first["metadata"]["media"]);
  EXPECT_EQ(swiped.Json()["metadata"]["swipe_media"]["1"][0]["file"], 1);
  ClientResponse revalidated = server_->Call("GET", message + "/media/0", key_, "", {{"If-None-Match", second_etag}});
  ASSERT_EQ(revalidated.status, 200);
  EXPECT_EQ(revalidated.body.size(), first["metadata"]["media"][0]["bytes"].get<size_t>());
  const std::string first_etag = revalidated.Header("etag");
  EXPECT_NE(first_etag, second_etag);
  EXPECT_EQ(server_->Call("GET", message + "/media/0", key_, "", {{"If-None-Match", first_etag}}).status, 304);
}

// A branch holds copies of the messages, and of their voice messages' files: the branch's media
// route serves the same audio.
TEST_F(ReplyMediaRoutesTest, ABranchedConversationServesTheCopiedVoiceMessages) {
  StartServer();
  const std::string conversation = Conversation("    voice: {share: 1}\n");
  Send(conversation, "Hello! Tell me a story.");
  const json reply = Replies(conversation)[0];
  ClientResponse original =
      server_->Call("GET", conversation + "/messages/" + std::to_string(reply["id"].get<int64_t>()) + "/media/0", key_);
  ASSERT_EQ(original.status, 200) << original.body;

  ClientResponse branched =
      server_->Call("POST", conversation + "/branch", key_, json{{"message_id", reply["id"]}}.dump());
  ASSERT_EQ(branched.status, 201) << branched.body;
  const std::string branch = "/api/v1/conversations/" + std::to_string(branched.Json()["id"].get<int64_t>());
  const json copy = Replies(branch)[0];
  ASSERT_NE(copy["id"], reply["id"]);
  EXPECT_EQ(copy["metadata"]["media"], reply["metadata"]["media"]);
  ClientResponse served =
      server_->Call("GET", branch + "/messages/" + std::to_string(copy["id"].get<int64_t>()) + "/media/0", key_);
  ASSERT_EQ(served.status, 200) << served.body;
  EXPECT_EQ(served.body, original.body);
}

TEST_F(ReplyMediaRoutesTest, AStageWithVoiceShareOneSendsEveryReplyAsAVoiceMessage) {
  StartServer();
  const std::string conversation = Conversation("    voice: {share: 1, voice: en-us, words_per_minute: 175}\n");
  for (const char* text : {"Hello! Tell me a story.", "And then what happened?"}) {
    const std::vector<MediaSseEvent> events = Send(conversation, text);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().type, "done");
    // message.end, then message.media with the message as stored now, then done.
    size_t end_at = events.size(), media_at = events.size();
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i].type == "message.end") end_at = i;
      if (events[i].type == "message.media") media_at = i;
    }
    ASSERT_LT(end_at, media_at);
    ASSERT_LT(media_at, events.size() - 1);
    const json& media_event = events[media_at].data;
    EXPECT_EQ(media_event["media_index"], 0);
    EXPECT_EQ(media_event["message"]["metadata"]["media"][0]["kind"], "voice");
  }

  const json replies = Replies(conversation);
  ASSERT_EQ(replies.size(), 2u);
  for (const json& reply : replies) {
    const std::string transcript = reply["content"];
    const json& medium = reply["metadata"]["media"][0];
    EXPECT_EQ(medium["kind"], "voice") << reply.dump();
    EXPECT_EQ(medium["mime_type"], "audio/ogg");
    EXPECT_FALSE(medium.contains("error")) << medium.dump();
    const int64_t duration_ms = medium["duration_ms"];
    // The file is Ogg Opus of the recorded length, about as long as the transcript takes to say at
    // 175 words a minute (espeak-ng lands within 60-140% of nominal on ordinary words; the
    // engine's stories may hold odd tokens, so the bounds are wider).
    const std::string path =
        conversation + "/messages/" + std::to_string(reply["id"].get<int64_t>()) + "/media/0";
    ClientResponse served = server_->Call("GET", path, key_);
    ASSERT_EQ(served.status, 200) << served.body;
    EXPECT_EQ(served.Header("content-type"), "audio/ogg");
    EXPECT_EQ(served.body.size(), medium["bytes"].get<size_t>());
    Result<studio::AudioProbe> probe = studio::ProbeAudio(served.body, studio::AudioFormat::kOpus);
    ASSERT_TRUE(probe.ok()) << probe.status().ToString();
    EXPECT_NEAR(probe->duration_ms, duration_ms, 5);
    const double nominal_ms = static_cast<double>(SpokenWordsIn(transcript)) * 60'000.0 / 175.0;
    EXPECT_GT(duration_ms, 0.3 * nominal_ms) << transcript;
    EXPECT_LT(duration_ms, 3.0 * nominal_ms + 1500) << transcript;
    // The transcript is the text as it was.
    EXPECT_FALSE(transcript.empty());
    // No second medium, and nobody else's key reads it.
    EXPECT_EQ(server_->Call("GET", conversation + "/messages/" + std::to_string(reply["id"].get<int64_t>()) +
                                       "/media/1", key_).status, 404);
  }
  const std::string first = conversation + "/messages/" + std::to_string(replies[0]["id"].get<int64_t>()) + "/media/0";
  const std::string other_key = server_->MintKey({"client"}, server_->MakeUser("eve").id).key;
  EXPECT_EQ(server_->Call("GET", first, other_key).status, 404);
  EXPECT_EQ(server_->Call("GET", conversation + "/messages/" + std::to_string(replies[0]["id"].get<int64_t>()) +
                                     "/media/x", key_).status, 400);
  // An edited text no longer matches its voice: the medium is retired and no longer served.
  const std::string latest = conversation + "/messages/" + std::to_string(replies[1]["id"].get<int64_t>());
  const std::string editor = server_->MintKey({"studio"}).key;  // client keys edit only the user's messages
  ClientResponse edited = server_->Call("PATCH", latest, editor, json{{"content", "Something else."}}.dump());
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_FALSE(edited.Json()["metadata"].contains("media"));
  EXPECT_EQ(edited.Json()["metadata"]["retired_media"].size(), 1u);
  EXPECT_EQ(server_->Call("GET", latest + "/media/0", key_).status, 404);
}

TEST_F(ReplyMediaRoutesTest, DeletingTheUserRemovesTheirVoiceMessagesToo) {
  StartServer();
  const std::string conversation = Conversation("    voice: {share: 1}\n", "leaving");
  Send(conversation, "Hello!");
  const std::string id = conversation.substr(conversation.rfind('/') + 1);
  ASSERT_TRUE(std::filesystem::exists(media_dir_ / id));
  const std::string admin = server_->MintKey({"admin"}).key;
  const json user = json::parse(server_->Call("GET", conversation, key_).body);
  ClientResponse deleted =
      server_->Call("DELETE", "/api/v1/users/" + std::to_string(user["user_id"].get<int64_t>()), admin);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_FALSE(std::filesystem::exists(media_dir_ / id));
}

TEST_F(ReplyMediaRoutesTest, ShareZeroNeverSpeaksAndAStageWithoutSettingsNeither) {
  StartServer();
  for (const std::string& media : {std::string("    voice: {share: 0}\n    pictures: {share: 0}\n"), std::string()}) {
    const std::string conversation = Conversation(media, media.empty() ? "plain" : "zero");
    for (const char* text : {"Hello!", "Tell me more.", "Really?"}) {
      for (const MediaSseEvent& event : Send(conversation, text)) EXPECT_NE(event.type, "message.media");
    }
    for (const json& reply : Replies(conversation)) EXPECT_FALSE(reply["metadata"].contains("media")) << reply.dump();
  }
  EXPECT_FALSE(std::filesystem::exists(media_dir_));
}

TEST_F(ReplyMediaRoutesTest, AStageWithPicturesSendsAnAvatarPictureServedAsPng) {
  StartServer();
  const std::string conversation = Conversation("    pictures: {share: 1, prompt: \"{{char}} waving at {{user}}\"}\n");
  const std::vector<MediaSseEvent> events = Send(conversation, "Show me where you live!");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "done");
  const json replies = Replies(conversation);
  ASSERT_EQ(replies.size(), 1u);
  const json& medium = replies[0]["metadata"]["media"][0];
  EXPECT_EQ(medium["kind"], "picture") << medium.dump();
  EXPECT_EQ(medium["mime_type"], "image/png");
  EXPECT_EQ(medium["prompt"], "Lily Moss waving at User");
  ClientResponse served = server_->Call(
      "GET", conversation + "/messages/" + std::to_string(replies[0]["id"].get<int64_t>()) + "/media/0", key_);
  ASSERT_EQ(served.status, 200) << served.body;
  EXPECT_EQ(served.Header("content-type"), "image/png");
  ASSERT_GT(served.body.size(), 24u);
  EXPECT_EQ(served.body.substr(1, 3), "PNG");
  // IHDR: a square picture of the default 512 pixels.
  const auto big_endian = [&](size_t at) {
    uint32_t value = 0;
    for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(served.body[at + i]);
    return value;
  };
  EXPECT_EQ(big_endian(16), 512u);
  EXPECT_EQ(big_endian(20), 512u);
}

TEST_F(ReplyMediaRoutesTest, AFailingMediaProviderKeepsTheReplyAndRecordsWhy) {
  StartServer(/*failing=*/true);
  const std::string conversation = Conversation("    voice: {share: 1}\n    pictures: {share: 1}\n");
  const std::vector<MediaSseEvent> events = Send(conversation, "Hello there!");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "done");
  EXPECT_FALSE(events.back().data["incomplete"].get<bool>());
  for (const MediaSseEvent& event : events) EXPECT_NE(event.type, "error");
  const json replies = Replies(conversation);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0]["content"].get<std::string>().empty());
  EXPECT_FALSE(replies[0]["incomplete"].get<bool>());
  const json& media = replies[0]["metadata"]["media"];
  ASSERT_EQ(media.size(), 2u) << media.dump();
  EXPECT_EQ(media[0]["kind"], "voice");
  EXPECT_EQ(media[0]["error"]["code"], "unavailable");
  EXPECT_EQ(media[0]["error"]["message"], "the speech service is down");
  EXPECT_EQ(media[1]["kind"], "picture");
  EXPECT_EQ(media[1]["error"]["code"], "deadline_exceeded");
  ClientResponse served = server_->Call(
      "GET", conversation + "/messages/" + std::to_string(replies[0]["id"].get<int64_t>()) + "/media/0", key_);
  EXPECT_EQ(served.status, 404);
  EXPECT_NE(served.body.find("the speech service is down"), std::string::npos) << served.body;
}

}  // namespace
}  // namespace troupe::server::testing
