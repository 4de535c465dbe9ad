// Tools in a reply's turn: Juno's card (her intent catalog and tools) with her backend's URLs
// pointed at a real HTTP server on loopback (tests/llm/fault_http_server), a real SQLite store, the
// real runtime and tool runner. The provider is scripted so the test decides which tools the model
// asks for; what the runtime then does (which tools it offers, the calls, what goes back to the
// model, the confirmation, the audit) is the real code's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>

#include "chat/tools/card_tools.h"
#include "chat/tools/confirmation.h"
#include "juno_turns_fixture.h"

namespace troupe::chat {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::troupe::chat::testing::Json;
using ::troupe::chat::testing::JunoCard;
using ::troupe::testing::FaultHttpServer;
using nlohmann::json;

class ToolTurnsTest : public testing::JunoTurnsTest {};

TEST_F(ToolTurnsTest, TheRoutedIntentsToolIsCalledForTheUserAndItsResultGoesBackToTheModel) {
  StartRuntime();
  const int64_t conversation = Conversation(Extensions());
  backend_.Enqueue(Json(200, R"({"balance":"12.50 EUR","data_left":"3.2 GB"})"));
  std::shared_ptr<Posted> posted = Post(conversation, "what's my balance");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  // check_balance offers its one tool and requires it (the catalog's tool_choice).
  EXPECT_THAT(ToolNames(provider_.call(0)->request), ElementsAre("get_balance"));
  EXPECT_EQ(provider_.call(0)->request.tool_choice, "required");
  provider_.Write(0, "Let me look. ");
  provider_.CallTools(0, {{"call_1", "get_balance", "{}"}});

  ASSERT_TRUE(provider_.WaitForCalls(2));
  ASSERT_EQ(backend_.requests().size(), 1u);
  const FaultHttpServer::Request sent = backend_.requests()[0];
  EXPECT_EQ(sent.method, "GET");
  EXPECT_EQ(sent.target, "/v1/customers/kim-42/balance");  // the caller's id, which the model cannot set
  EXPECT_EQ(sent.headers.at("authorization"), "Bearer bw-token");
  const llm::ChatRequest& next = provider_.call(1)->request;
  ASSERT_GE(next.messages.size(), 2u);
  const llm::ChatMessage& asked = next.messages[next.messages.size() - 2];
  EXPECT_EQ(asked.role, "assistant");
  EXPECT_EQ(asked.content, "Let me look. ");
  ASSERT_EQ(asked.tool_calls.size(), 1u);
  EXPECT_EQ(asked.tool_calls[0].id, "call_1");
  EXPECT_EQ(next.messages.back().role, "tool");
  EXPECT_EQ(next.messages.back().tool_call_id, "call_1");
  EXPECT_EQ(next.messages.back().content, R"({"balance":"12.50 EUR","data_left":"3.2 GB"})");
  EXPECT_EQ(next.tool_choice, "auto");

  const store::Message reply = Answer(posted, 1, "You have 12.50 EUR and 3.2 GB left.");
  EXPECT_EQ(reply.content, "Let me look. You have 12.50 EUR and 3.2 GB left.");
  EXPECT_EQ(json::parse(reply.metadata_json)["tools"],
            json::parse(R"([{"call_id":"call_1","tool":"get_balance","outcome":"ok"}])"));
  EXPECT_THAT(posted->Names(), ElementsAre("tool.call", "tool.result"));
  const std::vector<store::ToolCallRecord> audit = Audit(conversation);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].tool, "get_balance");
  EXPECT_EQ(audit[0].intent, "check_balance");
  EXPECT_EQ(audit[0].outcome, "ok");
  EXPECT_EQ(audit[0].http_status, 200);
  EXPECT_EQ(audit[0].message_id, posted->acknowledged.id);
  EXPECT_THAT(audit[0].url, HasSubstr("/v1/customers/kim-42/balance"));
}

