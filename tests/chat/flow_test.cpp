#include "chat/flow.h"

#include <gtest/gtest.h>

#include <map>

namespace troupe::chat {
namespace {

constexpr char kRelationship[] = R"(
name: relationship
start: ice_breaker
moods:
  selection: rule
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
    proactive: {after_minutes: 90, quiet_hours: "22:00-08:00", daily_cap: 2}
    transitions:
      - {to: close, when: {messages_at_least: 30, affinity_at_least: 0.3}}
  close:
    prompt: "Be close."
    romance: flirty
    sampling: {temperature: 0.9, frequency_penalty: 0.5, max_tokens: 300}
    reply: {split: sentence, max_messages: 4, max_sentences: 6, typing_chars_per_second: 0}
    transitions:
      - {to: friendly, when: {affinity_below: 0.1}}
)";

Flow Parsed(const std::string& yaml) {
  Result<Flow> flow = ParseFlow(yaml);
  EXPECT_TRUE(flow.ok()) << flow.status().ToString();
  return flow.ok() ? *flow : Flow{};
}

// The first error for `yaml`, from parsing or validating; "" when there is none.
std::string ErrorOf(const std::string& yaml, CharacterTraits traits = {}) {
  Result<Flow> flow = ParseFlow(yaml);
  if (!flow.ok()) return flow.status().message();
  Status valid = ValidateFlow(*flow, traits);
  return valid.ok() ? "" : valid.message();
}

std::string FieldOf(const std::string& yaml, CharacterTraits traits = {}) {
  Result<Flow> flow = ParseFlow(yaml);
  if (!flow.ok()) return flow.status().field();
  return ValidateFlow(*flow, traits).field();
}

TEST(FlowTest, ParsesStagesTransitionsMoodsAndStyles) {
  Flow flow = Parsed(kRelationship);
  EXPECT_EQ(flow.name, "relationship");
  EXPECT_EQ(flow.start, "ice_breaker");
  ASSERT_EQ(flow.stages.size(), 3u);
  EXPECT_TRUE(flow.FindStage("ice_breaker")->opens_conversation);
  EXPECT_EQ(flow.FindStage("ice_breaker")->sampling.max_tokens, 0);  // the runtime's default
  const Stage& close = *flow.FindStage("close");
  EXPECT_EQ(close.romance, Romance::kFlirty);
  EXPECT_EQ(close.sampling.temperature, 0.9);
  EXPECT_EQ(close.sampling.frequency_penalty, 0.5);
  EXPECT_EQ(close.sampling.max_tokens, 300);
  EXPECT_EQ(close.reply.split, SplitMode::kSentence);
  EXPECT_EQ(close.reply.max_messages, 4);
  EXPECT_EQ(close.reply.max_sentences, 6);
  EXPECT_EQ(close.reply.typing_chars_per_second, 0);
  EXPECT_EQ(flow.FindStage("friendly")->transitions.at(0).when.messages_at_least, 30);
  EXPECT_EQ(flow.FindStage("friendly")->transitions.at(0).when.affinity_at_least, 0.3);
  const ProactivePolicy& proactive = *flow.FindStage("friendly")->proactive;
  EXPECT_EQ(proactive.after_minutes, 90);
  ASSERT_TRUE(proactive.quiet_hours.has_value());
  EXPECT_EQ(proactive.quiet_hours->from_minute, 22 * 60);
  EXPECT_EQ(proactive.quiet_hours->to_minute, 8 * 60);
  EXPECT_EQ(proactive.daily_cap, 2);
  EXPECT_EQ(flow.mood_selection, MoodSelection::kRule);
  EXPECT_EQ(flow.moods.size(), 2u);
  EXPECT_TRUE(ValidateFlow(flow, {}).ok());
  // Without `start`, the first stage listed; without rules, weighted moods.
  Flow simple = Parsed("moods: {options: [{name: calm}]}\nstages:\n  b: {}\n  a:\n    transitions: [{to: b}]\n");
  EXPECT_EQ(simple.start, "b");
  EXPECT_EQ(simple.mood_selection, MoodSelection::kWeighted);
}

TEST(FlowTest, ParseErrorsNameTheFieldAndThePosition) {
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    promt: hi\n"),
            "stages.a.promt: unknown key (known: prompt, romance, opens_conversation, provider, sampling, reply, "
            "proactive, voice, pictures, transitions) (line 3, column 5)");
  EXPECT_EQ(ErrorOf("nme: x\nstages: {a: {}}\n"), "nme: unknown key (known: name, start, moods, stages) (line 1, column 1)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    prompt: one\n    prompt: two\n"), "stages.a.prompt: given twice (line 4, column 5)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    sampling: {temperature: hot}\n"),
            "stages.a.sampling.temperature: expected a number, got 'hot' (line 3, column 29)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    sampling: {top_k: 2.5}\n"),
            "stages.a.sampling.top_k: expected a whole number, got '2.5' (line 3, column 23)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    sampling: {top_p: 1.5}\n"),
            "stages.a.sampling.top_p: must be between 0 and 1, got '1.5' (line 3, column 23)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    opens_conversation: maybe\n"),
            "stages.a.opens_conversation: expected true or false, got 'maybe' (line 3, column 25)");
  EXPECT_EQ(ErrorOf("stages: {}\n"), "stages: a flow needs at least one stage (line 1, column 9)");
  EXPECT_EQ(ErrorOf("name: x\n"), "stages: is required (line 1, column 1)");
  EXPECT_EQ(ErrorOf(""), "a flow is a mapping with the keys name, start, moods and stages; got nothing");
  EXPECT_EQ(ErrorOf("stages:\n  \"ice breaker\": {}\n"),
            "stages: stage names are 1 to 64 letters, digits, '_' or '-'; got 'ice breaker' (line 2, column 3)");
  EXPECT_EQ(ErrorOf("stages:\n  a: {}\n  a: {}\n"), "stages.a: the stage is defined twice (line 3, column 3)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    reply: {split: words}\n"),
            "stages.a.reply.split: must be none, paragraph or sentence, got 'words' (line 3, column 20)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    reply: {min_delay_ms: 900, max_delay_ms: 100}\n"),
            "stages.a.reply.max_delay_ms: must not be below min_delay_ms (line 3, column 46)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    transitions:\n      - {when: {messages_at_least: 3}}\n"),
            "stages.a.transitions[0].to: is required (line 4, column 9)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    transitions: [{to: a, when: {messages_at_least: -1}}]\n"),
            "stages.a.transitions[0].when.messages_at_least: must be between 0 and 1000000, got '-1' (line 3, column "
            "53)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    proactive: {quiet_hours: \"10pm-8am\"}\n"),
            "stages.a.proactive.quiet_hours: expected HH:MM-HH:MM in UTC (e.g. \"22:00-08:00\"), got '10pm-8am' "
            "(line 3, column 30)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    proactive: {quiet_hours: \"08:00-08:00\"}\n"),
            "stages.a.proactive.quiet_hours: the quiet hours must be neither empty nor the whole day (line 3, column 30)");
  EXPECT_EQ(ErrorOf("moods:\n  selection: random\n  options: [{name: a}]\nstages: {a: {}}\n"),
            "moods.selection: must be weighted or rule, got 'random' (line 2, column 14)");
  EXPECT_EQ(ErrorOf("moods:\n  selection: rule\n  options: [{name: a}]\nstages: {a: {}}\n"),
            "moods.rules: selection: rule needs at least one rule (line 2, column 14)");
  EXPECT_EQ(ErrorOf("moods:\n  selection: weighted\n  options: [{name: a}]\n  rules: [{mood: a}]\nstages: {a: {}}\n"),
            "moods.rules: rules apply only with selection: rule (selection is weighted) (line 4, column 10)");
  EXPECT_EQ(ErrorOf("moods:\n  options: [{name: a, weight: 0}, {name: b, weight: 0}]\nstages: {a: {}}\n"),
            "moods.options: at least one weight must be above 0 (line 2, column 12)");
  EXPECT_EQ(ErrorOf("moods:\n  options: [{name: a}, {name: a}]\nstages: {a: {}}\n"),
            "moods.options[1].name: the mood is defined twice (line 2, column 31)");
  EXPECT_NE(ErrorOf("stages: [\n").find("not valid YAML"), std::string::npos);
}

