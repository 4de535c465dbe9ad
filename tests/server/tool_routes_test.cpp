// Tools end to end over HTTP: Juno's card with her backend's URLs on a loopback server (the
// operator's backend), a user's message posted through the API and streamed back, with the local
// engine (stories260K: check_balance requires its tool, so the engine writes the call under the
// tools' schema) and with an OpenAI-compatible endpoint on loopback that asks for a tool the way
// OpenAI does; then the audit through the agent's routes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../llm/fault_http_server.h"
#include "chat/runtime.h"
#include "chat/tools/tool_runner.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "llm/openai_provider.h"
#include "server/api_fixture.h"
#include "support/files.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;
using ::troupe::testing::FaultHttpServer;

using Event = StreamEvent;

FaultHttpServer::Response Json(int status, const std::string& body) {
  FaultHttpServer::Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body_parts = {body};
  response.chunked = false;
  return response;
}

class ToolRoutesTest : public ::testing::Test {
 protected:
  // `templates`: replies to messages that match Juno's response templates say them.
  explicit ToolRoutesTest(bool templates = false) {
    ApiOptions options = UnlimitedOptions();
    options.clock = &clock_;
    server_ = std::make_unique<ApiServer>(Backend::kSqlite, options, [this, templates](store::Store& store, ApiOptions& api) {
      static std::shared_ptr<llm::LocalModel> model(
          llm::LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf").value());
      llm::LocalProviderOptions local_options;
      local_options.context_length = 2048;
      local_ = llm::MakeLocalProvider(model, local_options).value();
      llm::OpenAiProviderOptions remote_options;
      remote_options.name = "remote";
      remote_options.base_url = remote_server_.BaseUrl();
      remote_options.max_retries = 0;
      remote_ = std::move(llm::MakeOpenAiProvider(remote_options)).value();
      chat::RuntimeOptions runtime_options;
      runtime_options.clock = &clock_;
      runtime_options.response_templates = templates;
      runtime_options.tool_runner = std::make_shared<chat::tools::ToolRunner>(
          loop_, chat::tools::ToolRunnerOptions{{{"BRIGHTWAVE_API_TOKEN", "bw-token"}}, 1 << 20, 1});
      runtime_ = std::make_unique<chat::ChatRuntime>(
          store,
          [this](std::string_view name) -> Result<llm::Provider*> {
            return name == "remote" ? remote_.get() : local_.get();
          },
          runtime_options);
      api.runtime = runtime_.get();
    });
  }

  ~ToolRoutesTest() override {
    runtime_->Shutdown();
    server_.reset();
  }

  // Juno, her tools on the loopback backend, the classifier deciding every message; `provider`
  // picks the endpoint ("" the local engine).
  int64_t JunoConversation(const std::string& provider) {
    json card = json::parse(::troupe::testing::ReadFile(std::string(TROUPE_SOURCE_DIR) +
                                                        "/examples/characters/juno_telecom_support.json"));
    json extensions = card["data"]["extensions"];
    for (json& tool : extensions["troupe"]["tools"]) {
      std::string url = tool["http"]["url"];
      url.replace(0, std::string("https://api.brightwave.example/v1").size(), backend_.BaseUrl());
      tool["http"]["url"] = url;
      tool["http"]["allow_private"] = true;
    }
    extensions["troupe"]["intents"]["routing"] = {{"classifier_threshold", 0.0}, {"llm_threshold", 0.0}};
    if (!provider.empty()) extensions["troupe"]["provider"] = provider;
    store::Character character;
    character.name = "Juno";
    character.description = "Support for Brightwave Mobile.";
    character.extensions_json = extensions.dump();
    character.published = true;
    character = *server_->store().characters().Create(character);
    store::User user;
    user.external_id = "cust-7";
    user.display_name = "Kim";
    user = *server_->store().users().Create(user);
    client_key_ = server_->MintKey({"client"}, user.id).key;
    agent_key_ = server_->MintKey({"agent"}).key;
    return server_->MakeConversation(user.id, character.id).id;
  }

  std::vector<Event> Post(int64_t conversation, const std::string& text) {
    TestClient client(server_->port(), std::chrono::seconds(120));
    ClientResponse response = client.StartStream(
        "POST", "/api/v1/conversations/" + std::to_string(conversation) + "/messages",
        json{{"content", text}, {"typing_delays", false}}.dump(),
        {{"Authorization", "Bearer " + client_key_}, {"Content-Type", "application/json"}});
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_TRUE(client.ReadStreamToEnd());
    return ParseStreamEvents(client.stream_body());
  }

  static const Event* Find(const std::vector<Event>& events, const std::string& type) {
    for (const Event& event : events) {
      if (event.type == type) return &event;
    }
    return nullptr;
  }

  ManualClock clock_{1'790'000'000'000};
  FaultHttpServer backend_;
  FaultHttpServer remote_server_;
  llm::CurlLoop loop_;
  std::unique_ptr<llm::Provider> local_;
  std::unique_ptr<llm::Provider> remote_;
  std::unique_ptr<chat::ChatRuntime> runtime_;
  std::unique_ptr<ApiServer> server_;
  std::string client_key_;
  std::string agent_key_;
};

TEST_F(ToolRoutesTest, TheLocalEngineCallsTheRequiredToolAndTheAgentSeesTheAudit) {
  const int64_t conversation = JunoConversation("");
  backend_.SetDefault(Json(200, R"({"balance":"12.50 EUR"})"));
  const std::vector<Event> events = Post(conversation, "what's my balance");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "done") << events.back().data.dump();
  const Event* call = Find(events, "tool.call");
  ASSERT_NE(call, nullptr) << "the engine wrote no tool call";
  EXPECT_EQ(call->data["tool"], "get_balance");
  EXPECT_EQ(call->data["arguments"], json::object());
  const Event* result = Find(events, "tool.result");
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->data["outcome"], "ok");
  EXPECT_EQ(result->data["http_status"], 200);
  ASSERT_GE(backend_.requests().size(), 1u);
  EXPECT_EQ(backend_.requests()[0].target, "/v1/customers/cust-7/balance");
  EXPECT_EQ(backend_.requests()[0].headers.at("authorization"), "Bearer bw-token");

  const std::string audit_path = "/api/v1/conversations/" + std::to_string(conversation) + "/tool-calls";
  ClientResponse audit = server_->Call("GET", audit_path, agent_key_);
  ASSERT_EQ(audit.status, 200) << audit.body;
  ASSERT_GE(audit.Json()["data"].size(), 1u);
  const json first = audit.Json()["data"][0];
  EXPECT_EQ(first["tool"], "get_balance");
  EXPECT_EQ(first["intent"], "check_balance");
  EXPECT_EQ(first["outcome"], "ok");
  EXPECT_EQ(server_->Call("GET", audit_path, client_key_).status, 403);  // the backend's URLs are not theirs
  ClientResponse console = server_->Call("GET", "/api/v1/tool-calls?tool=get_balance&outcome=ok", agent_key_);
  ASSERT_EQ(console.status, 200) << console.body;
  EXPECT_EQ(console.Json()["data"].size(), audit.Json()["data"].size());
  EXPECT_EQ(server_->Call("GET", "/api/v1/tool-calls?since=yesterday", agent_key_).status, 400);
}

