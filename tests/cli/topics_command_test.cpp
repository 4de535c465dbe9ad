// `troupe analytics topics`, run as a user runs it: the real binary on a JSON Lines file of
// messages drawn from four planted topics. The table's and the JSON's shape, the planted topics
// found, the same output for the same seed, K chosen among candidates, errors that name the line or
// the flag, and Ctrl-C.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::BackgroundProcess;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TempDir;
using testing::TroupeBinary;

const std::vector<std::vector<std::string>> kCliPlantedTopics = {
    {"pizza", "pasta", "salad", "burger", "sandwich", "noodle", "cheese", "bread", "soup", "curry"},
    {"football", "soccer", "tennis", "hockey", "baseball", "stadium", "referee", "tournament", "cricket", "rugby"},
    {"rain", "snow", "storm", "thunder", "cloud", "sunshine", "humidity", "forecast", "drizzle", "blizzard"},
    {"guitar", "piano", "violin", "drum", "melody", "concert", "orchestra", "album", "singer", "chorus"},
};

// 240 messages, each ten words of one planted topic among chat filler, as JSON Lines.
std::string WritePlantedMessages(const TempDir& directory) {
  const std::string path = (directory / "messages.jsonl").string();
  std::ofstream file(path);
  std::mt19937 random(11);
  for (int n = 0; n < 60; ++n) {
    for (const std::vector<std::string>& words : kCliPlantedTopics) {
      std::string text = "lol ok so";
      for (int i = 0; i < 10; ++i) text += " " + words[random() % words.size()];
      file << nlohmann::json({{"text", text + " yeah!"}, {"user", n}}).dump() << "\n";
    }
  }
  return path;
}

std::vector<std::string> TopicsCommand(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), {TroupeBinary(), "analytics", "topics"});
  return arguments;
}

ProcessResult Topics(std::vector<std::string> arguments) {
  return RunProcess(TopicsCommand(std::move(arguments)), {}, std::chrono::seconds(120));
}

std::vector<std::string> OutputLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The planted topic every word belongs to, or -1 when they come from several (or none).
int CliPlantedTopicOf(const std::vector<std::string>& words) {
  std::set<int> topics;
  for (const std::string& word : words) {
    int found = -1;
    for (size_t topic = 0; topic < kCliPlantedTopics.size(); ++topic) {
      for (const std::string& planted : kCliPlantedTopics[topic]) {
        if (planted == word) found = static_cast<int>(topic);
      }
    }
    topics.insert(found);
  }
  return topics.size() == 1 ? *topics.begin() : -1;
}