TEST(FlowTest, ValidationErrorsNameTheFieldAndThePosition) {
  const std::string typo = R"(start: ice_breaker
stages:
  ice_breaker:
    transitions:
      - {to: close, when: {messages_at_least: 30}}
  close:
    transitions:
      - to: ice_breaker
        when: {affinity_below: 0.1}
      - to: closer
)";
  EXPECT_EQ(ErrorOf(typo), "stages.close.transitions[1].to: unknown stage 'closer' (line 10, column 13)");
  EXPECT_EQ(FieldOf(typo), "stages.close.transitions[1].to");
  EXPECT_EQ(ErrorOf("start: nowhere\nstages:\n  a: {}\n"), "start: unknown stage 'nowhere' (line 1, column 8)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    transitions: [{to: a, when: {affinity_below: 0}}]\n"),
            "stages.a.transitions[0].to: a stage cannot move to itself (line 3, column 24)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    transitions: [{to: b, when: {affinity_at_least: 0.5, affinity_below: 0.2}}]\n"
                    "  b: {}\n"),
            "stages.a.transitions[0].when: can never hold: affinity_at_least is not below affinity_below (line 3, "
            "column 33)");
  EXPECT_EQ(ErrorOf("moods:\n  options: [{name: calm}]\n  rules: [{mood: clam}]\nstages: {a: {}}\n"),
            "moods.rules[0].mood: unknown mood 'clam' (line 3, column 18)");
  // A stage nothing leads to is a forgotten transition.
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    transitions: [{to: b}]\n  b: {}\n  c: {}\n"),
            "stages.c: unreachable: no transition leads here from the start stage 'a' (add a transition to it, or "
            "remove the stage) (line 5, column 3)");
  // A flow built in code has no positions to give.
  Flow built = DefaultFlow();
  built.start = "elsewhere";
  EXPECT_EQ(ValidateFlow(built, {}).message(), "start: unknown stage 'elsewhere'");
}