TEST_F(ToolTurnsTest, ArgumentsThatBreakTheSchemaAreRefusedAndTheModelIsToldWhy) {
  StartRuntime();
  const int64_t conversation = Conversation(Extensions());
  std::shared_ptr<Posted> posted = Post(conversation, "how much does roaming cost in france");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  ASSERT_THAT(ToolNames(provider_.call(0)->request), ElementsAre("roaming_rates"));
  provider_.CallTools(0, {{"call_r", "roaming_rates", R"({"country": 7})"}});
  ASSERT_TRUE(provider_.WaitForCalls(2));
  EXPECT_TRUE(backend_.requests().empty()) << "nothing is sent for bad arguments";
  const json told = json::parse(provider_.call(1)->request.messages.back().content);
  EXPECT_EQ(told["error"], "invalid_argument");
  EXPECT_THAT(told["message"].get<std::string>(), HasSubstr("country"));
  Answer(posted, 1, "Which country?");
  ASSERT_EQ(Audit(conversation).size(), 1u);
  EXPECT_EQ(Audit(conversation)[0].outcome, "invalid_argument");
}

TEST_F(ToolTurnsTest, AToolThatChangesSomethingRunsOnlyAfterTheUserSaysYes) {
  StartRuntime();
  const int64_t conversation = Conversation(Extensions());
  std::shared_ptr<Posted> first = Post(conversation, "I need more data");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  ASSERT_THAT(ToolNames(provider_.call(0)->request), ElementsAre("buy_data_pack", "top_up_credit"));
  provider_.CallTools(0, {{"call_p", "buy_data_pack", R"({"pack":"5GB"})"}});
  ASSERT_TRUE(provider_.WaitForCalls(2));
  EXPECT_TRUE(backend_.requests().empty());
  EXPECT_EQ(json::parse(provider_.call(1)->request.messages.back().content)["status"], "awaiting_confirmation");
  EXPECT_EQ(provider_.call(1)->request.tool_choice, "none");  // it must ask now
  const store::Message question = Answer(first, 1, "Shall I add the 5GB pack for 10 EUR?");
  EXPECT_EQ(json::parse(question.metadata_json)["tool_confirmation"]["tool"], "buy_data_pack");
  {
    std::lock_guard lock(first->mutex);
    const auto call = std::find_if(first->events.begin(), first->events.end(),
                                   [](const TurnEvent& event) { return std::holds_alternative<ToolCallEvent>(event); });
    ASSERT_NE(call, first->events.end());
    EXPECT_TRUE(std::get<ToolCallEvent>(*call).needs_confirmation);
    EXPECT_EQ(std::get<ToolCallEvent>(*call).arguments_json, R"({"pack":"5GB"})");
  }

  backend_.Enqueue(Json(201, R"({"added":"5GB","charged":"10.00 EUR"})"));
  std::shared_ptr<Posted> yes = Post(conversation, "yes please");
  ASSERT_TRUE(provider_.WaitForCalls(3));
  // The call was made before the model was asked again, with the arguments the user agreed to.
  ASSERT_EQ(backend_.requests().size(), 1u);
  EXPECT_EQ(backend_.requests()[0].method, "POST");
  EXPECT_EQ(backend_.requests()[0].target, "/v1/customers/kim-42/data-packs");
  EXPECT_EQ(json::parse(backend_.requests()[0].body), json::parse(R"({"pack":"5GB"})"));
  const llm::ChatMessage& result = provider_.call(2)->request.messages.back();
  EXPECT_EQ(result.role, "tool");
  EXPECT_EQ(result.tool_call_id, "call_p");
  EXPECT_THAT(result.content, HasSubstr("10.00 EUR"));
  const store::Message done = Answer(yes, 2, "Done: 5GB added.");
  EXPECT_FALSE(json::parse(done.metadata_json).contains("tool_confirmation"));
  std::vector<std::string> outcomes;
  for (const store::ToolCallRecord& record : Audit(conversation)) outcomes.push_back(record.outcome);
  EXPECT_THAT(outcomes, ElementsAre("awaiting_confirmation", "ok"));
}

