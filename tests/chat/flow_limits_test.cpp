// The limits on a flow from outside (docs/flows.md, "Limits"): YAML that expands beyond the
// bounds, more than one document, more stages, transitions, moods or rules than the caps, each
// refused naming the limit; the largest flow the caps allow accepted; and the memory each costs,
// measured in a child process.
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>

#include "chat/flow.h"

namespace troupe::chat {
namespace {

constexpr size_t kTransitionsPerStage = kMaxFlowTransitions / kMaxFlowStages;

// `count` stages s0, s1, ..., each with `per_stage` transitions to the stages after it (wrapping),
// one line per stage.
std::string StagesYaml(size_t count, size_t per_stage) {
  std::string yaml = "start: s0\nstages:\n";
  for (size_t s = 0; s < count; ++s) {
    yaml += "  s" + std::to_string(s) + ": {transitions: [";
    for (size_t k = 1; k <= per_stage; ++k) {
      yaml += (k == 1 ? "{to: s" : ", {to: s") + std::to_string((s + k) % count) + "}";
    }
    yaml += "]}\n";
  }
  return yaml;
}

// The largest flow the caps allow: kMaxFlowStages stages, each with a prompt and an equal share of
// kMaxFlowTransitions transitions carrying two conditions, kMaxFlowMoods moods and
// kMaxFlowMoodRules mood rules. It validates: every cycle has an affinity condition (an exit).
std::string LargestFlowYaml() {
  std::string yaml = "name: largest\nstart: s0\nmoods:\n  options:\n";
  for (size_t m = 0; m < kMaxFlowMoods; ++m) {
    yaml += "    - {name: m" + std::to_string(m) + ", weight: 1, prompt: \"Mood " + std::to_string(m) + ".\"}\n";
  }
  yaml += "  rules:\n";
  for (size_t r = 0; r < kMaxFlowMoodRules; ++r) {
    yaml += "    - {when: {affinity_at_least: 0." + std::to_string(r % 10) + "}, mood: m" +
            std::to_string(r % kMaxFlowMoods) + "}\n";
  }
  yaml += "stages:\n";
  for (size_t s = 0; s < kMaxFlowStages; ++s) {
    yaml += "  s" + std::to_string(s) + ":\n    prompt: \"Stage " + std::to_string(s) + ".\"\n    transitions:\n";
    for (size_t k = 1; k <= kTransitionsPerStage; ++k) {
      yaml += "      - {to: s" + std::to_string((s + k) % kMaxFlowStages) +
              ", when: {messages_at_least: " + std::to_string(k) + ", affinity_at_least: 0." +
              std::to_string(k % 10) + "}}\n";
    }
  }
  return yaml;
}

// The probe's shape: `anchors` stages whose prompts are anchored strings of `anchor_bytes`, then
// `aliases` stages whose prompts are aliases to them.
std::string AliasBombYaml(size_t anchor_bytes, int anchors, int aliases) {
  std::string yaml = "stages:\n";
  for (int a = 0; a < anchors; ++a) {
    yaml += "  a" + std::to_string(a) + ": {prompt: &p" + std::to_string(a) + " \"" + std::string(anchor_bytes, 'x') +
            "\"}\n";
  }
  for (int i = 0; i < aliases; ++i) {
    yaml += "  s" + std::to_string(i) + ": {prompt: *p" + std::to_string(i % anchors) + "}\n";
  }
  return yaml;
}

// A chain of `count` stages built in code, each moving on to the next `per_stage` stages once
// enough messages were exchanged: no cycle, every stage reachable.
Flow BuiltChain(size_t count, size_t per_stage) {
  Flow flow;
  flow.start = "s0";
  flow.stages.resize(count);
  for (size_t s = 0; s < count; ++s) {
    flow.stages[s].name = "s" + std::to_string(s);
    for (size_t k = 1; k <= per_stage && s + k < count; ++k) {
      Transition transition;
      transition.to = "s" + std::to_string(s + k);
      transition.when.messages_at_least = static_cast<int64_t>(s + k);
      flow.stages[s].transitions.push_back(std::move(transition));
    }
  }
  return flow;
}

std::string ParseError(const std::string& yaml) {
  Result<Flow> flow = ParseFlow(yaml);
  return flow.ok() ? "" : flow.status().message();
}

TEST(FlowLimitsTest, RefusesTheProbesAliasBomb) {
  // 300 aliases to a 1 MiB string: 300 MiB once read. The text alone is over the limit.
  const std::string yaml = AliasBombYaml(1 << 20, 1, 300);
  EXPECT_EQ(ParseError(yaml), "YAML text too large: " + std::to_string(yaml.size()) +
                                  " bytes, more than the limit of 1048576 bytes");
}

TEST(FlowLimitsTest, RefusesAnAliasBombWithinTheTextLimit) {
  // 900 KiB, 300 times: the fifth copy crosses 4 MiB of scalars, at the fourth alias.
  const std::string yaml = AliasBombYaml(900 << 10, 1, 300);
  ASSERT_LT(yaml.size(), static_cast<size_t>(kMaxFlowTextBytes));
  EXPECT_EQ(ParseError(yaml),
            "YAML too large: over the limit of 4194304 scalar bytes once aliases are expanded (line 6, column 16)");
}

TEST(FlowLimitsTest, RefusesNestedAliases) {
  // "Billion laughs": ten levels of ten aliases, 10^10 nodes from a few hundred bytes.
  std::string yaml = "name: flow\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int level = 1; level < 10; ++level) {
    const std::string below = "*l" + std::to_string(level - 1);
    yaml += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [" + below;
    for (int i = 1; i < 10; ++i) yaml += ", " + below;
    yaml += "]\n";
  }
  const std::string error = ParseError(yaml);
  EXPECT_EQ(error.rfind("YAML too large: over the limit of 200000 nodes once aliases are expanded (line ", 0), 0u)
      << error;
}

TEST(FlowLimitsTest, RefusesMoreThanOneDocument) {
  EXPECT_EQ(ParseError("stages:\n  a: ~\n---\nstages:\n  b: ~\n"),
            "more than one YAML document (a second one starts at line 3, column 1); give one");
}

TEST(FlowLimitsTest, RefusesDeepNesting) {
  const std::string yaml = "name: " + std::string(40, '[') + std::string(40, ']') + "\nstages:\n  a: ~\n";
  EXPECT_EQ(ParseError(yaml),
            "YAML too large: over the limit of 32 levels of nesting once aliases are expanded (line 1, column 38)");
}

TEST(FlowLimitsTest, RefusesTooManyStages) {
  EXPECT_EQ(ParseError(StagesYaml(kMaxFlowStages, 1)), "");
  Result<Flow> flow = ParseFlow(StagesYaml(kMaxFlowStages + 1, 1));
  ASSERT_FALSE(flow.ok());
  EXPECT_EQ(flow.status().message(), "stages: more than 1000 stages (the limit for a flow) (line 1003, column 3)");
  EXPECT_EQ(flow.status().field(), "stages");
}

TEST(FlowLimitsTest, RefusesTooManyTransitions) {
  // 100 stages of 100 transitions: the cap exactly. One more in the last stage is one too many.
  EXPECT_EQ(ParseError(StagesYaml(100, 100)), "");
  std::string yaml = StagesYaml(100, 100);
  yaml.insert(yaml.size() - 3, ", {to: s0}");
  Result<Flow> flow = ParseFlow(yaml);
  ASSERT_FALSE(flow.ok());
  EXPECT_EQ(flow.status().field(), "stages.s99.transitions[100]");
  EXPECT_EQ(flow.status().message().rfind("stages.s99.transitions[100]: more than 10000 transitions in the flow "
                                          "(the limit for all stages together) (line 102, column ",
                                          0),
            0u)
      << flow.status().message();
}

TEST(FlowLimitsTest, CountsTransitionsThatAliasesRepeat) {
  // 101 stages sharing one anchored list of 100 transitions: few bytes, yet 10,100 transitions.
  std::string yaml = "stages:\n  s0: {transitions: &shared [";
  for (int i = 1; i <= 100; ++i) yaml += (i == 1 ? "{to: s" : ", {to: s") + std::to_string(i) + "}";
  yaml += "]}\n";
  for (int i = 1; i <= 100; ++i) yaml += "  s" + std::to_string(i) + ": {transitions: *shared}\n";
  Result<Flow> flow = ParseFlow(yaml);
  ASSERT_FALSE(flow.ok());
  EXPECT_EQ(flow.status().field(), "stages.s100.transitions[0]");
}

TEST(FlowLimitsTest, RefusesTooManyMoodsAndRules) {
  std::string options = "moods:\n  options:\n";
  for (size_t m = 0; m <= kMaxFlowMoods; ++m) options += "    - {name: m" + std::to_string(m) + "}\n";
  EXPECT_EQ(ParseError(options + "stages:\n  a: ~\n"),
            "moods.options[100]: more than 100 moods (the limit for a flow) (line 103, column 7)");

  std::string rules = "moods:\n  options: [{name: calm}]\n  rules:\n";
  for (size_t r = 0; r <= kMaxFlowMoodRules; ++r) rules += "    - {mood: calm}\n";
  EXPECT_EQ(ParseError(rules + "stages:\n  a: ~\n"),
            "moods.rules[1000]: more than 1000 mood rules (the limit for a flow) (line 1004, column 7)");
}

TEST(FlowLimitsTest, CharacterFlowErrorsNameTheLimitToo) {
  const Status status = CheckCharacterFlow("a: 1\n---\nb: 2\n", "{}");
  EXPECT_EQ(status.message(), "flow: more than one YAML document (a second one starts at line 2, column 1); give one");
  EXPECT_EQ(status.field(), "flow");
}

TEST(FlowLimitsTest, TheLargestAllowedFlowParsesAndValidates) {
  const std::string yaml = LargestFlowYaml();
  ASSERT_LT(yaml.size(), static_cast<size_t>(kMaxFlowTextBytes));
  Result<Flow> flow = ParseFlow(yaml);
  ASSERT_TRUE(flow.ok()) << flow.status().ToString();
  EXPECT_EQ(flow->stages.size(), kMaxFlowStages);
  size_t transitions = 0;
  for (const Stage& stage : flow->stages) transitions += stage.transitions.size();
  EXPECT_EQ(transitions, kMaxFlowTransitions);
  EXPECT_EQ(flow->moods.size(), kMaxFlowMoods);
  EXPECT_EQ(flow->mood_rules.size(), kMaxFlowMoodRules);
  const Status valid = ValidateFlow(*flow, {});
  EXPECT_TRUE(valid.ok()) << valid.ToString();
}

TEST(FlowLimitsTest, ValidatesAFlowBuiltInCodeBeyondTheCaps) {
  // Validation does not depend on the caps being kept: a chain of 20,000 stages of 10 transitions.
  Flow flow = BuiltChain(20'000, 10);
  EXPECT_TRUE(ValidateFlow(flow, {}).ok());
  flow.stages.back().transitions.push_back({"s19990", {}});
  EXPECT_EQ(ValidateFlow(flow, {}).field(), "stages.s19999.transitions[0]");  // a cycle without exit
  flow.stages.back().transitions.clear();
  Stage orphan;
  orphan.name = "orphan";
  flow.stages.push_back(orphan);
  EXPECT_EQ(ValidateFlow(flow, {}).field(), "stages.orphan");  // nothing leads there
}

TEST(FlowLimitsTest, AdvanceFollowsALongChainInOneCall) {
  const Flow flow = BuiltChain(20'000, 1);
  ConversationSignals signals;
  signals.message_count = 1'000'000;
  const FlowStep step = Advance(flow, {}, signals, 7);
  EXPECT_EQ(step.state.stage, "s19999");
  EXPECT_TRUE(step.stage_changed);
}

// --- Memory, measured in a child process ---------------------------------------------------------

#if defined(__SANITIZE_ADDRESS__)  // g++; clang says so through __has_feature
#define TROUPE_FLOW_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TROUPE_FLOW_TEST_ASAN 1
#endif
#endif

#if defined(TROUPE_FLOW_TEST_ASAN)
extern "C" void __sanitizer_purge_allocator();  // in ASan's runtime; gcc ships no header declaring it
// Under ASan every block carries redzones and freed memory stays resident in the quarantine (256 MB
// by default) before it is reused, so the peak RSS counts much of what was allocated and freed, not
// only what was live at once: its bounds are higher.
constexpr bool kAsan = true;
void ReleaseFreeMemory() { __sanitizer_purge_allocator(); }  // drains the quarantine too
#else
constexpr bool kAsan = false;
void ReleaseFreeMemory() { malloc_trim(0); }
#endif

int64_t StatusKb(const char* key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key, 0) == 0) return std::stoll(line.substr(std::strlen(key)));
  }
  return -1;
}

enum ChildExit { kWithinBound = 0, kNoPeakReset = 10, kWrongResult = 11, kOverBound = 12 };

struct ChildRun {
  int exit_code = -1;
  int64_t peak_growth_kb = -1;
};

// Runs `work` in a child, so that neither the parent's heap nor what earlier tests left behind
// counts: the child resets its peak RSS (VmHWM) by writing 5 to /proc/self/clear_refs, runs
// `work`, and exits kWithinBound only when `work` returned true and the peak grew by less than
// `max_growth_kb` over the RSS it started from. The growth comes back through a pipe.
ChildRun RunInChild(const std::function<bool()>& work, int64_t max_growth_kb) {
  int report[2];
  if (pipe(report) != 0) return {};
  const pid_t child = fork();
  if (child == 0) {
    close(report[0]);
    // Memory the parent freed would otherwise be reused without raising the RSS.
    ReleaseFreeMemory();
    const int64_t start_kb = StatusKb("VmRSS:");
    bool reset = false;
    {
      std::ofstream clear_refs("/proc/self/clear_refs");
      clear_refs << "5";
      clear_refs.flush();
      reset = clear_refs.good();
    }
    if (!reset || start_kb < 0) _exit(kNoPeakReset);
    const bool as_expected = work();
    const int64_t growth_kb = StatusKb("VmHWM:") - start_kb;
    if (write(report[1], &growth_kb, sizeof growth_kb) != sizeof growth_kb) _exit(kNoPeakReset);
    _exit(!as_expected ? kWrongResult : growth_kb < max_growth_kb ? kWithinBound : kOverBound);
  }
  close(report[1]);
  ChildRun run;
  if (child > 0) {
    if (read(report[0], &run.peak_growth_kb, sizeof run.peak_growth_kb) != sizeof run.peak_growth_kb) {
      run.peak_growth_kb = -1;
    }
    int status = 0;
    if (waitpid(child, &status, 0) == child && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  }
  close(report[0]);
  return run;
}

bool RefusedNamingALimit(const std::string& yaml) {
  Result<Flow> flow = ParseFlow(yaml);
  return !flow.ok() && flow.status().message().find("limit") != std::string::npos;
}

// Peak RSS growth bounds, from measurement with room to spare (docs/flows.md, "Limits").
struct Bound {
  int64_t plain_kb;
  int64_t asan_kb;
};

// Runs `work` in a child and expects it to return true with the peak RSS growing by less than
// the bound for this build. `what` names the measurement in the test's XML report
// (peak_growth_kb.<what>).
void ExpectInBoundedMemory(const std::string& what, const std::function<bool()>& work, Bound bound) {
  const int64_t bound_kb = kAsan ? bound.asan_kb : bound.plain_kb;
  const ChildRun run = RunInChild(work, bound_kb);
  if (run.exit_code == kNoPeakReset) GTEST_SKIP() << "/proc/self/clear_refs cannot reset the peak RSS here";
  EXPECT_EQ(run.exit_code, kWithinBound) << what << ": exit " << run.exit_code
                                         << " (11: wrong result, 12: over the bound); peak RSS grew by "
                                         << run.peak_growth_kb << " KB, bound " << bound_kb << " KB";
  ::testing::Test::RecordProperty("peak_growth_kb." + what, std::to_string(run.peak_growth_kb));
}

TEST(FlowLimitsMemoryTest, AliasBombsAreRefusedInLittleMemory) {
  // 4 anchored strings of 1 MiB and 3,000 aliases: ~12 GB once read, and refused before parsing.
  const std::string four_megabytes = AliasBombYaml(1 << 20, 4, 3000);
  ExpectInBoundedMemory("four_megabyte_bomb", [&] { return RefusedNamingALimit(four_megabytes); },
                        {16 << 10, 32 << 10});
  // Within the text limit, so parsed until the scalar bytes cross theirs.
  const std::string within = AliasBombYaml(900 << 10, 1, 300);
  ExpectInBoundedMemory("bomb_within_text_limit", [&] { return RefusedNamingALimit(within); }, {32 << 10, 64 << 10});
}

TEST(FlowLimitsMemoryTest, FlowsOverTheCapsAreRefusedInBoundedMemory) {
  // 20,000 stages of 10 transitions: over the text limit, refused before parsing.
  const std::string text = StagesYaml(20'000, 10);
  ExpectInBoundedMemory("twenty_thousand_stages", [&] { return RefusedNamingALimit(text); }, {16 << 10, 32 << 10});
  // 10,000 stages within the text limit: parsed, and refused at stage 1,001.
  const std::string stages = StagesYaml(10'000, 1);
  ASSERT_LT(stages.size(), static_cast<size_t>(kMaxFlowTextBytes));
  ExpectInBoundedMemory("ten_thousand_stages", [&] { return RefusedNamingALimit(stages); }, {96 << 10, 256 << 10});
  // The first shape built in code, beyond every cap: validation is linear in time and memory.
  const Flow built = BuiltChain(20'000, 10);
  ExpectInBoundedMemory("validate_twenty_thousand_stages", [&] { return ValidateFlow(built, {}).ok(); },
                        {32 << 10, 64 << 10});
}

TEST(FlowLimitsMemoryTest, TheLargestAllowedFlowFitsItsBound) {
  const std::string yaml = LargestFlowYaml();
  auto parse_and_validate = [&] {
    Result<Flow> flow = ParseFlow(yaml);
    return flow.ok() && ValidateFlow(*flow, {}).ok();
  };
  ExpectInBoundedMemory("largest_flow", parse_and_validate, {160 << 10, 512 << 10});
}

TEST(FlowLimitsMemoryTest, TheCostliestYamlWithinTheLimitsStaysBounded) {
  // A list that opens the document might turn out to be a mapping key, so yaml-cpp's scanner holds
  // every token of it until it ends: the text limit, not the node limit, bounds this one.
  std::string flat_list = "[";
  while (flat_list.size() + 3 < static_cast<size_t>(kMaxFlowTextBytes)) flat_list += "a,";
  flat_list += "a]";
  ExpectInBoundedMemory("flat_list_of_one_mebibyte", [&] { return RefusedNamingALimit(flat_list); },
                        {256 << 10, 512 << 10});
  // Just under the node limit: yaml-cpp builds the whole tree before the reader refuses it.
  std::string block_list;
  for (int64_t i = 0; i + 10 < kMaxFlowYamlNodes; ++i) block_list += "- a\n";
  auto refused = [&] { return !ParseFlow(block_list).ok(); };
  ExpectInBoundedMemory("tree_just_under_the_node_limit", refused, {192 << 10, 768 << 10});
}

}  // namespace
}  // namespace troupe::chat