TEST(FlowTest, ACycleWithoutExitIsRejectedNamingItsStages) {
  const std::string message = ErrorOf(
      "stages:\n  a:\n    transitions: [{to: b, when: {messages_at_least: 2}}]\n"
      "  b:\n    transitions: [{to: c}]\n  c:\n    transitions: [{to: a, when: {messages_at_least: 5}}]\n");
  EXPECT_NE(message.find("stages.c.transitions[0]: the cycle a -> b -> c -> a has no exit"), std::string::npos)
      << message;
  EXPECT_NE(message.find("(line 7, column 19)"), std::string::npos) << message;
  // One condition that can stop holding is an exit, as is a cycle that needs it to close.
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    transitions: [{to: b, when: {affinity_at_least: 0.5}}]\n"
                    "  b:\n    transitions: [{to: a, when: {messages_at_least: 3}}]\n"),
            "");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    transitions: [{to: b, when: {messages_at_least: 3, intent: bye}}]\n"
                    "  b:\n    transitions: [{to: a}]\n"),
            "");
  // Transitions with only message counts that lead somewhere new are no cycle.
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    transitions: [{to: b}]\n  b:\n    transitions: [{to: c}]\n  c: {}\n"), "");
}

TEST(FlowTest, AMinorCanNeverEnterARomanticOrFlirtyStage) {
  EXPECT_EQ(ErrorOf(kRelationship, {true}),
            "stages.close.romance: the character is a minor, so no stage may be flirty (line 24, column 14)");
  EXPECT_EQ(ErrorOf(kRelationship, {false}), "");
  // Romantic wording is refused wherever the model would read it, whatever `romance` says.
  const std::map<std::string, std::string> sneaky = {
      {"stages:\n  a:\n    prompt: \"Flirt a little with {{user}}.\"\n", "stages.a.prompt: the character is a minor, "
                                                                           "so romantic wording ('flirt') is not "
                                                                           "allowed here (line 3, column 13)"},
      {"stages:\n  a:\n    prompt: \"Plan a DATE NIGHT.\"\n", "stages.a.prompt: the character is a minor, so romantic "
                                                             "wording ('date night') is not allowed here (line 3, "
                                                             "column 13)"},
      {"stages:\n  a:\n    prompt: \"She has a crush on {{user}}.\"\n", "stages.a.prompt: the character is a "
                                                                        "minor, so romantic wording ('crush on') is "
                                                                        "not allowed here (line 3, column 13)"},
      {"stages:\n  a:\n    proactive: {prompt: \"Send a kiss.\"}\n", "stages.a.proactive.prompt: the character is a "
                                                                    "minor, so romantic wording ('kiss') is not "
                                                                    "allowed here (line 3, column 25)"},
      {"stages:\n  sweethearts: {}\n", "stages.sweethearts: the character is a minor, so romantic wording "
                                       "('sweethearts') is not allowed here (line 2, column 3)"},
      {"moods:\n  options: [{name: shy, prompt: \"{{char}} is seductive.\"}]\nstages: {a: {}}\n",
       "moods.options[0].prompt: the character is a minor, so romantic wording ('seductive') is not allowed here "
       "(line 2, column 33)"},
      {"moods:\n  options: [{name: flirty}]\nstages: {a: {}}\n",
       "moods.options[0].name: the character is a minor, so romantic wording ('flirty') is not allowed here (line 2, "
       "column 20)"},
  };
  for (const auto& [yaml, error] : sneaky) {
    EXPECT_EQ(ErrorOf(yaml, {true}), error) << yaml;
    EXPECT_EQ(ErrorOf(yaml, {false}), "") << yaml;
  }
  // Whole words only, and words a children's story uses innocently pass.
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    prompt: \"Kismet! Crush the herbs, set the date of the exam, love books, "
                    "kissable-free unflirtatious words.\"\n",
                    {true}),
            "");
  // The gate comes first: other problems of the flow do not hide it.
  EXPECT_EQ(FieldOf("stages:\n  pals: {}\n  crush:\n    romance: romantic\n", {true}), "stages.crush.romance");
}