TEST_F(ToolRoutesTest, ARemoteModelAsksForAToolTheOpenAiWayAndGetsItsResult) {
  const int64_t conversation = JunoConversation("remote");
  const json call_chunk = {
      {"choices",
       {{{"index", 0},
         {"delta",
          {{"role", "assistant"},
           {"tool_calls",
            {{{"index", 0},
              {"id", "call_fr"},
              {"type", "function"},
              {"function", {{"name", "roaming_rates"}, {"arguments", R"({"country":"FR"})"}}}}}}}},
         {"finish_reason", nullptr}}}}};
  const json end_chunk = {{"choices", {{{"index", 0}, {"delta", json::object()}, {"finish_reason", "tool_calls"}}}}};
  FaultHttpServer::Response asks;
  asks.body_parts = {::troupe::testing::DataLine(call_chunk.dump()), ::troupe::testing::DataLine(end_chunk.dump()),
                     "data: [DONE]\n\n"};
  remote_server_.Enqueue(asks);
  FaultHttpServer::Response answers;
  answers.body_parts = ::troupe::testing::StreamOf({"Calls in France cost ", "0.20 EUR a minute."});
  remote_server_.Enqueue(answers);
  backend_.Enqueue(Json(200, R"({"country":"FR","per_minute":"0.20 EUR"})"));

  const std::vector<Event> events = Post(conversation, "how much does roaming cost in france");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "done") << events.back().data.dump();
  ASSERT_NE(Find(events, "tool.result"), nullptr);
  EXPECT_EQ(Find(events, "tool.result")->data["outcome"], "ok");
  ASSERT_EQ(backend_.requests().size(), 1u);
  EXPECT_EQ(backend_.requests()[0].target, "/v1/roaming/rates?country=FR");

  // The endpoint was offered the intent's tool, then got the call and its result back.
  ASSERT_EQ(remote_server_.requests().size(), 2u);
  const json first = json::parse(remote_server_.requests()[0].body);
  ASSERT_EQ(first["tools"].size(), 1u);
  EXPECT_EQ(first["tools"][0]["function"]["name"], "roaming_rates");
  const json second = json::parse(remote_server_.requests()[1].body);
  const json& messages = second["messages"];
  ASSERT_GE(messages.size(), 2u);
  EXPECT_EQ(messages[messages.size() - 2]["tool_calls"][0]["id"], "call_fr");
  EXPECT_EQ(messages.back()["role"], "tool");
  EXPECT_EQ(messages.back()["tool_call_id"], "call_fr");
  EXPECT_EQ(messages.back()["content"], R"({"country":"FR","per_minute":"0.20 EUR"})");
  const Event* end = Find(events, "message.end");
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->data["message"]["content"], "Calls in France cost 0.20 EUR a minute.");
  EXPECT_EQ(end->data["message"]["metadata"]["tools"][0]["tool"], "roaming_rates");
}

