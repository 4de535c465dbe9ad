// Flow optimization: edits land on the flow's YAML with every other field kept, a stage the flow
// lacks or an edit that breaks the validator (the minors' gate included) is refused, the model sees
// each stage's figures, a scripted OpenAI-compatible server's edits come back as a proposal with
// its unified diff, and on the local engine (stories260K) a proposal is structurally valid.
#include "studio/flow_optimizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "studio_providers.h"

namespace troupe::studio {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kThreeStageFlow = R"(name: steps
start: intro
stages:
  intro:
    prompt: Say hello.
    sampling: {temperature: 0.8, max_tokens: 40}
    transitions:
      - to: friendly
        when: {messages_at_least: 2}
  friendly:
    prompt: Be friendly.
    transitions:
      - to: close
        when: {messages_at_least: 4, affinity_at_least: 0.2}
  close:
    prompt: Be close.
)";

StageFunnel StepsFunnel() {
  StageFunnel funnel;
  funnel.stages = {{.name = "intro", .at_stage = 6, .reached = 10, .drop_off = 6, .drop_off_rate = 0.6},
                   {.name = "friendly", .at_stage = 3, .reached = 4, .drop_off = 3, .drop_off_rate = 0.75,
                    .sentiment_count = 5, .sentiment_mean = -0.2, .replies = 8, .regenerated = 2,
                    .regenerated_rate = 0.25},
                   {.name = "close", .at_stage = 1, .reached = 1, .rating_count = 1, .rating_mean = 1.0}};
  return funnel;
}

TEST(FlowOptimizerTest, EditsChangeOnlyWhatTheyNameAndKeepEveryOtherField) {
  std::vector<FlowEdit> edits = {{"intro", "Say hello and ask one easy question.", 3, "users leave early"},
                                 {"close", "", 9, "no message count to change: dropped"}};
  Result<std::string> edited = ApplyFlowEdits(kThreeStageFlow, edits, {});
  ASSERT_TRUE(edited.ok()) << edited.status().ToString();
  Result<chat::Flow> flow = chat::ParseFlow(*edited);
  ASSERT_TRUE(flow.ok()) << flow.status().ToString();
  EXPECT_EQ(flow->stages[0].prompt, "Say hello and ask one easy question.");
  EXPECT_EQ(flow->stages[0].transitions[0].when.messages_at_least, 3);
  EXPECT_EQ(flow->stages[0].sampling.max_tokens, 40);  // kept
  EXPECT_EQ(flow->stages[1].prompt, "Be friendly.");
  EXPECT_EQ(flow->stages[1].transitions[0].when.affinity_at_least, 0.2);
  EXPECT_EQ(flow->stages[2].prompt, "Be close.");
  EXPECT_TRUE(flow->stages[2].transitions.empty());
}

TEST(FlowOptimizerTest, AnUnknownStageOrAFlowTheValidatorRefusesIsAnError) {
  EXPECT_EQ(ApplyFlowEdits(kThreeStageFlow, {{"outro", "x", std::nullopt, "r"}}, {}).status().field(),
            "edits[0].stage");
  Result<std::string> romantic =
      ApplyFlowEdits(kThreeStageFlow, {{"close", "Be romantic with {{user}}.", std::nullopt, "r"}}, {.minor = true});
  ASSERT_FALSE(romantic.ok());
  EXPECT_THAT(romantic.status().field(), HasSubstr("flow.stages.close"));
  EXPECT_TRUE(ApplyFlowEdits(kThreeStageFlow, {{"close", "Be romantic with {{user}}.", std::nullopt, "r"}}, {}).ok());
}

TEST(FlowOptimizerTest, TheModelSeesEachStagesFigures) {
  const std::string summary = PerformanceSummary(StepsFunnel());
  EXPECT_THAT(summary, HasSubstr("intro | 10 | 60% | - | - | -\n"));
  EXPECT_THAT(summary, HasSubstr("friendly | 4 | 75% | -0.20 | - | 25%\n"));
  EXPECT_THAT(summary, HasSubstr("close | 1 | - | - | 1.00 | -\n"));
  const chat::Flow flow = chat::ParseFlow(kThreeStageFlow).value();
  const nlohmann::json schema = nlohmann::json::parse(FlowEditSchema(flow, TextLimits{}));
  EXPECT_EQ(schema["properties"]["edits"]["items"]["properties"]["stage"]["enum"],
            nlohmann::json::array({"intro", "friendly", "close"}));
  EXPECT_EQ(ReadFlowEdits(R"({"edits":[{"stage":"outro","prompt":"","messages_at_least":0,"reason":"r"}]})", flow,
                          TextLimits{})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(FlowOptimizerTest, ARemoteModelsEditsComeBackAsAProposalWithItsDiff) {
  testing::FaultHttpServer server;
  testing::ScriptReply(
      server, R"({"edits":[{"stage":"friendly","prompt":"Be friendly and ask about their day.","messages_at_least":0,)"
              R"("reason":"sentiment falls here"}]})");
  std::unique_ptr<llm::Provider> provider = testing::ScriptedProvider(server);
  ASSERT_NE(provider, nullptr);
  Result<FlowProposal> proposal = ProposeFlowEdits(*provider, kThreeStageFlow, {}, StepsFunnel(), FlowOptimizerOptions{});
  ASSERT_TRUE(proposal.ok()) << proposal.status().ToString();
  ASSERT_EQ(proposal->edits.size(), 1u);
  EXPECT_EQ(proposal->edits[0].reason, "sentiment falls here");
  EXPECT_FALSE(proposal->edits[0].messages_at_least.has_value());
  EXPECT_THAT(proposal->diff, HasSubstr("-    prompt: Be friendly.\n+    prompt: Be friendly and ask about their day.\n"));
  EXPECT_THAT(proposal->diff, HasSubstr("--- flow\n+++ flow (proposed)\n"));
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_THAT(server.requests()[0].body, HasSubstr("friendly | 4 | 75%"));
}

TEST(FlowOptimizerTest, TheLocalEngineProposesEditsToTheFlowsOwnStages) {
  std::unique_ptr<llm::Provider> provider = testing::StoriesProvider();
  ASSERT_NE(provider, nullptr);
  FlowOptimizerOptions options;
  options.limits = LimitsForContext(provider->info().context_length);
  options.max_edits = 1;  // what 512 tokens of context leave room for after the prompt
  // Without reply counts, so the summary has no regenerated column: stories260K's 512 tokens hold
  // the prompt and a one-edit reply with nothing to spare.
  StageFunnel funnel = StepsFunnel();
  for (FunnelStage& stage : funnel.stages) stage.regenerated_rate.reset();
  Result<FlowProposal> proposal = ProposeFlowEdits(*provider, kThreeStageFlow, {}, funnel, options);
  ASSERT_TRUE(proposal.ok()) << proposal.status().ToString();
  ASSERT_EQ(proposal->edits.size(), 1u);
  for (const FlowEdit& edit : proposal->edits) EXPECT_THAT(edit.stage, ::testing::AnyOf("intro", "friendly", "close"));
  Result<chat::Flow> after = chat::ParseFlow(proposal->yaml_after);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_TRUE(chat::ValidateFlow(*after, {}).ok());
  EXPECT_EQ(proposal->diff.empty(), proposal->yaml_before == proposal->yaml_after);
}

}  // namespace
}  // namespace troupe::studio
