// A fixture for turns with Juno (tests/chat/tool_turns_test.cpp, handoff_test.cpp): her card (intent
// catalog and tools) with her backend's URLs pointed at a real HTTP server on loopback
// (tests/llm/fault_http_server), a real SQLite store, the real runtime and tool runner, and a
// scripted provider so a test decides what the model writes and which tools it asks for.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>

#include "chat/runtime.h"
#include "chat/tools/tool_runner.h"
#include "llm/fault_http_server.h"
#include "scripted_provider.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace troupe::chat::testing {

using ::troupe::testing::FaultHttpServer;
using ::troupe::testing::TempDir;
using json = nlohmann::json;

inline FaultHttpServer::Response Json(int status, std::string body) {
  FaultHttpServer::Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body_parts = {std::move(body)};
  response.chunked = false;
  return response;
}

inline nlohmann::json JunoCard() {
  return json::parse(::troupe::testing::ReadFile(std::string(TROUPE_SOURCE_DIR) +
                                                 "/examples/characters/juno_telecom_support.json"));
}

class JunoTurnsTest : public ::testing::Test {
 protected:
  JunoTurnsTest() {
    store::StoreOptions store_options;
    store_options.url = "sqlite://" + (dir_ / "troupe.db").string();
    store_options.clock = &clock_;
    store_ = std::move(store::Store::Open(store_options)).value();
    EXPECT_TRUE(store_->Migrate().ok());
  }

  void StartRuntime(int max_tool_steps = 4, const std::function<void(RuntimeOptions&)>& adjust = {}) {
    RuntimeOptions options;
    options.clock = &clock_;
    options.max_tool_steps = max_tool_steps;
    // Juno's catalog has templates; the tests of tools and handoffs script the model's own replies
    // (template_turns_test turns them on).
    options.response_templates = false;
    if (adjust) adjust(options);
    options.tool_runner = std::make_shared<tools::ToolRunner>(
        loop_, tools::ToolRunnerOptions{{{"BRIGHTWAVE_API_TOKEN", "bw-token"}}, 1 << 20, 1});
    runtime_ = std::make_unique<ChatRuntime>(
        *store_, [this](std::string_view) -> Result<llm::Provider*> { return &provider_; }, options);
  }

  // Juno's extensions with her backend on loopback (allowed to reach it unless `private_ok` is
  // false), and the classifier deciding every message.
  std::string Extensions(bool private_ok = true, const json& routing = json::object()) {
    json extensions = JunoCard()["data"]["extensions"];
    const std::string base = backend_.BaseUrl();
    for (json& tool : extensions["troupe"]["tools"]) {
      std::string url = tool["http"]["url"];
      url.replace(0, std::string("https://api.brightwave.example/v1").size(), base);
      tool["http"]["url"] = url;
      tool["http"]["allow_private"] = private_ok;
    }
    extensions["troupe"]["intents"]["routing"] = {{"classifier_threshold", 0.0}, {"llm_threshold", 0.0}};
    for (const auto& [key, value] : routing.items()) extensions["troupe"]["intents"]["routing"][key] = value;
    return extensions.dump();
  }

  int64_t Conversation(const std::string& extensions_json) {
    store::User user;
    user.external_id = "kim-42";
    user.display_name = "Kim";
    const int64_t user_id = store_->users().Create(user)->id;
    store::Character character;
    character.name = "Juno";
    character.description = "Support.";
    character.extensions_json = extensions_json;
    const int64_t character_id = store_->characters().Create(character)->id;
    store::Conversation conversation;
    conversation.user_id = user_id;
    conversation.character_id = character_id;
    return store_->conversations().Create(conversation)->id;
  }

  struct Posted {
    store::Message acknowledged;
    std::promise<Result<TurnOutcome>> done;
    std::mutex mutex;
    std::vector<TurnEvent> events;  // guarded
    std::vector<std::string> Names() {
      std::lock_guard lock(mutex);
      std::vector<std::string> names;
      for (const TurnEvent& event : events) {
        const std::string name(EventName(event));
        if (name.rfind("tool.", 0) == 0) names.push_back(name);
      }
      return names;
    }
  };

  std::shared_ptr<Posted> Post(int64_t conversation, const std::string& text) {
    auto posted = std::make_shared<Posted>();
    TurnOptions options;
    options.typing_delays = false;
    Result<PostedMessage> result = runtime_->PostMessage(
        conversation, text, options,
        [posted](const TurnEvent& event) {
          std::lock_guard lock(posted->mutex);
          posted->events.push_back(event);
        },
        [posted](Result<TurnOutcome> outcome) { posted->done.set_value(std::move(outcome)); });
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (result.ok()) posted->acknowledged = result->message;
    return posted;
  }

  static std::vector<std::string> ToolNames(const llm::ChatRequest& request) {
    std::vector<std::string> names;
    for (const llm::ToolDefinition& tool : request.tools) names.push_back(tool.name);
    return names;
  }

  std::vector<store::ToolCallRecord> Audit(int64_t conversation) {
    return store_->tool_calls().ListForConversation(conversation, {}).value().items;
  }

  // Ends call `index` with a text answer and returns the reply's last stored message.
  store::Message Answer(const std::shared_ptr<Posted>& posted, size_t index, const std::string& text) {
    provider_.Write(index, text);
    provider_.End(index);
    Result<TurnOutcome> outcome = posted->done.get_future().get();
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    return outcome.ok() && !outcome->messages.empty() ? outcome->messages.back() : store::Message{};
  }

  TempDir dir_;
  ManualClock clock_{1'790'000'000'000};
  FaultHttpServer backend_;
  llm::CurlLoop loop_;
  testing::ScriptedProvider provider_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ChatRuntime> runtime_;
};


}  // namespace troupe::chat::testing