// Juno's response templates over HTTP with the local engine: a reply from a template, the
// character's templates for the agent console, and one rendered for an agent.
class TemplateRoutesTest : public ToolRoutesTest {
 protected:
  TemplateRoutesTest() : ToolRoutesTest(true) {}

  ClientResponse Render(int64_t conversation, const json& body) {
    return server_->Call("POST", "/api/v1/conversations/" + std::to_string(conversation) + "/templates/render",
                         agent_key_, body.dump());
  }
};

TEST_F(TemplateRoutesTest, TheEnginesReplyFromATemplateKeepsItsFactsOrIsTheRenderedTemplateExactly) {
  const int64_t conversation = JunoConversation("");
  backend_.SetDefault(Json(200, R"({"balance":"12.50 EUR","data_left":"3.2 GB","renewal_date":"1 May"})"));
  const std::vector<Event> events = Post(conversation, "what's my balance");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "done") << events.back().data.dump();
  ASSERT_NE(Find(events, "tool.result"), nullptr) << "the engine wrote no tool call";
  const Event* end = Find(events, "message.end");
  ASSERT_NE(end, nullptr);
  const json& message = end->data["message"];
  const json& used = message["metadata"]["template"];
  ASSERT_TRUE(used.is_object()) << message.dump();
  EXPECT_EQ(used["intent"], "check_balance");
  EXPECT_EQ(used["name"], "balance");
  EXPECT_EQ(used["matched_by"], "intent");
  EXPECT_TRUE(used["score"].is_number());
  EXPECT_EQ(used["values"], json::parse(R"({"balance":"12.50 EUR","data_left":"3.2 GB","renewal_date":"1 May"})"));
  ASSERT_TRUE(used["facts_kept"].is_boolean());
  EXPECT_NE(used["facts_kept"], used["fallback"]);
  const std::string content = message["content"];
  if (used["fallback"] == true) {
    EXPECT_EQ(content, "Your balance is 12.50 EUR. You have 3.2 GB of data left until 1 May.");
  } else {
    for (const char* value : {"12.50 EUR", "3.2 GB", "1 May"}) EXPECT_NE(content.find(value), std::string::npos);
  }
  EXPECT_EQ(message["metadata"]["tool_values"]["data_left"], "3.2 GB");

  // The agent renders the same template from what the reply kept, and another with the profile.
  ClientResponse balance = Render(conversation, {{"intent", "check_balance"}, {"name", "balance"}});
  ASSERT_EQ(balance.status, 200) << balance.body;
  EXPECT_EQ(balance.Json()["text"], "Your balance is 12.50 EUR. You have 3.2 GB of data left until 1 May.");
  EXPECT_EQ(balance.Json()["unfilled"], json::array());
  ClientResponse low = Render(conversation, {{"intent", "check_balance"}, {"name", "low_credit"}});
  ASSERT_EQ(low.status, 200) << low.body;
  EXPECT_EQ(low.Json()["text"],
            "You have 12.50 EUR left, Kim. You can top up from 5 EUR at https://brightwave.example/top-up any time.");
  EXPECT_EQ(low.Json()["values"]["name"], "Kim");
}

