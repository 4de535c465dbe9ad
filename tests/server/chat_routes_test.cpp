// A whole conversation through the HTTP API against the real local engine (stories260K) on a real
// socket: the opening message, replies streamed as Server-Sent Events, stages advancing by message
// count, a lorebook entry, a proactive message after a simulated break (injected clock), and a
// regenerated reply with swipes; a remote provider whose stream is cut mid-reply; turns held in
// flight by a remote endpoint: a client that leaves cancels the upstream request, and a user past
// the limit gets 429.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "../llm/fault_http_server.h"
#include "chat/runtime.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "llm/openai_provider.h"
#include "server/api_fixture.h"
#include "support/temp_dir.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

constexpr int64_t kMinute = 60'000;

constexpr char kFlow[] = R"(
start: ice_breaker
stages:
  ice_breaker:
    prompt: "Say hello to {{user}}."
    sampling: {temperature: 0, max_tokens: 20}
    reply: {typing_chars_per_second: 0}
    transitions: [{to: friendly, when: {messages_at_least: 4}}]
  friendly:
    prompt: "Talk like an old friend."
    sampling: {temperature: 0, max_tokens: 20}
    reply: {typing_chars_per_second: 0}
    proactive: {after_minutes: 120}
)";

constexpr char kBook[] = R"({"scan_depth": 1, "entries": [{"keys": ["dragon"], "content": "Dragons are friendly here."}]})";

using SseEvent = StreamEvent;

class ChatRoutesTest : public ::testing::Test {
 protected:
  ChatRoutesTest() {
    ApiOptions options = UnlimitedOptions();
    options.clock = &clock_;
    server_ = std::make_unique<ApiServer>(Backend::kSqlite, options, [this](store::Store& store, ApiOptions& api) {
      static std::shared_ptr<llm::LocalModel> model(
          llm::LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf").value());
      llm::LocalProviderOptions provider_options;
      provider_options.context_length = 512;
      provider_ = llm::MakeLocalProvider(model, provider_options).value();
      chat::RuntimeOptions runtime_options;
      runtime_options.clock = &clock_;
      runtime_options.proactive_min_idle_ms = 10 * kMinute;
      runtime_options.limits.per_user = 2;
      // "remote": an OpenAI-compatible endpoint on loopback that fails on cue.
      llm::OpenAiProviderOptions remote_options;
      remote_options.name = "remote";
      remote_options.base_url = remote_server_.BaseUrl();
      remote_options.max_retries = 0;
      remote_ = std::move(llm::MakeOpenAiProvider(remote_options)).value();
      runtime_ = std::make_unique<chat::ChatRuntime>(
          store,
          [this](std::string_view name) -> Result<llm::Provider*> {
            return name == "remote" ? remote_.get() : provider_.get();
          },
          runtime_options);
      api.runtime = runtime_.get();
    });
  }

  ~ChatRoutesTest() override {
    // The runtime's turns (a cancelled one may still be storing its partial reply) end before the
    // server and its store go; then the server, whose handlers call the runtime.
    runtime_->Shutdown();
    server_.reset();
  }

  // A streamed POST: the whole event stream (the turn closes it when done).
  std::vector<SseEvent> Stream(const std::string& target, const json& body, const std::string& key = "") {
    TestClient client(server_->port(), std::chrono::seconds(60));
    ClientResponse response = client.StartStream(
        "POST", target, body.dump(),
        {{"Authorization", "Bearer " + (key.empty() ? key_ : key)}, {"Content-Type", "application/json"}});
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.Header("content-type").rfind("text/event-stream", 0), 0u);
    EXPECT_TRUE(client.ReadStreamToEnd());
    clock_.Advance(1000);
    return ParseStreamEvents(client.stream_body());
  }

  json Get(const std::string& target) {
    ClientResponse response = server_->Call("GET", target, key_);
    EXPECT_EQ(response.status, 200) << response.body;
    return response.Json();
  }

