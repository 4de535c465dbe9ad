#include "chat/flow.h"

#include <gtest/gtest.h>

namespace troupe::chat {
namespace {

constexpr char kRelationship[] = R"(
name: relationship
start: ice_breaker
moods:
  options:
    - {name: playful, weight: 3, prompt: "Playful."}
    - {name: thoughtful, weight: 1, prompt: "Thoughtful."}
  rules:
    - {when: {sentiment_trend_below: -0.3}, mood: thoughtful}
stages:
  ice_breaker:
    prompt: "Break the ice."
    opens_conversation: true
    transitions:
      - {to: friendly, when: {messages_at_least: 10}}
  friendly:
    prompt: "Be friendly."
    transitions:
      - {to: close, when: {messages_at_least: 30, affinity_at_least: 0.3}}
  close:
    prompt: "Be close."
    romance: flirty
    transitions:
      - {to: friendly, when: {affinity_below: 0.1}}
)";

Flow Parsed(const std::string& yaml) {
  Result<Flow> flow = ParseFlow(yaml);
  EXPECT_TRUE(flow.ok()) << flow.status().ToString();
  return flow.ok() ? *flow : Flow{};
}

std::string ErrorOf(const std::string& yaml, CharacterTraits traits = {}) {
  Result<Flow> flow = ParseFlow(yaml);
  if (!flow.ok()) return flow.status().message();
  Status valid = ValidateFlow(*flow, traits);
  return valid.ok() ? "" : valid.message();
}

TEST(FlowTest, ParsesStagesTransitionsAndMoods) {
  Flow flow = Parsed(kRelationship);
  EXPECT_EQ(flow.name, "relationship");
  ASSERT_EQ(flow.stages.size(), 3u);
  EXPECT_TRUE(flow.FindStage("ice_breaker")->opens_conversation);
  EXPECT_EQ(flow.FindStage("close")->romance, Romance::kFlirty);
  EXPECT_EQ(flow.FindStage("friendly")->transitions.at(0).when.messages_at_least, 30);
  EXPECT_EQ(flow.moods.size(), 2u);
  EXPECT_TRUE(ValidateFlow(flow, {}).ok());
}

TEST(FlowTest, ErrorsNameTheFieldAndThePosition) {
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    promt: hi\n"),
            "stages.a.promt: unknown key (known: prompt, romance, opens_conversation, provider, sampling, reply, "
            "proactive, transitions) (line 3, column 5)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    sampling: {temperature: hot}\n"),
            "stages.a.sampling.temperature: expected a number, got 'hot' (line 3, column 29)");
  EXPECT_EQ(ErrorOf("stages: {}\n"), "stages: a flow needs at least one stage (line 1, column 9)");
  EXPECT_NE(ErrorOf("stages: [\n").find("not valid YAML"), std::string::npos);
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    transitions:\n      - {to: b}\n"),
            "stages.a.transitions[0].to: unknown stage 'b'");
  EXPECT_EQ(ErrorOf("start: nowhere\nstages:\n  a: {}\n"), "start: unknown stage 'nowhere'");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    reply: {split: words}\n"),
            "stages.a.reply.split: must be none, paragraph or sentence, got 'words' (line 3, column 20)");
}

TEST(FlowTest, ACycleThatCanNeverStopHoldingIsRejected) {
  const std::string message = ErrorOf(
      "stages:\n  a:\n    transitions: [{to: b, when: {messages_at_least: 2}}]\n"
      "  b:\n    transitions: [{to: a}]\n");
  EXPECT_NE(message.find("the cycle a -> b -> a has no exit"), std::string::npos) << message;
  // A condition that can stop holding is an exit.
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    transitions: [{to: b, when: {affinity_at_least: 0.5}}]\n"
                    "  b:\n    transitions: [{to: a, when: {affinity_below: 0.2}}]\n"),
            "");
}

TEST(FlowTest, AMinorCanNeverEnterARomanticOrFlirtyStage) {
  EXPECT_EQ(ErrorOf(kRelationship, {true}),
            "stages.close.romance: the character is a minor, so no stage may be flirty");
  const std::string sneaky = "stages:\n  a:\n    prompt: \"Flirt a little with {{user}}.\"\n";
  EXPECT_EQ(ErrorOf(sneaky, {false}), "");
  EXPECT_EQ(ErrorOf(sneaky, {true}),
            "stages.a.prompt: the character is a minor and this stage's prompt uses romantic wording ('flirt')");
  // Whole words only: "dated" and "flirtatious-free" spelling aside, "kissing" counts, "kiss" in "kismet" not.
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    prompt: \"Talk about kismet and updates.\"\n", {true}), "");
}

