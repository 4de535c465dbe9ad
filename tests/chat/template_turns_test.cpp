// Replies answered from Juno's response templates: the routed intent's tools run unseen, the
// template's slots are filled from their results (the model fills what they lack, under a JSON
// schema), the model says the template in its own tone, and what is stored keeps every fact and
// value or is the rendered template itself. The provider is scripted so each test decides what
// the model writes; the matching, filling, checking and storing are the real code's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "juno_turns_fixture.h"

namespace troupe::chat {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::troupe::chat::testing::Json;
using nlohmann::json;

class TemplateTurnsTest : public testing::JunoTurnsTest {
 protected:
  void StartWithTemplates() {
    StartRuntime(4, [](RuntimeOptions& options) { options.response_templates = true; });
  }

  // Asks for the balance; the model calls get_balance, which answers `result`, then writes
  // something for the unseen step after the call.
  std::shared_ptr<Posted> AskBalance(int64_t conversation, const std::string& result) {
    backend_.Enqueue(Json(200, result));
    std::shared_ptr<Posted> posted = Post(conversation, "what's my balance");
    EXPECT_TRUE(provider_.WaitForCalls(1));
    provider_.Write(0, "Let me look. ");
    provider_.CallTools(0, {{"call_1", "get_balance", "{}"}});
    EXPECT_TRUE(provider_.WaitForCalls(2));
    provider_.Write(1, "This step's words are never shown.");
    provider_.End(1);
    return posted;
  }