TEST(FlowTest, TraitsComeFromTheCardsTroupeExtension) {
  EXPECT_TRUE(TraitsFromExtensions(R"({"troupe":{"minor":true}})").minor);
  EXPECT_TRUE(TraitsFromExtensions(R"({"troupe":{"minor":"true"}})").minor);
  EXPECT_TRUE(TraitsFromExtensions(R"({"troupe":{"age":11}})").minor);
  EXPECT_TRUE(TraitsFromExtensions(R"({"troupe":{"age":"17.5"}})").minor);
  EXPECT_TRUE(TraitsFromExtensions(R"({"troupe":{"minor":false,"age":12}})").minor);
  EXPECT_FALSE(TraitsFromExtensions(R"({"troupe":{"minor":false}})").minor);
  EXPECT_FALSE(TraitsFromExtensions(R"({"troupe":{"age":30}})").minor);
  EXPECT_FALSE(TraitsFromExtensions(R"({"troupe":{"age":"eleven"}})").minor);
  EXPECT_FALSE(TraitsFromExtensions(R"({"other":1})").minor);
  EXPECT_FALSE(TraitsFromExtensions(R"({"troupe":[1]})").minor);
  EXPECT_FALSE(TraitsFromExtensions("not json").minor);
}

TEST(FlowTest, CheckCharacterFlowPrefixesTheField) {
  EXPECT_TRUE(CheckCharacterFlow("  \n", R"({"troupe":{"minor":true}})").ok());  // the default flow
  Status refused = CheckCharacterFlow("stages:\n  a:\n    romance: romantic\n", R"({"troupe":{"age":9}})");
  EXPECT_EQ(refused.field(), "flow.stages.a.romance");
  EXPECT_EQ(refused.message().rfind("flow: stages.a.romance: the character is a minor", 0), 0u) << refused.message();
  EXPECT_EQ(CheckCharacterFlow("stages: [", "{}").field(), "flow");
  EXPECT_EQ(CheckCharacterFlow("stages:\n  a: {promt: x}\n", "{}").field(), "flow.stages.a.promt");
}