  ManualClock clock_{1'790'000'000'000};
  ::troupe::testing::FaultHttpServer remote_server_;
  std::unique_ptr<llm::Provider> remote_;
  std::unique_ptr<llm::Provider> provider_;
  std::unique_ptr<chat::ChatRuntime> runtime_;
  std::unique_ptr<ApiServer> server_;
  std::string key_;
};

TEST_F(ChatRoutesTest, AWholeConversationThroughTheApi) {
  store::Character character;
  character.name = "Lily";
  character.first_mes = "Hi {{user}}!";
  character.flow = kFlow;
  character.character_book_json = kBook;
  character.published = true;
  character = *server_->store().characters().Create(character);
  store::User user = server_->MakeUser("tim");
  key_ = server_->MintKey({"client"}, user.id).key;

  ClientResponse created =
      server_->Call("POST", "/api/v1/conversations", key_, json{{"character_id", character.id}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string base = "/api/v1/conversations/" + std::to_string(created.Json()["id"].get<int64_t>());

  // The opening message.
  std::vector<SseEvent> opening = Stream(base + "/open", json::object());
  ASSERT_GE(opening.size(), 3u);
  EXPECT_EQ(opening[0].type, "message.start");
  EXPECT_EQ(opening[1].data["text"], "Hi User!");
  EXPECT_EQ(opening.back().type, "done");

  // A reply: the stored user message first, then the streamed reply, then done with usage.
  std::vector<SseEvent> turn = Stream(base + "/messages", {{"content", "Hello! Tell me about a dragon."}});
  ASSERT_GE(turn.size(), 4u);
  EXPECT_EQ(turn[0].type, "message");
  EXPECT_EQ(turn[0].data["role"], "user");
  EXPECT_EQ(turn[1].type, "message.start");
  std::string streamed;
  json last_reply;
  for (const SseEvent& event : turn) {
    if (event.type == "delta") streamed += event.data["text"].get<std::string>();
    if (event.type == "message.end") last_reply = event.data["message"];
  }
  EXPECT_FALSE(streamed.empty());
  ASSERT_TRUE(last_reply.is_object());
  EXPECT_EQ(last_reply["stage"], "ice_breaker");
  EXPECT_EQ(last_reply["metadata"]["prompt"]["lorebook_entries"], 1);  // "dragon"
  EXPECT_EQ(turn.back().type, "done");
  EXPECT_GT(turn.back().data["usage"]["completion_tokens"].get<int>(), 0);
  // The conversation in `done` is the REST resource, field for field.
  EXPECT_EQ(turn.back().data["conversation"], Get(base));
  // And a stored message in message.end is the one the message list returns.
  EXPECT_EQ(last_reply, Get(base + "/messages")["data"].back());

  // The fourth message moves the conversation to the friendly stage.
  Stream(base + "/messages", {{"content", "Thank you, that was great!"}});
  json conversation = Get(base);
  EXPECT_EQ(conversation["stage"], "friendly");
  json messages = Get(base + "/messages");
  EXPECT_EQ(messages["data"].back()["stage"], "friendly");
  EXPECT_EQ(messages["data"].back()["metadata"]["prompt"]["lorebook_entries"], 0);

  // Regenerate the latest reply: two alternatives, swipe back to the first.
  const int64_t reply_id = messages["data"].back()["id"];
  const std::string original = messages["data"].back()["content"];
  std::vector<SseEvent> regenerated = Stream(base + "/messages/" + std::to_string(reply_id) + "/regenerate", json::object());
  ASSERT_FALSE(regenerated.empty());
  EXPECT_EQ(regenerated.back().type, "done");
  json swiped = Get(base + "/messages")["data"].back();
  EXPECT_EQ(swiped["metadata"]["swipes"].size(), 2u);
  EXPECT_EQ(swiped["metadata"]["swipes"][0], original);
  ClientResponse back = server_->Call("PATCH", base + "/messages/" + std::to_string(reply_id), key_,
                                      json{{"swipe", 0}}.dump());
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(back.Json()["content"], original);

  // Branch from the user's first message: a new conversation with copies up to it.
  const json listed = Get(base + "/messages")["data"];
  ClientResponse branched = server_->Call("POST", base + "/branch", key_,
                                          json{{"message_id", listed[1]["id"]}}.dump());
  ASSERT_EQ(branched.status, 201) << branched.body;
  const std::string branch = "/api/v1/conversations/" + std::to_string(branched.Json()["id"].get<int64_t>());
  json copies = Get(branch + "/messages")["data"];
  ASSERT_EQ(copies.size(), 2u);
  EXPECT_EQ(copies[1]["content"], listed[1]["content"]);
  EXPECT_EQ(branched.Json()["stage"], "friendly");
  std::vector<SseEvent> in_branch = Stream(branch + "/messages", {{"content", "Let's try another way."}});
  EXPECT_EQ(in_branch.back().type, "done");
  EXPECT_EQ(Get(base + "/messages")["data"].size(), listed.size());  // the original is untouched

  // A break of three hours: the character writes first.
  const size_t count = Get(base + "/messages")["data"].size();
  clock_.Advance(180 * kMinute);
  ASSERT_EQ(*runtime_->ScanProactive(), 2);  // the conversation and its branch
  for (int i = 0; i < 2; ++i) {
    Result<std::optional<store::Job>> job = server_->store().jobs().Claim("test", {std::string(chat::kProactiveJob)});
    ASSERT_TRUE(job.ok() && job->has_value());
    ASSERT_TRUE(runtime_->RunJob(**job, {}).ok());
  }
  json after = Get(base + "/messages")["data"];
  ASSERT_GT(after.size(), count);
  EXPECT_EQ(after.back()["role"], "assistant");
  EXPECT_TRUE(after.back()["metadata"]["proactive"].get<bool>());
}

// One SSE chunk of an OpenAI-style stream carrying `text`.
std::string ContentChunk(const std::string& text) {
  return "data: " + json{{"choices", {{{"index", 0}, {"delta", {{"content", text}}}}}}}.dump() + "\n\n";
}

TEST_F(ChatRoutesTest, AProviderCutMidReplyLeavesTheReplyStoredAsIncomplete) {
  store::Character character;
  character.name = "Lily";
  character.flow = kFlow;
  character.extensions_json = R"({"troupe": {"provider": "remote"}})";
  character.published = true;
  character = *server_->store().characters().Create(character);
  store::User user = server_->MakeUser("tim");
  key_ = server_->MintKey({"client"}, user.id).key;
  const std::string base = "/api/v1/conversations/" + std::to_string(server_->MakeConversation(user.id, character.id).id);

  ::troupe::testing::FaultHttpServer::Response cut;
  cut.body_parts = {ContentChunk("Once upon"), ContentChunk(" a time, a cat")};
  cut.end = ::troupe::testing::FaultHttpServer::Response::End::kCut;
  remote_server_.Enqueue(cut);
  std::vector<SseEvent> turn = Stream(base + "/messages", {{"content", "Tell me a story."}});
  ASSERT_GE(turn.size(), 4u);
  EXPECT_EQ(turn[0].type, "message");
  std::string streamed;
  json partial;
  for (const SseEvent& event : turn) {
    if (event.type == "delta") streamed += event.data["text"].get<std::string>();
    if (event.type == "message.end") partial = event.data["message"];
  }
  EXPECT_EQ(streamed, "Once upon a time, a cat");
  ASSERT_TRUE(partial.is_object());
  EXPECT_TRUE(partial["incomplete"].get<bool>());
  // The error comes last and names the part that was kept; no "done".
  EXPECT_EQ(turn.back().type, "error");
  EXPECT_EQ(turn.back().data["code"], "internal");
  // An end user is told it failed and which request it was, never the provider's own words.
  const std::string told = turn.back().data["message"];
  EXPECT_EQ(told.rfind("the character's language model failed (request r-", 0), 0u) << told;
  EXPECT_EQ(told.find("stream cut"), std::string::npos) << told;
  EXPECT_EQ(told.find("127.0.0.1"), std::string::npos) << told;
  EXPECT_EQ(turn.back().data["partial_message_id"], partial["id"]);

  // Stored: the user's message and the partial reply, marked incomplete; the conversation counts both.
  json messages = Get(base + "/messages")["data"];
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0]["role"], "user");
  EXPECT_EQ(messages[1]["content"], "Once upon a time, a cat");
  EXPECT_TRUE(messages[1]["incomplete"].get<bool>());
  EXPECT_EQ(Get(base)["message_count"], 2);

  // The conversation goes on: the next turn, with a whole stream, is complete.
  ::troupe::testing::FaultHttpServer::Response whole;
  whole.body_parts = {ContentChunk("The end."),
                      "data: " + json{{"choices", {{{"index", 0}, {"delta", json::object()}, {"finish_reason", "stop"}}}}}.dump() +
                          "\n\n",
                      "data: [DONE]\n\n"};
  remote_server_.Enqueue(whole);
  std::vector<SseEvent> next = Stream(base + "/messages", {{"content", "And then?"}});
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(next.back().type, "done");
  messages = Get(base + "/messages")["data"];
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[3]["content"], "The end.");
  EXPECT_FALSE(messages[3]["incomplete"].get<bool>());
  // The remote endpoint got the earlier partial reply as the assistant's turn.
  const std::string sent = remote_server_.requests().back().body;
  EXPECT_NE(sent.find("Once upon a time, a cat"), std::string::npos) << sent;

  // An operator (admin key) reading the same failure gets the provider's detail.
  remote_server_.Enqueue(cut);
  const std::vector<SseEvent> operator_turn =
      Stream(base + "/messages", {{"content", "Again, please."}}, server_->MintKey({"admin"}).key);
  ASSERT_FALSE(operator_turn.empty());
  EXPECT_EQ(operator_turn.back().type, "error");
  EXPECT_NE(operator_turn.back().data["message"].get<std::string>().find("stream cut"), std::string::npos)
      << operator_turn.back().data;
}

