// `troupe bench`, run as scripts run it: the real binary on the shared stories260K model with tiny
// token counts and a small bandwidth buffer. The table's shape, the JSON's fields, errors that name
// the flag, and Ctrl-C. Speeds are only checked to be positive: timings depend on the machine.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;
using testing::BackgroundProcess;
using testing::ProcessResult;
using testing::RunProcess;
using testing::SharedDir;
using testing::TroupeBinary;

std::string Stories() { return (SharedDir() / "models/stories260K.gguf").string(); }

std::vector<std::string> Command(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), TroupeBinary());
  return arguments;
}

ProcessResult Troupe(std::vector<std::string> arguments) {
  return RunProcess(Command(std::move(arguments)), {}, std::chrono::seconds(120));
}

// Tiny runs; the 8 MiB probe measures a cache, which is fine for checking the output's shape.
// `changed` replaces a flag's value (or adds the flag); `extra` is appended as is.
std::vector<std::string> TinyBench(const std::map<std::string, std::string>& changed = {},
                                   std::vector<std::string> extra = {}) {
  std::map<std::string, std::string> flags = {{"--model", Stories()},   {"--threads", "1"},
                                              {"--prompt-tokens", "16"}, {"--gen-tokens", "4"},
                                              {"--repetitions", "2"},    {"--bandwidth-mib", "8"}};
  for (const auto& [flag, value] : changed) flags[flag] = value;
  std::vector<std::string> arguments = {"bench"};
  for (const auto& [flag, value] : flags) {
    arguments.push_back(flag);
    arguments.push_back(value);
  }
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Bench, PrintsLlamaBenchsTableThenTheBandwidthAndTheDecodeLimit) {
  const ProcessResult result = Troupe(TinyBench());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_GE(lines.size(), 7u) << result.out;
  EXPECT_THAT(lines[0], MatchesRegex(R"(\| model +\| +size \| +params \| backend +\| threads \| +test \| +t/s \|)"));
  EXPECT_THAT(lines[1], MatchesRegex(R"(\|( -+[-:] \|){7})"));
  const std::string number = R"([0-9]+\.[0-9][0-9])";
  const std::string row = R"(\| llama 293K F32 +\| +)" + number + R"( MiB \| +)" + number +
                          R"( M \| CPU \([a-z0-9-]+\) +\| +1 \| +)";
  EXPECT_THAT(lines[2], MatchesRegex(row + "pp16 \\| +" + number + " ± " + number + " \\|"));
  EXPECT_THAT(lines[3], MatchesRegex(row + " tg4 \\| +" + number + " ± " + number + " \\|"));
  // Every row is as wide as the header on screen ("±" is one character, two bytes).
  EXPECT_EQ(lines[2].size(), lines[0].size() + 1);
  EXPECT_EQ(lines[1].size(), lines[0].size());
  EXPECT_EQ(lines[4], "");
  EXPECT_THAT(lines[5], MatchesRegex("memory read bandwidth: " + number +
                                     " GB/s \\(1 thread, 8 MiB buffer, best of 5 passes\\)"));
  EXPECT_THAT(lines[6], MatchesRegex("decode limit: " + number + " t/s \\(" + number +
                                     " MiB of weights read per generated token\\); tg4 reaches [0-9.]+% of it"));
  // Progress went to stderr, each run named.
  EXPECT_THAT(result.err, AllOf(HasSubstr("pp16 warm-up"), HasSubstr("pp16 run 2/2"), HasSubstr("tg4 run 1/2"),
                                HasSubstr("memory read bandwidth (5 passes)")));
}