TEST(FlowTest, AdvanceFollowsTransitionsAndDerivesMoods) {
  Flow flow = Parsed(kRelationship);
  constexpr uint64_t kConversation = 42;
  ConversationSignals signals;
  FlowStep start = Advance(flow, {}, signals, kConversation);
  EXPECT_EQ(start.state.stage, "ice_breaker");
  EXPECT_TRUE(start.stage_changed);
  ASSERT_NE(flow.FindMood(start.state.mood), nullptr);

  signals.message_count = 10;
  FlowStep friendly = Advance(flow, start.state, signals, kConversation);
  EXPECT_EQ(friendly.state.stage, "friendly");
  EXPECT_TRUE(friendly.stage_changed);
  signals.message_count = 40;
  FlowStep stay = Advance(flow, friendly.state, signals, kConversation);
  EXPECT_EQ(stay.state.stage, "friendly");  // affinity too low
  EXPECT_FALSE(stay.stage_changed);
  EXPECT_EQ(stay.state.mood, friendly.state.mood);  // a stage keeps its mood
  signals.affinity = 0.5;
  FlowStep close = Advance(flow, friendly.state, signals, kConversation);
  EXPECT_EQ(close.state.stage, "close");
  EXPECT_EQ(Advance(flow, close.state, signals, kConversation).state, close.state);
  // A falling sentiment trend picks the rule's mood at once, and the stage's draw comes back after.
  signals.sentiment_trend = -0.5;
  EXPECT_EQ(Advance(flow, close.state, signals, kConversation).state.mood, "thoughtful");
  signals.sentiment_trend = 0;
  EXPECT_EQ(Advance(flow, close.state, signals, kConversation).state.mood, close.state.mood);
  // Falling affinity goes back to friendly.
  signals.affinity = 0.05;
  EXPECT_EQ(Advance(flow, close.state, signals, kConversation).state.stage, "friendly");
  // Everything at once from the start: ice_breaker -> friendly -> close in one call.
  signals.affinity = 0.5;
  EXPECT_EQ(Advance(flow, {}, signals, kConversation).state.stage, "close");
  // A stage the flow no longer has starts over.
  EXPECT_EQ(Advance(flow, {"removed", "gone"}, {}, kConversation).state.stage, "ice_breaker");

  // Weighted draws follow the weights (3:1) over many conversations.
  int playful = 0;
  for (uint64_t conversation = 0; conversation < 4000; ++conversation) {
    playful += Advance(flow, {}, {}, conversation).state.mood == "playful";
  }
  EXPECT_NEAR(playful / 4000.0, 0.75, 0.03);
}

TEST(FlowTest, AdvanceEntersEachStageOnceWhenACycleHolds) {
  // Built in code and never validated: a cycle whose transitions all hold. Each call enters each
  // stage at most once, so the state moves one step round and stops.
  Flow flow;
  flow.start = "a";
  for (const char* name : {"a", "b"}) {
    Stage stage;
    stage.name = name;
    stage.transitions.push_back({std::string(name) == "a" ? "b" : "a", {}});
    flow.stages.push_back(stage);
  }
  FlowStep step = Advance(flow, {"a", ""}, {}, 1);
  EXPECT_EQ(step.state.stage, "b");
  EXPECT_EQ(Advance(flow, step.state, {}, 1).state.stage, "a");
  // An unknown start (a flow that was not validated) starts at the first stage instead of failing.
  flow.start = "missing";
  EXPECT_EQ(Advance(flow, {}, {}, 1).state.stage, "b");  // a, then its transition
  EXPECT_EQ(Advance(Flow{}, {}, {}, 1).state.stage, "");
}

TEST(FlowTest, MoodsChangeEveryNMessagesAndAreTheSameForTheSamePeriod) {
  Flow flow = Parsed(
      "moods:\n  change_every_messages: 10\n  options: [{name: a}, {name: b}, {name: c}, {name: d}]\n"
      "stages: {s: {}}\n");
  int changed = 0;
  for (uint64_t conversation = 0; conversation < 200; ++conversation) {
    auto mood_at = [&](int64_t count) {
      ConversationSignals signals;
      signals.message_count = count;
      return Advance(flow, {"s", ""}, signals, conversation).state.mood;
    };
    // Within a period of ten messages the mood holds, whatever the turns' sizes.
    ASSERT_EQ(mood_at(10), mood_at(13));
    ASSERT_EQ(mood_at(13), mood_at(19));
    changed += mood_at(19) != mood_at(20);
  }
  EXPECT_NEAR(changed / 200.0, 0.75, 0.1);  // four equal moods: a new period differs 3 times in 4
}