TEST_F(ToolTurnsTest, NoDeclinesTheWaitingChangeAndNothingIsSent) {
  StartRuntime();
  const int64_t conversation = Conversation(Extensions());
  std::shared_ptr<Posted> first = Post(conversation, "I need more data");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  provider_.CallTools(0, {{"call_p", "buy_data_pack", R"({"pack":"20GB"})"}});
  ASSERT_TRUE(provider_.WaitForCalls(2));
  Answer(first, 1, "Shall I add 20GB for 25 EUR?");
  std::shared_ptr<Posted> no = Post(conversation, "no thanks");
  ASSERT_TRUE(provider_.WaitForCalls(3));
  EXPECT_EQ(json::parse(provider_.call(2)->request.messages.back().content)["status"], "declined");
  Answer(no, 2, "Alright, nothing was added.");
  EXPECT_TRUE(backend_.requests().empty());
  EXPECT_EQ(Audit(conversation).back().outcome, "declined");
}

TEST_F(ToolTurnsTest, ACallIdAnEarlierTurnUsedDoesNotStopTheConfirmedCall) {
  // The local engine numbers its calls from call_0 in every reply: ids repeat across turns.
  StartRuntime();
  const int64_t conversation = Conversation(Extensions());
  backend_.Enqueue(Json(200, R"({"balance":"1 EUR"})"));
  std::shared_ptr<Posted> balance = Post(conversation, "what's my balance");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  provider_.CallTools(0, {{"call_0", "get_balance", "{}"}});
  ASSERT_TRUE(provider_.WaitForCalls(2));
  Answer(balance, 1, "You have 1 EUR.");
  std::shared_ptr<Posted> data = Post(conversation, "I need more data");
  ASSERT_TRUE(provider_.WaitForCalls(3));
  provider_.CallTools(2, {{"call_0", "buy_data_pack", R"({"pack":"1GB"})"}});
  ASSERT_TRUE(provider_.WaitForCalls(4));
  Answer(data, 3, "Shall I add 1GB?");
  backend_.Enqueue(Json(201, R"({"added":"1GB"})"));
  std::shared_ptr<Posted> yes = Post(conversation, "yes");
  ASSERT_TRUE(provider_.WaitForCalls(5));
  ASSERT_EQ(backend_.requests().size(), 2u) << "the confirmed call was taken for the earlier call_0";
  EXPECT_EQ(backend_.requests()[1].target, "/v1/customers/kim-42/data-packs");
  Answer(yes, 4, "Added.");
}

TEST_F(ToolTurnsTest, AfterTheStepLimitTheModelMustAnswer) {
  StartRuntime(/*max_tool_steps=*/2);
  const int64_t conversation = Conversation(Extensions());
  backend_.SetDefault(Json(200, R"({"balance":"1 EUR"})"));
  std::shared_ptr<Posted> posted = Post(conversation, "what's my balance");
  for (size_t step = 0; step < 2; ++step) {
    ASSERT_TRUE(provider_.WaitForCalls(step + 1));
    provider_.CallTools(step, {{"call_" + std::to_string(step), "get_balance", "{}"}});
  }
  ASSERT_TRUE(provider_.WaitForCalls(3));
  EXPECT_EQ(provider_.call(2)->request.tool_choice, "none");
  // A model that asks anyway gets no more calls: the reply ends with what it wrote.
  provider_.Write(2, "Your balance is 1 EUR.");
  provider_.CallTools(2, {{"call_x", "get_balance", "{}"}});
  Result<TurnOutcome> outcome = posted->done.get_future().get();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->messages.back().content, "Your balance is 1 EUR.");
  EXPECT_EQ(backend_.requests().size(), 2u);
  EXPECT_EQ(provider_.calls(), 3u);
}

TEST_F(ToolTurnsTest, AToolMayNotReachAPrivateAddressUnlessItSaysSo) {
  StartRuntime();
  const int64_t conversation = Conversation(Extensions(/*private_ok=*/false));
  std::shared_ptr<Posted> posted = Post(conversation, "what's my balance");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  provider_.CallTools(0, {{"call_1", "get_balance", "{}"}});
  ASSERT_TRUE(provider_.WaitForCalls(2));
  EXPECT_EQ(json::parse(provider_.call(1)->request.messages.back().content)["error"], "permission_denied");
  Answer(posted, 1, "I cannot reach the billing system right now.");
  EXPECT_TRUE(backend_.requests().empty());
  EXPECT_EQ(Audit(conversation)[0].outcome, "permission_denied");
}