TEST(AnalyticsTopics, PrintsEachPlantedTopicWithItsShareCoherenceAndWords) {
  TempDir directory;
  const ProcessResult result =
      Topics({"--input", WritePlantedMessages(directory), "--topics", "4", "--iterations", "100", "--top-words", "6"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> lines = OutputLines(result.out);
  ASSERT_EQ(lines.size(), 7u) << result.out;
  EXPECT_EQ(lines[0], "messages=240 vocabulary=40 tokens=2400 topics=4 iterations=100 seed=1");
  EXPECT_THAT(lines[1], MatchesRegex("topic +share +npmi +umass +top words"));
  std::set<int> planted;
  for (size_t row = 2; row < 6; ++row) {
    std::istringstream fields(lines[row]);
    size_t rank = 0;
    double share = 0, npmi = 0, umass = 0;
    fields >> rank >> share >> npmi >> umass;
    EXPECT_EQ(rank, row - 1);
    EXPECT_THAT(share, DoubleNear(0.25, 0.03));
    EXPECT_GT(npmi, 0);
    std::vector<std::string> words;
    for (std::string word; fields >> word;) words.push_back(word);
    EXPECT_EQ(words.size(), 6u) << lines[row];
    planted.insert(CliPlantedTopicOf(words));
  }
  EXPECT_EQ(planted, (std::set<int>{0, 1, 2, 3})) << result.out;
  EXPECT_THAT(lines[6], MatchesRegex("mean_npmi=0\\.[0-9]{4} mean_umass=-?[0-9]+\\.[0-9]{4}"));
  EXPECT_THAT(result.err, HasSubstr("troupe analytics topics: 240 messages, 40 words kept, 2400 tokens"));
  EXPECT_THAT(result.err, HasSubstr("topics=4 sweep 100/100"));
}

TEST(AnalyticsTopics, JsonHasEveryTopicWithItsWordsAndSharesThatSumToOne) {
  TempDir directory;
  const ProcessResult result = Topics({"--input", WritePlantedMessages(directory), "--topics", "4", "--iterations",
                                       "50", "--top-words", "5", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["messages"], 240);
  EXPECT_EQ(report["topic_count"], 4);
  EXPECT_EQ(report["alpha"], 0.1);
  EXPECT_EQ(report["beta"], 0.01);
  ASSERT_EQ(report["candidates"].size(), 1u);
  ASSERT_EQ(report["topics"].size(), 4u);
  double shares = 0;
  for (const nlohmann::json& topic : report["topics"]) {
    EXPECT_EQ(topic["words"].size(), 5u);
    EXPECT_GE(topic["npmi"].get<double>(), -1);
    EXPECT_LE(topic["npmi"].get<double>(), 1);
    shares += topic["share"].get<double>();
  }
  EXPECT_THAT(shares, DoubleNear(1, 1e-9));
}

TEST(AnalyticsTopics, TheSameSeedPrintsTheSameTopics) {
  TempDir directory;
  const std::string input = WritePlantedMessages(directory);
  const ProcessResult first = Topics({"--input", input, "--topics", "6", "--iterations", "20", "--seed", "9"});
  const ProcessResult second = Topics({"--input", input, "--topics", "6", "--iterations", "20", "--seed", "9"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, second.out);
}

TEST(AnalyticsTopics, ChoosesThePlantedCountByCoherence) {
  TempDir directory;
  const ProcessResult result =
      Topics({"--input", WritePlantedMessages(directory), "--topics", "2,4", "--iterations", "100"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> lines = OutputLines(result.out);
  ASSERT_GE(lines.size(), 3u) << result.out;
  EXPECT_THAT(lines[0], HasSubstr(" topics=4 "));
  EXPECT_THAT(lines[1], MatchesRegex("candidate topics=2 mean_npmi=-?[0-9.]+ mean_umass=-?[0-9.]+"));
  EXPECT_THAT(lines[2], MatchesRegex("candidate topics=4 mean_npmi=[0-9.]+ mean_umass=-?[0-9.]+ \\(chosen\\)"));
}

TEST(AnalyticsTopics, BadInputIsAnErrorNamingTheLineOrTheFlag) {
  TempDir directory;
  const std::string bad = (directory / "bad.jsonl").string();
  std::ofstream(bad) << "{\"text\": \"pizza\"}\n\n{\"text\": pizza}\n";
  const ProcessResult bad_line = Topics({"--input", bad, "--topics", "3"});
  EXPECT_EQ(bad_line.exit_code, 1);
  EXPECT_THAT(bad_line.err, HasSubstr("troupe: error: " + bad + ":3: not valid JSON (column"));
  EXPECT_EQ(bad_line.out, "");

  const ProcessResult missing = Topics({"--input", (directory / "absent.jsonl").string(), "--topics", "3"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("absent.jsonl: no such file"));

  const std::string input = WritePlantedMessages(directory);
  for (const char* topics : {"0", "x", "4,,5", "auto5", "99999"}) {
    const ProcessResult wrong = Topics({"--input", input, "--topics", topics});
    EXPECT_EQ(wrong.exit_code, 1) << topics;
    EXPECT_THAT(wrong.err, HasSubstr("--topics must be a count")) << topics;
  }
  const ProcessResult too_rare = Topics({"--input", input, "--topics", "3", "--min-documents", "1000"});
  EXPECT_EQ(too_rare.exit_code, 1);
  EXPECT_THAT(too_rare.err, HasSubstr("no words left to model"));
  EXPECT_THAT(too_rare.err, HasSubstr("--min-documents"));

  // Usage errors come from CLI11 through troupe's parser: non-zero, naming the flag.
  const ProcessResult no_input = Topics({"--topics", "3"});
  EXPECT_NE(no_input.exit_code, 0);
  EXPECT_THAT(no_input.err, HasSubstr("--input"));
  const ProcessResult zero_sweeps = Topics({"--input", input, "--topics", "3", "--iterations", "0"});
  EXPECT_NE(zero_sweeps.exit_code, 0);
  EXPECT_THAT(zero_sweeps.err, HasSubstr("--iterations"));
}

TEST(AnalyticsTopics, HelpListsTheFlags) {
  const ProcessResult help = Topics({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--input", "--topics", "--top-words", "--iterations", "--seed", "--json"}) {
    EXPECT_THAT(help.out, HasSubstr(flag));
  }
}

// Ctrl-C, and a service manager's SIGTERM alike (cli/interrupt.h).
TEST(AnalyticsTopics, CtrlCStopsTheSamplingWithTheShellsCode) {
  TempDir directory;
  const std::string input = WritePlantedMessages(directory);
  for (int signal_number : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(signal_number);
    BackgroundProcess topics(TopicsCommand({"--input", input, "--topics", "4", "--iterations", "1000000"}));
    ASSERT_TRUE(topics.WaitForStderr("sweep 200/1000000", std::chrono::seconds(60))) << topics.err();
    topics.Signal(signal_number);
    const ProcessResult stopped = topics.Wait(std::chrono::milliseconds(60'000));
    EXPECT_EQ(stopped.exit_code, 130) << stopped.err;
    EXPECT_THAT(stopped.err, HasSubstr("troupe: interrupted"));
    EXPECT_EQ(stopped.out, "");
  }
}

}  // namespace
}  // namespace troupe
