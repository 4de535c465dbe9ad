// Flow generation: a reply becomes a linear flow the validator accepts (names cleaned and made
// unique, message counts added up, the first stage opening), the minors' safety gate refuses
// romance, a scripted OpenAI-compatible server is asked again after a bad reply, and the local
// engine with the shared stories260K model produces a valid flow (structure only, never prose).
#include "studio/flow_generation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "chat/flow.h"
#include "studio_providers.h"

namespace troupe::studio {
namespace {

using ::testing::HasSubstr;

FlowBrief TutorBrief(bool minor = false) {
  FlowBrief brief;
  brief.topic = "learning Spanish with a patient tutor";
  brief.goal = "the user holds a five-minute conversation in Spanish";
  brief.minor = minor;
  return brief;
}

std::string FlowReply(const std::vector<std::tuple<std::string, std::string, int, double>>& stages) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& [name, prompt, messages, affinity] : stages) {
    list.push_back({{"name", name}, {"prompt", prompt}, {"messages", messages}, {"affinity", affinity}});
  }
  return nlohmann::ordered_json{{"name", "Spanish Tutor"}, {"stages", list}}.dump();
}

const std::string kTutorReply = FlowReply({{"Hello!", "Greet {{user}} in easy Spanish.", 4, 0.0},
                                           {"Warm up", "Practise greetings.", 6, 0.1},
                                           {"warm up", "Practise numbers.", 6, 0.0},
                                           {"***", "Talk about food.", 10, 0.2},
                                           {"Final chat", "Hold a whole conversation.", 8, 0.0}});

TEST(FlowGenerationTest, AReplyBecomesALinearFlowTheValidatorAccepts) {
  Result<std::string> yaml = FlowYamlFromReply(kTutorReply, TutorBrief(), TextLimits{});
  ASSERT_TRUE(yaml.ok()) << yaml.status().ToString();
  Result<chat::Flow> flow = chat::ParseFlow(*yaml);
  ASSERT_TRUE(flow.ok()) << flow.status().ToString() << "\n" << *yaml;
  EXPECT_EQ(flow->name, "spanish_tutor");
  ASSERT_EQ(flow->stages.size(), 5u);
  EXPECT_EQ(flow->start, "hello");
  EXPECT_EQ(flow->stages[1].name, "warm_up");
  EXPECT_EQ(flow->stages[2].name, "warm_up_2");
  EXPECT_EQ(flow->stages[3].name, "stage_4");
  EXPECT_TRUE(flow->stages[0].opens_conversation);
  EXPECT_FALSE(flow->stages[1].opens_conversation);
  // Each stage leads to the next once the running total of messages is reached.
  ASSERT_EQ(flow->stages[0].transitions.size(), 1u);
  EXPECT_EQ(flow->stages[0].transitions[0].to, "warm_up");
  EXPECT_EQ(flow->stages[0].transitions[0].when.messages_at_least, 4);
  EXPECT_FALSE(flow->stages[0].transitions[0].when.affinity_at_least.has_value());
  EXPECT_EQ(flow->stages[1].transitions[0].when.messages_at_least, 10);
  EXPECT_EQ(flow->stages[1].transitions[0].when.affinity_at_least, 0.1);
  EXPECT_EQ(flow->stages[3].transitions[0].when.messages_at_least, 26);
  EXPECT_TRUE(flow->stages[4].transitions.empty());
  for (const chat::Stage& stage : flow->stages) EXPECT_EQ(stage.romance, chat::Romance::kNone);
  EXPECT_EQ(flow->stages[0].prompt, "Greet {{user}} in easy Spanish.");
}

TEST(FlowGenerationTest, StageNamesAreCleanedAndNeverEmpty) {
  EXPECT_EQ(StageNameFrom("  Ice Breaker!! ", 0), "ice_breaker");
  EXPECT_EQ(StageNameFrom("***", 2), "stage_3");
  EXPECT_EQ(StageNameFrom("Über-Stage 2", 0), "ber_stage_2");
  EXPECT_EQ(StageNameFrom(std::string(100, 'a'), 0).size(), 40u);
}

TEST(FlowGenerationTest, TheSafetyGateAndTheSchemaRefuseBadReplies) {
  const std::string romantic = FlowReply({{"meet", "Say hello.", 4, 0.0},
                                          {"date", "Plan a romantic date with {{user}}.", 6, 0.0},
                                          {"a", "x", 4, 0.0},
                                          {"b", "y", 4, 0.0},
                                          {"c", "z", 4, 0.0}});
  EXPECT_TRUE(FlowYamlFromReply(romantic, TutorBrief(false), TextLimits{}).ok());
  Result<std::string> refused = FlowYamlFromReply(romantic, TutorBrief(true), TextLimits{});
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().field(), HasSubstr("flow.stages.date"));
  EXPECT_THAT(refused.status().message(), HasSubstr("minor"));

  const std::string too_short = FlowReply({{"a", "x", 4, 0.0}, {"b", "y", 4, 0.0}});
  EXPECT_EQ(FlowYamlFromReply(too_short, TutorBrief(), TextLimits{}).status().code(), StatusCode::kInvalidArgument);
  const std::string off_menu = FlowReply({{"a", "x", 3, 0.0}, {"b", "y", 4, 0.0}, {"c", "y", 4, 0.0},
                                          {"d", "y", 4, 0.0}, {"e", "y", 4, 0.0}});
  EXPECT_THAT(FlowYamlFromReply(off_menu, TutorBrief(), TextLimits{}).status().message(), HasSubstr("messages"));
}