  std::string Streamed(const std::shared_ptr<Posted>& posted) {
    std::lock_guard lock(posted->mutex);
    std::string text;
    for (const TurnEvent& event : posted->events) {
      if (const auto* delta = std::get_if<DeltaEvent>(&event)) text += delta->text;
    }
    return text;
  }
};

constexpr const char* kFullBalanceResult = R"({"balance":"12.50 EUR","data_left":"3.2 GB","renewal_date":"1 May"})";
constexpr const char* kRenderedBalance = "Your balance is 12.50 EUR. You have 3.2 GB of data left until 1 May.";

TEST_F(TemplateTurnsTest, AReplyThatKeepsEveryValueIsStoredInTheModelsWords) {
  StartWithTemplates();
  const int64_t conversation = Conversation(Extensions());
  std::shared_ptr<Posted> posted = AskBalance(conversation, kFullBalanceResult);
  // Every slot came from the tool: no call fills them; the next asks to say the template.
  ASSERT_TRUE(provider_.WaitForCalls(3));
  const llm::ChatRequest& say = provider_.call(2)->request;
  EXPECT_EQ(say.response_format.kind, llm::ResponseFormat::Kind::kText);
  EXPECT_EQ(say.messages.back().role, "system");
  EXPECT_THAT(say.messages.back().content, HasSubstr(kRenderedBalance));
  const std::string written = "Sure, Kim! Your balance is 12.50 EUR, and there's 3.2 GB of data left until 1 May.";
  const store::Message reply = Answer(posted, 2, written);
  EXPECT_EQ(reply.content, written);
  EXPECT_EQ(Streamed(posted), written);  // only the template's step streamed
  const json metadata = json::parse(reply.metadata_json);
  const json& used = metadata["template"];
  EXPECT_EQ(used["name"], "balance");
  EXPECT_EQ(used["intent"], "check_balance");
  EXPECT_EQ(used["matched_by"], "intent");
  EXPECT_GT(used["score"].get<double>(), 0.0);
  EXPECT_LE(used["score"].get<double>(), 1.0);
  EXPECT_EQ(used["values"], json::parse(R"({"balance":"12.50 EUR","data_left":"3.2 GB","renewal_date":"1 May"})"));
  EXPECT_EQ(used["facts_kept"], true);
  EXPECT_EQ(used["fallback"], false);
  EXPECT_EQ(metadata["tool_values"]["balance"], "12.50 EUR");
  EXPECT_THAT(posted->Names(), ElementsAre("tool.call", "tool.result"));
}

TEST_F(TemplateTurnsTest, AReplyThatChangesAFactIsReplacedByTheRenderedTemplateExactly) {
  StartWithTemplates();
  const int64_t conversation = Conversation(Extensions());
  std::shared_ptr<Posted> posted = AskBalance(conversation, kFullBalanceResult);
  ASSERT_TRUE(provider_.WaitForCalls(3));
  const store::Message reply = Answer(posted, 2, "Your balance is 21.50 EUR with 3.2 GB until 1 May!");
  EXPECT_EQ(reply.content, kRenderedBalance);
  const json used = json::parse(reply.metadata_json)["template"];
  EXPECT_EQ(used["facts_kept"], false);
  EXPECT_EQ(used["fallback"], true);
  // The stream showed the model's words; the stored message, which message.end carries, replaces them.
  EXPECT_EQ(Streamed(posted), "Your balance is 21.50 EUR with 3.2 GB until 1 May!");
  std::lock_guard lock(posted->mutex);
  const auto end = std::find_if(posted->events.begin(), posted->events.end(),
                                [](const TurnEvent& event) { return std::holds_alternative<MessageEndEvent>(event); });
  ASSERT_NE(end, posted->events.end());
  ASSERT_TRUE(std::get<MessageEndEvent>(*end).message.has_value());
  EXPECT_EQ(std::get<MessageEndEvent>(*end).message->content, kRenderedBalance);
}

TEST_F(TemplateTurnsTest, TheModelFillsTheSlotsTheToolsLeftUnderASchemaOfExactlyThose) {
  StartWithTemplates();
  const int64_t conversation = Conversation(Extensions());
  std::shared_ptr<Posted> posted = AskBalance(conversation, R"({"balance":"12.50 EUR","data_left":"3.2 GB"})");
  ASSERT_TRUE(provider_.WaitForCalls(3));
  const llm::ChatRequest& fill = provider_.call(2)->request;
  ASSERT_EQ(fill.response_format.kind, llm::ResponseFormat::Kind::kJsonSchema);
  const json schema = json::parse(fill.response_format.schema_json);
  EXPECT_EQ(schema["required"], json::array({"renewal_date"}));
  EXPECT_TRUE(fill.tools.empty());
  provider_.Write(2, R"({"renewal_date":"1 May"})");
  provider_.End(2);
  ASSERT_TRUE(provider_.WaitForCalls(4));
  EXPECT_THAT(provider_.call(3)->request.messages.back().content, HasSubstr(kRenderedBalance));
  const store::Message reply = Answer(posted, 3, "ok");
  EXPECT_EQ(reply.content, kRenderedBalance);  // "ok" kept none of the values
  EXPECT_EQ(json::parse(reply.metadata_json)["template"]["values"]["renewal_date"], "1 May");
}

TEST_F(TemplateTurnsTest, AChangeWaitingForTheUsersYesIsAskedInTheModelsWordsNotATemplate) {
  StartWithTemplates();
  const int64_t conversation = Conversation(Extensions());
  std::shared_ptr<Posted> posted = Post(conversation, "I need more data");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  provider_.CallTools(0, {{"call_p", "buy_data_pack", R"({"pack":"5GB"})"}});
  ASSERT_TRUE(provider_.WaitForCalls(2));
  const store::Message question = Answer(posted, 1, "Shall I add the 5GB pack for 10 EUR?");
  EXPECT_EQ(question.content, "Shall I add the 5GB pack for 10 EUR?");
  EXPECT_FALSE(json::parse(question.metadata_json).contains("template"));
  EXPECT_EQ(Streamed(posted), "Shall I add the 5GB pack for 10 EUR?");
}

TEST_F(TemplateTurnsTest, WithTemplatesOffTheReplyIsTheModelsOwn) {
  StartRuntime();
  const int64_t conversation = Conversation(Extensions());
  backend_.Enqueue(Json(200, kFullBalanceResult));
  std::shared_ptr<Posted> posted = Post(conversation, "what's my balance");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  provider_.CallTools(0, {{"call_1", "get_balance", "{}"}});
  ASSERT_TRUE(provider_.WaitForCalls(2));
  const store::Message reply = Answer(posted, 1, "You have 21 EUR.");
  EXPECT_EQ(reply.content, "You have 21 EUR.");
  EXPECT_FALSE(json::parse(reply.metadata_json).contains("template"));
}

}  // namespace
}  // namespace troupe::chat