TEST(FlowTest, TraitsComeFromTheCardsTroupeExtension) {
  EXPECT_TRUE(TraitsFromExtensions(R"({"troupe":{"minor":true}})").minor);
  EXPECT_TRUE(TraitsFromExtensions(R"({"troupe":{"age":11}})").minor);
  EXPECT_FALSE(TraitsFromExtensions(R"({"troupe":{"age":30}})").minor);
  EXPECT_FALSE(TraitsFromExtensions(R"({"other":1})").minor);
  EXPECT_FALSE(TraitsFromExtensions("not json").minor);
}

TEST(FlowTest, AdvanceFollowsTransitionsAndDrawsMoodsDeterministically) {
  Flow flow = Parsed(kRelationship);
  ConversationSignals signals;
  FlowStep start = Advance(flow, {}, signals, 1);
  EXPECT_EQ(start.state.stage, "ice_breaker");
  EXPECT_TRUE(start.stage_changed);
  EXPECT_FALSE(start.state.mood.empty());

  signals.message_count = 10;
  FlowStep friendly = Advance(flow, start.state, signals, 2);
  EXPECT_EQ(friendly.state.stage, "friendly");
  signals.message_count = 40;
  EXPECT_EQ(Advance(flow, friendly.state, signals, 3).state.stage, "friendly");  // affinity too low
  signals.affinity = 0.5;
  FlowStep close = Advance(flow, friendly.state, signals, 3);
  EXPECT_EQ(close.state.stage, "close");
  // Staying in a stage keeps the mood; the same seed draws the same mood.
  EXPECT_EQ(Advance(flow, close.state, signals, 99).state.mood, close.state.mood);
  EXPECT_EQ(Advance(flow, friendly.state, signals, 3).state.mood, close.state.mood);
  // A falling sentiment trend picks the rule's mood.
  signals.affinity = 0.05;
  signals.sentiment_trend = -0.5;
  FlowStep back = Advance(flow, close.state, signals, 4);
  EXPECT_EQ(back.state.stage, "friendly");
  EXPECT_EQ(back.state.mood, "thoughtful");

  // Weighted draws follow the weights (3:1) over many seeds.
  int playful = 0;
  signals = {};
  for (uint64_t seed = 0; seed < 4000; ++seed) playful += Advance(flow, {}, signals, seed).state.mood == "playful";
  EXPECT_NEAR(playful / 4000.0, 0.75, 0.03);
}

TEST(FlowTest, ProactiveTimingHonoursBackoffCapsAndQuietHours) {
  constexpr int64_t kMinute = 60'000;
  constexpr int64_t kDay = 1440 * kMinute;
  const int64_t midnight = 20'000 * kDay;
  ProactivePolicy policy;
  policy.after_minutes = 60;
  policy.backoff_factor = 2;
  policy.max_unanswered = 2;
  policy.daily_cap = 1;
  const int64_t noon = midnight + 720 * kMinute;
  EXPECT_EQ(NextProactiveAt(policy, noon, 0, 0, noon), noon + 60 * kMinute);
  EXPECT_EQ(NextProactiveAt(policy, noon, 1, 0, noon), noon + 120 * kMinute);
  EXPECT_EQ(NextProactiveAt(policy, noon, 2, 0, noon), std::nullopt);
  EXPECT_EQ(NextProactiveAt(policy, noon, 0, 1, noon), midnight + kDay);  // the cap: tomorrow
  policy.quiet_hours = "22:00-08:00";
  const int64_t late = midnight + 21 * 60 * kMinute + 30 * kMinute;  // 21:30, due 22:30: quiet
  EXPECT_EQ(NextProactiveAt(policy, late, 0, 0, late), midnight + kDay + 8 * 60 * kMinute);
}

TEST(FlowTest, DefaultFlowIsOneValidStage) {
  Flow flow = DefaultFlow();
  ASSERT_EQ(flow.stages.size(), 1u);
  EXPECT_TRUE(ValidateFlow(flow, {true}).ok());
}

}  // namespace
}  // namespace troupe::chat