TEST(FlowGenerationTest, BlankOrBadBriefsAreRefusedByField) {
  FlowBrief brief = TutorBrief();
  brief.topic = " ";
  EXPECT_EQ(CheckFlowBrief(brief).field(), "topic");
  brief = TutorBrief();
  brief.goal = std::string(kMaxBriefTextChars + 1, 'g');
  EXPECT_EQ(CheckFlowBrief(brief).field(), "goal");
  brief = TutorBrief();
  brief.min_stages = 8;
  EXPECT_EQ(CheckFlowBrief(brief).field(), "stages");
}

TEST(FlowGenerationTest, ARemoteModelGetsTheOutlineThenEachStageAndIsAskedAgainAfterABadReply) {
  testing::FaultHttpServer server;
  std::vector<std::string> replies = {
      R"({"name":"Spanish Tutor","stages":["hello"]})",  // too few stages: asked again
      R"({"name":"Spanish Tutor","stages":["Hello!","Warm up","warm up","***","Final chat"]})"};
  for (const auto& [prompt, messages] : std::vector<std::pair<std::string, int>>{
           {"Greet {{user}} in easy Spanish.", 4}, {"Practise greetings.", 6}, {"Practise numbers.", 6},
           {"Talk about food.", 10}, {"Hold a whole conversation.", 8}}) {
    replies.push_back(nlohmann::ordered_json{{"prompt", prompt}, {"messages", messages}, {"affinity", 0.1}}.dump());
  }
  for (const std::string& content : replies) testing::ScriptReply(server, content);
  std::unique_ptr<llm::Provider> provider = testing::ScriptedProvider(server);
  ASSERT_NE(provider, nullptr);
  std::vector<std::string> progress;
  FlowGeneratorOptions generator_options;
  generator_options.on_progress = [&progress](int question, int questions, int attempt) {
    progress.push_back(std::to_string(question) + "/" + std::to_string(questions) + "#" + std::to_string(attempt));
  };
  Result<GeneratedFlow> generated = GenerateFlow(*provider, TutorBrief(), generator_options);
  ASSERT_TRUE(generated.ok()) << generated.status().ToString();
  Result<chat::Flow> flow = chat::ParseFlow(generated->yaml);
  ASSERT_TRUE(flow.ok());
  ASSERT_EQ(flow->stages.size(), 5u);
  EXPECT_EQ(flow->stages[2].name, "warm_up_2");
  EXPECT_EQ(flow->stages[3].prompt, "Talk about food.");
  EXPECT_EQ(flow->stages[3].transitions[0].when.messages_at_least, 26);
  EXPECT_EQ(progress, (std::vector<std::string>{"1/8#1", "1/8#2", "2/6#1", "3/6#1", "4/6#1", "5/6#1", "6/6#1"}));
  const std::vector<testing::FaultHttpServer::Request> requests = server.requests();
  ASSERT_EQ(requests.size(), 7u);
  const nlohmann::json outline = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(outline["response_format"]["json_schema"]["name"], "flow_outline");
  EXPECT_EQ(outline["response_format"]["json_schema"]["schema"]["properties"]["stages"]["minItems"], 5);
  const nlohmann::json stage = nlohmann::json::parse(requests[4].body);
  EXPECT_EQ(stage["response_format"]["json_schema"]["name"], "flow_stage");
  EXPECT_THAT(stage.dump(), HasSubstr("This stage: warm up (3 of 5)"));
}

TEST(FlowGenerationTest, TheLocalEngineWritesAFlowTheValidatorAccepts) {
  std::unique_ptr<llm::Provider> provider = testing::StoriesProvider();
  ASSERT_NE(provider, nullptr);
  FlowGeneratorOptions options;
  options.limits = LimitsForContext(provider->info().context_length);
  options.seed = 3;
  const FlowBrief brief = TutorBrief();
  Result<GeneratedFlow> generated = GenerateFlow(*provider, brief, options);
  ASSERT_TRUE(generated.ok()) << generated.status().ToString();
  Result<chat::Flow> flow = chat::ParseFlow(generated->yaml);
  ASSERT_TRUE(flow.ok()) << flow.status().ToString();
  EXPECT_TRUE(chat::ValidateFlow(*flow, {}).ok());
  EXPECT_GE(flow->stages.size(), 5u);
  EXPECT_LE(flow->stages.size(), 7u);
}

}  // namespace
}  // namespace troupe::studio
