// `troupe analytics sentiment`, run as an operator runs it: the real binary on the shared labelled
// sentences and on small files written here. The report's last line, the JSON, training a model
// and scoring with it, and errors that name the file and line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::BackgroundProcess;
using testing::ProcessResult;
using testing::RunProcess;
using testing::SharedDir;
using testing::TempDir;
using testing::TroupeBinary;

ProcessResult Sentiment(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), {TroupeBinary(), "analytics", "sentiment"});
  return RunProcess(arguments, {}, std::chrono::seconds(120));
}

std::string Labelled(const std::string& name) {
  return (SharedDir() / "testdata/datasets/sentiment/sentiment_labelled_sentences" / name).string();
}

std::string LastLine(const std::string& text) {
  std::istringstream in(text);
  std::string last;
  for (std::string line; std::getline(in, line);) last = line;
  return last;
}

void WriteFile(const std::filesystem::path& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

TEST(SentimentCommandTest, EvaluatesTheLexiconAndEndsWithTheSummaryLine) {
  ProcessResult result = Sentiment({"--eval", Labelled("yelp_labelled.txt")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(LastLine(result.out), MatchesRegex(R"(accuracy=0\.[0-9]{4} macro_f1=0\.[0-9]{4} n=1000)"));
  EXPECT_THAT(result.out, HasSubstr("negative"));
  EXPECT_THAT(result.err, HasSubstr("read 1000 examples"));  // progress goes to stderr
  EXPECT_THAT(result.out, ::testing::Not(HasSubstr("read 1000")));
}

TEST(SentimentCommandTest, EvaluatesSeveralFilesTogetherAsJson) {
  ProcessResult result =
      Sentiment({"--eval", Labelled("amazon_cells_labelled.txt"), Labelled("imdb_labelled.txt"), "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // The JSON object on its own line, and the contract's result line last, as without --json.
  EXPECT_THAT(LastLine(result.out), MatchesRegex(R"(accuracy=0\.[0-9]{4} macro_f1=0\.[0-9]{4} n=2000)"));
  const nlohmann::json report = nlohmann::json::parse(result.out.substr(0, result.out.find('\n')));
  EXPECT_EQ(report["n"], 2000);
  EXPECT_EQ(report["model"], "lexicon");
  EXPECT_GT(report["accuracy"].get<double>(), 0.7);
  ASSERT_EQ(report["classes"].size(), 2u);
  EXPECT_EQ(report["classes"][0]["support"], 1000);
}

TEST(SentimentCommandTest, TrainsAModelThenEvaluatesAndScoresWithIt) {
  TempDir dir;
  const std::string model = (dir / "reviews.model").string();
  ProcessResult trained = Sentiment({"--train", Labelled("amazon_cells_labelled.txt"), "-o", model});
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_THAT(LastLine(trained.out), MatchesRegex(R"(model=.*reviews\.model examples=1000 weights=[0-9]+)"));
  ProcessResult evaluated = Sentiment({"--eval", Labelled("yelp_labelled.txt"), "--model", model});
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.err;
  EXPECT_THAT(LastLine(evaluated.out), MatchesRegex(R"(accuracy=0\.[0-9]{4} macro_f1=0\.[0-9]{4} n=1000)"));
  ProcessResult scored = Sentiment({"--text", "great phone, works perfectly", "--model", model, "--json"});
  ASSERT_EQ(scored.exit_code, 0) << scored.err;
  EXPECT_EQ(nlohmann::json::parse(scored.out)["class"], "positive");
}

TEST(SentimentCommandTest, ScoresOneTextWithTheLexicon) {
  ProcessResult happy = Sentiment({"--text", "I love it!"});
  ASSERT_EQ(happy.exit_code, 0) << happy.err;
  EXPECT_THAT(LastLine(happy.out), MatchesRegex(R"(score=0\.[0-9]{4} class=positive)"));
  ProcessResult plain = Sentiment({"--text", "The train leaves at nine."});
  EXPECT_EQ(plain.out, "score=0.0000 class=neutral\n");
}

TEST(SentimentCommandTest, CrossValidatesWithTheChosenFolds) {
  ProcessResult result = Sentiment({"--cross-validate", Labelled("yelp_labelled.txt"), "--folds", "2", "--seed", "7"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("2-fold cross-validation, seed 7"));
  EXPECT_THAT(LastLine(result.out), MatchesRegex(R"(accuracy=0\.[0-9]{4} macro_f1=0\.[0-9]{4} n=1000)"));
  EXPECT_THAT(result.err, HasSubstr("fold 2 of 2"));
}

TEST(SentimentCommandTest, BadInputFailsNamingTheFileAndLine) {
  TempDir dir;
  WriteFile(dir / "bad.txt", "good phone\t1\nbad phone\tmaybe\n");
  ProcessResult label = Sentiment({"--eval", (dir / "bad.txt").string()});
  EXPECT_EQ(label.exit_code, 1);
  EXPECT_THAT(label.err, HasSubstr("bad.txt:2: unknown label 'maybe'"));
  EXPECT_TRUE(label.out.empty());

  ProcessResult missing = Sentiment({"--eval", (dir / "missing.txt").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("missing.txt"));

  WriteFile(dir / "broken.model", "TRSNTLIN\x01");
  ProcessResult model = Sentiment({"--text", "hello", "--model", (dir / "broken.model").string()});
  EXPECT_EQ(model.exit_code, 1);
  EXPECT_THAT(model.err, HasSubstr("broken.model: not a sentiment model"));

  WriteFile(dir / "neutral.txt", "a phone\tneutral\ngood\t1\nbad\t0\n");
  ProcessResult neutral = Sentiment({"--train", (dir / "neutral.txt").string(), "-o", (dir / "x.model").string()});
  EXPECT_EQ(neutral.exit_code, 1);
  EXPECT_THAT(neutral.err, HasSubstr("positive against negative"));
  EXPECT_FALSE(std::filesystem::exists(dir / "x.model"));
}

// Ctrl-C (or SIGTERM) between folds: nothing on stdout, exit 130. Nine thousand sentences (the
// files thrice) in twenty folds leave seconds of work after the first fold's line.
TEST(SentimentCommandTest, CtrlCStopsACrossValidationBetweenFolds) {
  for (int signal_number : {SIGINT, SIGTERM}) {
    std::vector<std::string> arguments = {TroupeBinary(), "analytics", "sentiment", "--folds", "20", "--hash-bits",
                                          "20", "--cross-validate"};
    for (int copy = 0; copy < 3; ++copy) {
      for (const char* name : {"amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"}) {
        arguments.push_back(Labelled(name));
      }
    }
    BackgroundProcess run(arguments);
    ASSERT_TRUE(run.WaitForStderr("fold 2 of 20", std::chrono::seconds(60))) << run.err();
    run.Signal(signal_number);
    const ProcessResult stopped = run.Wait(std::chrono::milliseconds(60'000));
    EXPECT_EQ(stopped.exit_code, 130) << stopped.err;
    EXPECT_THAT(stopped.err, HasSubstr("interrupted"));
    EXPECT_THAT(stopped.err, ::testing::Not(HasSubstr("fold 20 of 20")));
    EXPECT_TRUE(stopped.out.empty()) << stopped.out;
  }
}

// Usage errors are CLI11's, which `troupe` reports with exit code 1 like every other command's.
TEST(SentimentCommandTest, NeedsExactlyOneThingToDo) {
  ProcessResult none = Sentiment({});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("troupe: error"));
  ProcessResult two = Sentiment({"--text", "hi", "--eval", Labelled("yelp_labelled.txt")});
  EXPECT_EQ(two.exit_code, 1);
  EXPECT_TRUE(two.out.empty());
  ProcessResult no_output = Sentiment({"--train", Labelled("yelp_labelled.txt")});
  EXPECT_EQ(no_output.exit_code, 1);
  EXPECT_THAT(no_output.err, HasSubstr("--output"));
  ProcessResult help = Sentiment({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--eval"));
}

}  // namespace
}  // namespace troupe