TEST_F(ChatRoutesTest, BadRequestsGetClearErrors) {
  store::Character character;
  character.name = "Lily";
  character.published = true;
  character = *server_->store().characters().Create(character);
  store::User user = server_->MakeUser("ann");
  key_ = server_->MintKey({"client"}, user.id).key;
  const int64_t id = server_->MakeConversation(user.id, character.id).id;
  const std::string base = "/api/v1/conversations/" + std::to_string(id);

  ExpectApiError(server_->Call("POST", base + "/messages", key_, json{{"content", "   "}}.dump()), 400,
                 "invalid_argument", "content");
  ExpectApiError(server_->Call("POST", base + "/messages", key_, json{{"text", "hi"}}.dump()), 400,
                 "invalid_argument", "content");
  ExpectApiError(server_->Call("POST", "/api/v1/conversations/999/messages", key_, json{{"content", "hi"}}.dump()),
                 404, "not_found");
  ExpectApiError(server_->Call("PATCH", base + "/messages/12345", key_, json{{"swipe", 0}}.dump()), 404, "not_found");
  // Someone else's conversation looks like none at all.
  store::User other = server_->MakeUser("bob");
  const int64_t theirs = server_->MakeConversation(other.id, character.id).id;
  ExpectApiError(server_->Call("POST", "/api/v1/conversations/" + std::to_string(theirs) + "/messages", key_,
                               json{{"content", "hi"}}.dump()),
                 404, "not_found");
}