TEST(Bench, JsonHoldsEveryFigure) {
  const ProcessResult result = Troupe(TinyBench({}, {"--json"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["model"], "llama 293K F32");
  EXPECT_EQ(report["file"], Stories());
  EXPECT_EQ(report["backend"], "CPU");
  EXPECT_THAT(report["kernel_path"].get<std::string>(), MatchesRegex("scalar|avx2|avx-vnni|avx512"));
  EXPECT_EQ(report["threads"], 1);
  EXPECT_EQ(report["repetitions"], 2);
  EXPECT_GT(report["size_bytes"].get<uint64_t>(), 0u);
  EXPECT_GT(report["parameters"].get<uint64_t>(), 0u);
  ASSERT_EQ(report["tests"].size(), 2u);
  EXPECT_EQ(report["tests"][0]["name"], "pp16");
  EXPECT_EQ(report["tests"][0]["prompt_tokens"], 16);
  EXPECT_EQ(report["tests"][1]["name"], "tg4");
  EXPECT_EQ(report["tests"][1]["generated_tokens"], 4);
  for (const nlohmann::json& test : report["tests"]) {
    ASSERT_EQ(test["samples_tokens_per_second"].size(), 2u);
    for (const nlohmann::json& sample : test["samples_tokens_per_second"]) EXPECT_GT(sample.get<double>(), 0.0);
    EXPECT_GT(test["mean_tokens_per_second"].get<double>(), 0.0);
    EXPECT_GE(test["sd_tokens_per_second"].get<double>(), 0.0);
  }
  const uint64_t bytes_per_token = report["weight_bytes_per_token"].get<uint64_t>();
  EXPECT_GT(bytes_per_token, 0u);
  EXPECT_LT(bytes_per_token, report["size_bytes"].get<uint64_t>());  // one embedding row, not all
  const double bandwidth = report["bandwidth_bytes_per_second"].get<double>();
  EXPECT_GT(bandwidth, 0.0);
  EXPECT_EQ(report["bandwidth_buffer_bytes"], 8 * 1024 * 1024);
  const double limit = report["decode_limit_tokens_per_second"].get<double>();
  EXPECT_DOUBLE_EQ(limit, bandwidth / static_cast<double>(bytes_per_token));
  EXPECT_DOUBLE_EQ(report["decode_share_of_limit"].get<double>(),
                   report["tests"][1]["mean_tokens_per_second"].get<double>() / limit);
}

TEST(Bench, BadArgumentsAreUsageErrorsNamingTheFlag) {
  struct Case {
    std::vector<std::string> arguments;
    std::string flag;
  };
  const std::vector<Case> cases = {
      {{"bench"}, "--model"},
      {{"bench", "--model", "/nonexistent/model.gguf"}, "--model"},
      {TinyBench({{"--repetitions", "0"}}), "--repetitions"},
      {TinyBench({{"--threads", "-1"}}), "--threads"},
      {TinyBench({{"--prompt-tokens", "-5"}}), "--prompt-tokens"},
      {TinyBench({{"--gen-tokens", "many"}}), "--gen-tokens"},
      {TinyBench({{"--prompt-tokens", "0"}, {"--gen-tokens", "0"}}), "--prompt-tokens"},
      {TinyBench({{"--prompt-tokens", "4096"}}), "--prompt-tokens"},  // past the model's 2048
      {TinyBench({{"--gen-tokens", "4096"}}), "--gen-tokens"},
      {TinyBench({{"--bandwidth-mib", "-1"}}), "--bandwidth-mib"},
      {TinyBench({}, {"--fast"}), "--fast"},
  };
  for (const Case& bad : cases) {
    std::string command_line;
    for (const std::string& argument : bad.arguments) command_line += argument + " ";
    SCOPED_TRACE(command_line);
    const ProcessResult result = Troupe(bad.arguments);
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_THAT(result.err, AllOf(StartsWith("troupe: error: "), HasSubstr(bad.flag)));
    // The flag's own complaint, not CLI11's about a flag given twice.
    EXPECT_THAT(result.err, Not(HasSubstr("At Most 1")));
    EXPECT_EQ(result.out, "");
  }
}

TEST(Bench, HelpListsTheFlags) {
  const ProcessResult result = Troupe({"bench", "--help"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* flag : {"--model", "--threads", "--prompt-tokens", "--gen-tokens", "--repetitions", "--json",
                           "--bandwidth-mib"}) {
    EXPECT_THAT(result.out, HasSubstr(flag));
  }
}

// Ctrl-C, and a service manager's SIGTERM alike (cli/interrupt.h).
TEST(Bench, CtrlCOrSigtermStopsItCleanlyWithTheShellsCode) {
  for (int signal_number : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(signal_number);
    BackgroundProcess bench(Command(TinyBench({{"--repetitions", "1000000"}})));
    ASSERT_TRUE(bench.WaitForStderr("pp16 run 2/1000000", std::chrono::seconds(60))) << bench.err();
    bench.Signal(signal_number);
    const ProcessResult stopped = bench.Wait(std::chrono::milliseconds(60'000));
    EXPECT_EQ(stopped.exit_code, 130) << stopped.err;
    EXPECT_THAT(stopped.err, HasSubstr("troupe: interrupted"));
    EXPECT_EQ(stopped.out, "");
  }
}

}  // namespace
}  // namespace troupe