TEST(FlowTest, ProactiveTimingHonoursBackoffCapsAndQuietHours) {
  constexpr int64_t kMinute = 60'000;
  constexpr int64_t kHour = 60 * kMinute;
  constexpr int64_t kDay = 24 * kHour;
  const int64_t midnight = 20'000 * kDay;
  ProactivePolicy policy;
  policy.after_minutes = 60;
  policy.backoff_factor = 2;
  policy.max_unanswered = 2;
  policy.daily_cap = 1;
  const int64_t noon = midnight + 12 * kHour;
  EXPECT_EQ(NextProactiveAt(policy, noon, 0, 0, noon), noon + kHour);
  EXPECT_EQ(NextProactiveAt(policy, noon, 1, 0, noon), noon + 2 * kHour);
  EXPECT_EQ(NextProactiveAt(policy, noon, 2, 0, noon), std::nullopt);
  EXPECT_EQ(NextProactiveAt(policy, noon, 0, 1, noon), midnight + kDay);  // the cap: tomorrow (UTC)
  policy.quiet_hours = QuietHours{22 * 60, 8 * 60};
  const int64_t late = midnight + 21 * kHour + 30 * kMinute;  // 21:30, due 22:30: quiet
  EXPECT_EQ(NextProactiveAt(policy, late, 0, 0, late), midnight + kDay + 8 * kHour);
  const int64_t early = midnight + 2 * kHour;  // 02:00, due 03:00: quiet until 08:00 the same day
  EXPECT_EQ(NextProactiveAt(policy, early, 0, 0, early), midnight + 8 * kHour);
  // Due long ago, but it is 23:00 now: not before the quiet hours end.
  EXPECT_EQ(NextProactiveAt(policy, noon, 0, 0, midnight + 23 * kHour), midnight + kDay + 8 * kHour);
  // Due long ago and not quiet now: due (a time in the past).
  EXPECT_EQ(NextProactiveAt(policy, noon, 0, 0, midnight + 20 * kHour), noon + kHour);
  // Quiet hours within one day.
  policy.quiet_hours = QuietHours{13 * 60, 14 * 60 + 30};
  EXPECT_EQ(NextProactiveAt(policy, noon + 30 * kMinute, 0, 0, noon), midnight + 14 * kHour + 30 * kMinute);
  EXPECT_EQ(NextProactiveAt(policy, noon + 2 * kHour, 0, 0, noon), noon + 3 * kHour);
  // A cap or an allowance of 0 means never; a huge backoff does not overflow.
  policy.daily_cap = 0;
  EXPECT_EQ(NextProactiveAt(policy, noon, 0, 0, noon), std::nullopt);
  policy.daily_cap = 1;
  policy.max_unanswered = 1000;
  policy.backoff_factor = 100;
  policy.quiet_hours.reset();
  const std::optional<int64_t> far = NextProactiveAt(policy, noon, 999, 0, noon);
  ASSERT_TRUE(far.has_value());
  EXPECT_GT(*far, noon + 3000 * kDay);
}

TEST(FlowTest, StagesMaySendVoiceMessagesAndPictures) {
  const Flow flow = Parsed(
      "stages:\n"
      "  a:\n"
      "    voice: {share: 0.3, voice: en-gb, words_per_minute: 170}\n"
      "    pictures: {share: 0.1, prompt: \"{{char}} in the garden\"}\n"
      "  b:\n"
      "    voice: {share: 1}\n"
      "  c: {}\n");
  ASSERT_EQ(flow.stages.size(), 3u);
  ASSERT_TRUE(flow.stages[0].voice.has_value());
  EXPECT_DOUBLE_EQ(flow.stages[0].voice->share, 0.3);
  EXPECT_EQ(flow.stages[0].voice->voice, "en-gb");
  EXPECT_EQ(flow.stages[0].voice->words_per_minute, 170);
  ASSERT_TRUE(flow.stages[0].pictures.has_value());
  EXPECT_DOUBLE_EQ(flow.stages[0].pictures->share, 0.1);
  EXPECT_EQ(flow.stages[0].pictures->prompt, "{{char}} in the garden");
  ASSERT_TRUE(flow.stages[1].voice.has_value());
  EXPECT_EQ(flow.stages[1].voice->voice, "");
  EXPECT_EQ(flow.stages[1].voice->words_per_minute, 0);
  EXPECT_FALSE(flow.stages[1].pictures.has_value());
  EXPECT_FALSE(flow.stages[2].voice.has_value());
  EXPECT_EQ(flow.positions.at("stages.a.voice.share").line, 3);
}