// A character on the remote endpoint, a client key for Tim, and `count` conversations of his.
struct RemoteScene {
  std::string key;
  std::vector<std::string> bases;  // "/api/v1/conversations/ID"
};

RemoteScene MakeRemoteScene(ApiServer& server, size_t count) {
  store::Character character;
  character.name = "Lily";
  character.flow = kFlow;
  character.extensions_json = R"({"troupe": {"provider": "remote"}})";
  character.published = true;
  character = *server.store().characters().Create(character);
  store::User user = server.MakeUser("tim");
  RemoteScene scene{server.MintKey({"client"}, user.id).key, {}};
  for (size_t i = 0; i < count; ++i) {
    scene.bases.push_back("/api/v1/conversations/" +
                          std::to_string(server.MakeConversation(user.id, character.id).id));
  }
  return scene;
}

// A reply the endpoint starts and then holds, until released, after its first words.
::troupe::testing::FaultHttpServer::Response HeldReply() {
  ::troupe::testing::FaultHttpServer::Response held;
  held.body_parts = ::troupe::testing::StreamOf({"Once upon", " a time."});
  held.pause_after_parts = 2;  // the role chunk and the first words
  return held;
}

TEST_F(ChatRoutesTest, AClientThatLeavesMidReplyCancelsTheUpstreamRequest) {
  RemoteScene scene = MakeRemoteScene(*server_, 1);
  key_ = scene.key;
  remote_server_.Enqueue(HeldReply());
  {
    TestClient client(server_->port(), std::chrono::seconds(60));
    ClientResponse response = client.StartStream(
        "POST", scene.bases[0] + "/messages", json{{"content", "Tell me a story."}, {"typing_delays", false}}.dump(),
        {{"Authorization", "Bearer " + scene.key}, {"Content-Type", "application/json"}});
    ASSERT_EQ(response.status, 200) << response.body;
    // The user's message, the reply's start and its first words: the upstream is mid-reply.
    const std::string seen = client.ReadEvents(3);
    ASSERT_NE(seen.find("event: delta"), std::string::npos) << seen;
  }  // the client goes away
  ASSERT_TRUE(remote_server_.WaitForAbandoned(1)) << "the upstream request was not cancelled";
  // What was written is stored, marked incomplete (the turn ends on the runtime's workers).
  json messages;
  for (int i = 0; i < 6000; ++i) {
    messages = Get(scene.bases[0] + "/messages")["data"];
    if (messages.size() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(messages.size(), 2u) << messages;
  EXPECT_EQ(messages[1]["content"], "Once upon");
  EXPECT_TRUE(messages[1]["incomplete"].get<bool>());
}

TEST_F(ChatRoutesTest, PastAUsersTurnLimitTheAnswerIs429WithRetryAfterAndNothingIsStored) {
  RemoteScene scene = MakeRemoteScene(*server_, 3);
  key_ = scene.key;
  remote_server_.SetDefault(HeldReply());
  std::vector<std::unique_ptr<TestClient>> held;
  for (size_t i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<TestClient>(server_->port(), std::chrono::seconds(60)));
    ClientResponse response = held.back()->StartStream(
        "POST", scene.bases[i] + "/messages", json{{"content", "Tell me a story."}, {"typing_delays", false}}.dump(),
        {{"Authorization", "Bearer " + scene.key}, {"Content-Type", "application/json"}});
    ASSERT_EQ(response.status, 200) << response.body;
    ASSERT_NE(held.back()->ReadEvents(3).find("event: delta"), std::string::npos);
  }
  // Tim's third turn at once is past the limit (2): refused before anything is stored.
  ClientResponse refused = server_->Call("POST", scene.bases[2] + "/messages", scene.key,
                                         json{{"content", "Me too!"}}.dump());
  ExpectApiError(refused, 429, "resource_exhausted");
  EXPECT_EQ(refused.Header("retry-after"), "2");
  EXPECT_TRUE(Get(scene.bases[2] + "/messages")["data"].empty());

  // The held turns finish with "done", and then Tim may talk again.
  remote_server_.ReleasePaused();
  for (const auto& client : held) {
    ASSERT_TRUE(client->ReadStreamToEnd());
    const std::vector<SseEvent> events = ParseStreamEvents(client->stream_body());
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().type, "done");
  }
  remote_server_.SetDefault(::troupe::testing::FaultHttpServer::Response{200, "text/event-stream", {},
                                                                          ::troupe::testing::StreamOf({"Hello."})});
  const std::vector<SseEvent> later = Stream(scene.bases[2] + "/messages", {{"content", "Me too!"}}, scene.key);
  ASSERT_FALSE(later.empty());
  EXPECT_EQ(later.back().type, "done");
}

}  // namespace
}  // namespace troupe::server::testing