TEST_F(TemplateRoutesTest, TheEngineFillsWhatNothingElseKnowsAndBadRequestsNameTheField) {
  const int64_t conversation = JunoConversation("");
  server_->MakeMessage(conversation, "is the network down near me?");
  ClientResponse outage = Render(conversation, {{"intent", "outage_check"}, {"name", "outage"}});
  ASSERT_EQ(outage.status, 200) << outage.body;
  const json rendered = outage.Json();
  EXPECT_EQ(rendered["unfilled"], json::array());
  ASSERT_EQ(rendered["values"].size(), 2u);
  const std::string postcode = rendered["values"]["postcode"];
  const std::string eta = rendered["values"]["eta"];
  EXPECT_FALSE(postcode.empty());
  EXPECT_FALSE(eta.empty());
  EXPECT_EQ(rendered["text"], "There's an outage around " + postcode + "; engineers expect service back by " + eta + ".");

  ClientResponse unknown = Render(conversation, {{"intent", "outage_check"}, {"name", "nope"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.Json()["error"]["field"], "name");
  ClientResponse no_intent = Render(conversation, {{"intent", "weather"}, {"name", "outage"}});
  EXPECT_EQ(no_intent.status, 404);
  EXPECT_EQ(no_intent.Json()["error"]["field"], "intent");
  ClientResponse missing = Render(conversation, {{"intent", "outage_check"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.Json()["error"]["field"], "name");
  EXPECT_EQ(server_->Call("POST", "/api/v1/conversations/" + std::to_string(conversation) + "/templates/render",
                          client_key_, R"({"intent":"outage_check","name":"outage"})").status,
            403);
}

TEST_F(TemplateRoutesTest, TheAgentConsoleListsEveryTemplateWithItsSlotsAndFacts) {
  const int64_t conversation = JunoConversation("");
  const int64_t character = server_->store().conversations().Get(conversation)->character_id;
  ClientResponse listed = server_->Call("GET", "/api/v1/characters/" + std::to_string(character) + "/templates",
                                        agent_key_);
  ASSERT_EQ(listed.status, 200) << listed.body;
  std::map<std::string, json> by_name;
  const json list = listed.Json();
  for (const json& entry : list["data"]) by_name[entry["intent"].get<std::string>() + "/" +
                                                          entry["name"].get<std::string>()] = entry;
  ASSERT_TRUE(by_name.count("check_balance/low_credit"));
  EXPECT_EQ(by_name["check_balance/balance"]["slots"], json::parse(R"(["balance","data_left","renewal_date"])"));
  EXPECT_EQ(by_name["check_balance/low_credit"]["facts"],
            json::parse(R"(["top up","5","https://brightwave.example/top-up"])"));
  for (const char* intent : {"data_topup", "roaming_prices", "contract_change", "payment", "outage_check"}) {
    EXPECT_TRUE(std::any_of(by_name.begin(), by_name.end(),
                            [&](const auto& entry) { return entry.second["intent"] == intent; }))
        << intent;
  }
  EXPECT_EQ(server_->Call("GET", "/api/v1/characters/" + std::to_string(character) + "/templates", client_key_).status,
            403);
}

}  // namespace
}  // namespace troupe::server::testing