TEST(FlowTest, VoiceAndPictureSettingsAreCheckedWithTheirFieldAndPosition) {
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    voice: {share: 1.5}\n"),
            "stages.a.voice.share: must be between 0 and 1, got '1.5' (line 3, column 20)");
  EXPECT_EQ(FieldOf("stages:\n  a:\n    voice: {share: -0.1}\n"), "stages.a.voice.share");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    voice: {share: often}\n"),
            "stages.a.voice.share: expected a number, got 'often' (line 3, column 20)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    voice: {voice: en-us}\n"),
            "stages.a.voice.share: is required (the fraction of replies spoken, 0 to 1) (line 3, column 12)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    voice: {share: 0.5, speed: 2}\n"),
            "stages.a.voice.speed: unknown key (known: share, voice, words_per_minute) (line 3, column 25)");
  EXPECT_EQ(FieldOf("stages:\n  a:\n    voice: {share: 0.5, words_per_minute: 20}\n"),
            "stages.a.voice.words_per_minute");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    voice: yes\n"), "stages.a.voice: expected a mapping, got 'yes' (line 3, column 12)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    pictures:\n      share: 0.2\n      style: watercolour\n"),
            "stages.a.pictures.style: unknown key (known: share, prompt) (line 5, column 7)");
  EXPECT_EQ(ErrorOf("stages:\n  a:\n    pictures: {share: 2}\n"),
            "stages.a.pictures.share: must be between 0 and 1, got '2' (line 3, column 23)");
  EXPECT_EQ(FieldOf("stages:\n  a:\n    pictures: {prompt: x}\n"), "stages.a.pictures.share");
  // The safety gate reads the picture prompt too.
  EXPECT_EQ(FieldOf("stages:\n  a:\n    pictures: {share: 1, prompt: \"a kiss at sunset\"}\n", {true}),
            "stages.a.pictures.prompt");
  EXPECT_EQ(FieldOf("stages:\n  a:\n    pictures: {share: 1, prompt: \"a kiss at sunset\"}\n"), "");
}

TEST(FlowTest, TheMediaDrawIsStablePerMessageAndNearItsShare) {
  int voiced = 0, pictured = 0, both = 0;
  for (int64_t id = 1; id <= 10'000; ++id) {
    const bool voice = MediaDrawn(0.3, id, kVoiceDrawSalt);
    const bool picture = MediaDrawn(0.3, id, kPictureDrawSalt);
    EXPECT_EQ(voice, MediaDrawn(0.3, id, kVoiceDrawSalt));
    voiced += voice;
    pictured += picture;
    both += voice && picture;
    EXPECT_FALSE(MediaDrawn(0, id, kVoiceDrawSalt));
    EXPECT_TRUE(MediaDrawn(1, id, kVoiceDrawSalt));
  }
  EXPECT_NEAR(voiced, 3000, 200);
  EXPECT_NEAR(pictured, 3000, 200);
  EXPECT_NEAR(both, 900, 120);  // drawn apart, not the same messages
}

TEST(FlowTest, DefaultFlowIsOneValidStage) {
  Flow flow = DefaultFlow();
  ASSERT_EQ(flow.stages.size(), 1u);
  EXPECT_TRUE(ValidateFlow(flow, {true}).ok());
  EXPECT_EQ(Advance(flow, {}, {}, 7).state.stage, flow.start);
  EXPECT_EQ(Advance(flow, {}, {}, 7).state.mood, "");
}

}  // namespace
}  // namespace troupe::chat
