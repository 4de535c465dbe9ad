// The studio's previews over a real socket: the real espeak-ng speech provider and the offline
// avatar renderer behind a real runtime's ReplyMedia. A voice preview is Ogg Opus whose probed
// length is the one the header states; a picture preview is the avatar PNG of the character
// described (the same description draws the same picture, another draws another); failures of the
// providers and bad requests answer with their codes and fields; only studio keys may call.
#include <gtest/gtest.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "chat/runtime.h"
#include "server/api_fixture.h"
#include "studio/audio_probe.h"
#include "studio/avatar_provider.h"
#include "studio/espeak_speech.h"
#include "studio/reply_media_providers.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

// Every call fails, as an unreachable speech or image service would.
class DownReplyMedia final : public chat::ReplyMedia {
 public:
  Result<chat::MediaContent> Voice(const chat::VoiceRequest&) override {
    return Status(StatusCode::kUnavailable, "the speech service is down");
  }
  Result<chat::MediaContent> Picture(const chat::PictureRequest&) override {
    return Status(StatusCode::kDeadlineExceeded, "the image service did not answer");
  }
};

class StudioPreviewRoutesTest : public ::testing::Test {
 protected:
  void StartServer(std::shared_ptr<chat::ReplyMedia> media, bool with_runtime = true) {
    server_ = std::make_unique<ApiServer>(Backend::kSqlite, UnlimitedOptions(),
                                          [this, media, with_runtime](store::Store& store, ApiOptions& api) {
      if (!with_runtime) return;
      chat::RuntimeOptions options;
      options.reply_media = media;
      runtime_ = std::make_unique<chat::ChatRuntime>(
          store, [](std::string_view) -> Result<llm::Provider*> { return NotFound("no model in this test"); },
          options);
      api.runtime = runtime_.get();
    });
    ASSERT_TRUE(server_->ok());
    key_ = server_->MintKey({"studio"}).key;
  }

  ~StudioPreviewRoutesTest() override {
    if (runtime_) runtime_->Shutdown();
    server_.reset();
  }

  ClientResponse Post(const std::string& target, const json& body) {
    return server_->Call("POST", target, key_, body.dump());
  }

  static std::shared_ptr<chat::ReplyMedia> RealMedia() {
    return studio::MakeReplyMedia(std::make_unique<studio::EspeakSpeech>(), studio::MakeAvatarImageProvider());
  }

  std::unique_ptr<chat::ChatRuntime> runtime_;
  std::unique_ptr<ApiServer> server_;
  std::string key_;
};

TEST_F(StudioPreviewRoutesTest, AVoicePreviewIsTheSpokenTextAsOggOpus) {
  StartServer(RealMedia());
  const ClientResponse spoken =
      Post("/api/v1/studio/previews/voice", {{"text", "Hello there! Lovely to meet you."}, {"words_per_minute", 160}});
  ASSERT_EQ(spoken.status, 200) << spoken.body;
  EXPECT_EQ(spoken.Header("content-type"), "audio/ogg");
  EXPECT_EQ(spoken.Header("cache-control"), "no-store");
  Result<studio::AudioProbe> probe = studio::ProbeAudio(spoken.body, studio::AudioFormat::kOpus);
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  EXPECT_GT(probe->duration_ms, 1000);
  EXPECT_NEAR(static_cast<double>(probe->duration_ms), std::stod(spoken.Header("x-duration-ms")), 5.0);

  // Slower speech of the same text lasts longer.
  const ClientResponse slow =
      Post("/api/v1/studio/previews/voice", {{"text", "Hello there! Lovely to meet you."}, {"words_per_minute", 90}});
  ASSERT_EQ(slow.status, 200) << slow.body;
  EXPECT_GT(std::stoll(slow.Header("x-duration-ms")), std::stoll(spoken.Header("x-duration-ms")));
}

TEST_F(StudioPreviewRoutesTest, APicturePreviewIsTheAvatarOfTheCharacterDescribed) {
  StartServer(RealMedia());
  const json lily = {{"prompt", "a portrait of Lily in the park"},
                     {"character", {{"name", "Lily Moss"}, {"personality", "cheerful and curious"}, {"tags", {"park"}}}}};
  const ClientResponse first = Post("/api/v1/studio/previews/picture", lily);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.Header("content-type"), "image/png");
  ASSERT_GT(first.body.size(), 8u);
  EXPECT_EQ(first.body.substr(1, 3), "PNG");
  EXPECT_EQ(Post("/api/v1/studio/previews/picture", lily).body, first.body);
  json bram = lily;
  bram["character"] = {{"name", "Bram Stone"}, {"personality", "gruff and quiet"}};
  const ClientResponse other = Post("/api/v1/studio/previews/picture", bram);
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_NE(other.body, first.body);
}

TEST_F(StudioPreviewRoutesTest, BadRequestsAndFailingProvidersSayWhy) {
  StartServer(RealMedia());
  ExpectApiError(Post("/api/v1/studio/previews/voice", json::object()), 400, "invalid_argument", "text");
  ExpectApiError(Post("/api/v1/studio/previews/voice", {{"text", "  "}}), 400, "invalid_argument", "text");
  ExpectApiError(Post("/api/v1/studio/previews/voice", {{"text", std::string(2001, 'a')}}), 400, "invalid_argument",
                 "text");
  ExpectApiError(Post("/api/v1/studio/previews/voice", {{"text", "hi"}, {"words_per_minute", 20}}), 400,
                 "invalid_argument", "words_per_minute");
  ExpectApiError(Post("/api/v1/studio/previews/picture", {{"prompt", "p"}, {"size", 5}}), 400, "invalid_argument",
                 "size");
  ExpectApiError(Post("/api/v1/studio/previews/picture", {{"prompt", std::string(1001, 'p')}}), 400,
                 "invalid_argument", "prompt");
  ExpectApiError(Post("/api/v1/studio/previews/picture", {{"prompt", "p"}, {"character", {{"tags", {1}}}}}), 400,
                 "invalid_argument", "character.tags");
  ExpectApiError(Post("/api/v1/studio/previews/picture", {{"prompt", "p"}, {"character", {{"age", 3}}}}), 400,
                 "invalid_argument", "character.age");
  const std::string client = server_->MintKey({"client"}, server_->MakeUser("tim").id).key;
  EXPECT_EQ(server_->Call("POST", "/api/v1/studio/previews/voice", client, R"({"text":"hi"})").status, 403);

  runtime_->Shutdown();
  server_.reset();
  StartServer(std::make_shared<DownReplyMedia>());
  const ClientResponse down = Post("/api/v1/studio/previews/voice", {{"text", "hi"}});
  EXPECT_EQ(down.status, 503);
  EXPECT_NE(down.body.find("the speech service is down"), std::string::npos) << down.body;
  EXPECT_EQ(Post("/api/v1/studio/previews/picture", {{"prompt", "p"}}).status, 504);

  runtime_->Shutdown();
  server_.reset();
  runtime_.reset();
  StartServer(nullptr, false);
  EXPECT_EQ(Post("/api/v1/studio/previews/voice", {{"text", "hi"}}).status, 503);
  StartServer(nullptr);  // a runtime without voice or picture providers
  EXPECT_EQ(Post("/api/v1/studio/previews/picture", {{"prompt", "p"}}).status, 503);
}

}  // namespace
}  // namespace troupe::server::testing