TEST_F(ToolTurnsTest, ChitChatAndToolsNotOfferedAreNotCalled) {
  StartRuntime();
  const int64_t conversation = Conversation(Extensions());
  std::shared_ptr<Posted> posted = Post(conversation, "hello there, thanks a lot");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  EXPECT_TRUE(provider_.call(0)->request.tools.empty());
  Answer(posted, 0, "Hi Kim!");

  std::shared_ptr<Posted> balance = Post(conversation, "what's my balance");
  ASSERT_TRUE(provider_.WaitForCalls(2));
  provider_.CallTools(1, {{"call_c", "change_plan", R"({"plan_id":"max"})"}});  // not this intent's
  ASSERT_TRUE(provider_.WaitForCalls(3));
  EXPECT_EQ(json::parse(provider_.call(2)->request.messages.back().content)["status"], "error");
  Answer(balance, 2, "Let me check your balance instead.");
  EXPECT_TRUE(backend_.requests().empty());
  EXPECT_EQ(Audit(conversation)[0].outcome, "not_found");
}

TEST_F(ToolTurnsTest, WithoutARunnerNoToolIsOffered) {
  RuntimeOptions options;
  options.clock = &clock_;
  options.response_templates = false;  // the model's own reply, as the fixture's runtime has it
  runtime_ = std::make_unique<ChatRuntime>(
      *store_, [this](std::string_view) -> Result<llm::Provider*> { return &provider_; }, options);
  const int64_t conversation = Conversation(Extensions());
  std::shared_ptr<Posted> posted = Post(conversation, "what's my balance");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  EXPECT_TRUE(provider_.call(0)->request.tools.empty());
  Answer(posted, 0, "I cannot look that up.");
}

TEST(ConfirmationTest, ShortAnswersAreReadAndAnythingElseIsUnclear) {
  using tools::ConfirmationAnswer;
  for (const char* yes : {"yes", "Yes please!", "ok", "go ahead", "sure, do it", "Yep.", "no problem, go ahead"}) {
    EXPECT_EQ(tools::ReadConfirmation(yes), ConfirmationAnswer::kYes) << yes;
  }
  for (const char* no : {"no", "No thanks.", "cancel", "don't", "not now", "nope, wait"}) {
    EXPECT_EQ(tools::ReadConfirmation(no), ConfirmationAnswer::kNo) << no;
  }
  for (const char* unclear : {"", "how much is it?", "yes no", "what does the 5GB pack include exactly and when",
                              "okay but no"}) {
    EXPECT_EQ(tools::ReadConfirmation(unclear), ConfirmationAnswer::kUnclear) << unclear;
  }
}

TEST(CardToolsTest, ToolsComeFromTheCardAndIntentsMayNameOnlyThose) {
  Result<std::vector<tools::HttpTool>> juno = tools::ToolsFromExtensions(JunoCard()["data"]["extensions"].dump());
  ASSERT_TRUE(juno.ok()) << juno.status().ToString();
  EXPECT_EQ(juno->size(), 9u);
  json extensions = JunoCard()["data"]["extensions"];
  extensions["troupe"]["tools"].erase(0);  // get_balance, which check_balance names
  Result<std::vector<tools::HttpTool>> missing = tools::ToolsFromExtensions(extensions.dump());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().field(), "extensions.troupe.intents");
  EXPECT_THAT(missing.status().message(), HasSubstr("'check_balance' uses the tool 'get_balance'"));
  Result<std::vector<tools::HttpTool>> bad = tools::ToolsFromExtensions(R"({"troupe":{"tools":[{"name":"x"}]}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "extensions.troupe.tools");
  EXPECT_TRUE(tools::ToolsFromExtensions("{}")->empty());
  // The shipped file and the card's copy are the same tools.
  EXPECT_EQ(json::parse(::troupe::testing::ReadFile(std::string(TROUPE_SOURCE_DIR) + "/examples/tools/juno_tools.json")),
            JunoCard()["data"]["extensions"]["troupe"]["tools"]);
}

}  // namespace
}  // namespace troupe::chat
