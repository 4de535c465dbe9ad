// The stage funnel on hand-made stage figures: reach accumulates from the last stage of the flow's
// order back, a conversation the flow has not run on counts at the start stage (wherever the flow
// lists it), stages the flow lacks are kept apart, and means are null where nothing was measured.
#include "studio/stage_funnel.h"

#include <gtest/gtest.h>

namespace troupe::studio {
namespace {

chat::Flow FunnelTestFlow() {
  chat::Flow flow;
  flow.name = "order";
  flow.start = "b";
  for (const char* name : {"a", "b", "c"}) {
    chat::Stage stage;
    stage.name = name;
    flow.stages.push_back(stage);
  }
  return flow;
}

store::AnalyticsStage FunnelTestStage(const std::string& name, int64_t conversations) {
  store::AnalyticsStage stage;
  stage.name = name;
  stage.conversations = conversations;
  return stage;
}

TEST(StageFunnelTest, ReachFollowsTheFlowsOrderAndUnstartedCountAtTheStart) {
  std::vector<store::AnalyticsStage> figures = {FunnelTestStage("", 2), FunnelTestStage("a", 3),
                                                FunnelTestStage("b", 1), FunnelTestStage("c", 4),
                                                FunnelTestStage("old", 5)};
  figures[3].sentiment_count = 2;
  figures[3].sentiment_sum = 0.5;
  figures[3].rating_count = 4;
  figures[3].rating_sum = -2;
  const StageFunnel funnel = BuildStageFunnel(FunnelTestFlow(), figures);
  ASSERT_EQ(funnel.stages.size(), 3u);
  EXPECT_EQ(funnel.stages[0].name, "a");
  EXPECT_EQ(funnel.stages[0].at_stage, 3);
  EXPECT_EQ(funnel.stages[0].reached, 10);  // 3 + (2 + 1) + 4
  EXPECT_EQ(funnel.stages[0].drop_off, 3);
  EXPECT_DOUBLE_EQ(*funnel.stages[0].drop_off_rate, 0.3);
  EXPECT_EQ(funnel.stages[1].at_stage, 3);  // "" counts at the start, b
  EXPECT_EQ(funnel.stages[1].reached, 7);
  EXPECT_EQ(funnel.stages[1].drop_off, 3);
  EXPECT_EQ(funnel.stages[2].reached, 4);
  EXPECT_FALSE(funnel.stages[2].drop_off.has_value());
  EXPECT_FALSE(funnel.stages[2].drop_off_rate.has_value());
  EXPECT_DOUBLE_EQ(*funnel.stages[2].sentiment_mean, 0.25);
  EXPECT_DOUBLE_EQ(*funnel.stages[2].rating_mean, -0.5);
  EXPECT_FALSE(funnel.stages[0].sentiment_mean.has_value());
  ASSERT_EQ(funnel.other.size(), 1u);
  EXPECT_EQ(funnel.other[0].name, "old");
  EXPECT_EQ(funnel.other[0].at_stage, 5);
}

TEST(StageFunnelTest, NoConversationsLeaveRatesNull) {
  const StageFunnel funnel = BuildStageFunnel(FunnelTestFlow(), {});
  ASSERT_EQ(funnel.stages.size(), 3u);
  EXPECT_EQ(funnel.stages[0].reached, 0);
  EXPECT_EQ(funnel.stages[0].drop_off, 0);
  EXPECT_FALSE(funnel.stages[0].drop_off_rate.has_value());
  EXPECT_TRUE(funnel.other.empty());
}

}  // namespace
}  // namespace troupe::studio
