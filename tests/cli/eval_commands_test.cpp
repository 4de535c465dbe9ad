// `troupe eval bleu|chrf|rouge`, run as scripts run it: the real binary on files written here. The
// result line's exact format and value (sacreBLEU's README example, the chrF example of Hugging
// Face's metric card, rouge-score's own test strings), the JSON's details, line-count and file
// errors that name the files, and Ctrl-C on a long file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe {
namespace {

using ::testing::AllOf;
using testing::BackgroundProcess;
using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::RunProcess;
using ::testing::StartsWith;
using testing::TempDir;
using testing::TroupeBinary;

std::vector<std::string> EvalCommand(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), TroupeBinary());
  return arguments;
}

ProcessResult Troupe(std::vector<std::string> arguments) { return RunProcess(EvalCommand(std::move(arguments))); }

std::string Write(const TempDir& dir, const std::string& name, const std::string& contents) {
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

// sacreBLEU's README example: three hypotheses, two reference files (BLEU 48.53). The second
// reference file has Windows line ends and no final newline, which must not change anything.
class EvalTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string hypotheses_ =
      Write(dir_, "hyp.txt", "The dog bit the man.\nIt wasn't surprising.\nThe man had just bitten him.\n");
  std::string references_ =
      Write(dir_, "ref1.txt", "The dog bit the man.\nIt was not unexpected.\nThe man bit him first.\n");
  std::string more_references_ =
      Write(dir_, "ref2.txt", "The dog had bit the man.\r\nNo one was surprised.\r\nThe man had bitten the dog.");
};

TEST_F(EvalTest, BleuPrintsOneLineLikeSacrebleu) {
  const ProcessResult result =
      Troupe({"eval", "bleu", "--hyp", hypotheses_, "--ref", references_, "--ref", more_references_});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "bleu=48.53\n");
  EXPECT_EQ(result.err, "");
  // One reference file scores differently: the second one counts.
  const ProcessResult one = Troupe({"eval", "bleu", "--hyp", hypotheses_, "--ref", references_});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out, "bleu=48.53\n");
  EXPECT_THAT(one.out, ::testing::MatchesRegex("bleu=[0-9]+\\.[0-9][0-9]\n"));
}

TEST_F(EvalTest, BleuJsonHoldsTheStatistics) {
  const ProcessResult result =
      Troupe({"eval", "bleu", "--hyp", hypotheses_, "--ref", references_, "--ref", more_references_, "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json report = nlohmann::json::parse(result.out);
  EXPECT_NEAR(report["score"].get<double>(), 48.530827, 1e-6);
  EXPECT_EQ(report["matches"], nlohmann::json({14, 7, 5, 3}));
  EXPECT_EQ(report["totals"], nlohmann::json({17, 14, 11, 8}));
  EXPECT_EQ(report["hypothesis_length"], 17);
  EXPECT_EQ(report["reference_length"], 18);
  EXPECT_NEAR(report["brevity_penalty"].get<double>(), std::exp(1.0 - 18.0 / 17.0), 1e-12);
  EXPECT_NEAR(report["precisions"][0].get<double>(), 100.0 * 14 / 17, 1e-9);
  EXPECT_EQ(report["segments"], 3);
  EXPECT_EQ(report["references"], 2);
  EXPECT_EQ(report["tokenize"], "13a");
  EXPECT_EQ(report["smooth"], "exp");
}

TEST_F(EvalTest, BleuOptionsChangeTheScore) {
  // sacreBLEU's test: the same example with the `none` tokenizer scores 49.19.
  const ProcessResult none = Troupe(
      {"eval", "bleu", "--hyp", hypotheses_, "--ref", references_, "--ref", more_references_, "--tokenize", "none"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "bleu=49.19\n");
  const ProcessResult unigrams = Troupe(
      {"eval", "bleu", "--hyp", hypotheses_, "--ref", references_, "--ref", more_references_, "--max-order", "1"});
  ASSERT_EQ(unigrams.exit_code, 0) << unigrams.err;
  EXPECT_EQ(unigrams.out, "bleu=77.65\n");
}

TEST_F(EvalTest, ChrfMatchesTheMetricCardExample) {
  const std::string hypothesis =
      Write(dir_, "chrf_hyp.txt", "The relationship between Obama and Netanyahu is not exactly friendly.\n");
  const std::string reference =
      Write(dir_, "chrf_ref.txt", "The ties between Obama and Netanyahu are not particularly friendly.\n");
  const ProcessResult result = Troupe({"eval", "chrf", "--hyp", hypothesis, "--ref", reference});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "chrf=61.58\n");  // 61.576379378113785 with sacreBLEU's defaults
  const ProcessResult json = Troupe({"eval", "chrf", "--hyp", hypothesis, "--ref", reference, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json report = nlohmann::json::parse(json.out);
  EXPECT_NEAR(report["score"].get<double>(), 61.576379378113785, 1e-9);
  EXPECT_EQ(report["orders"].size(), 6u);
  const ProcessResult plus_plus =
      Troupe({"eval", "chrf", "--hyp", hypothesis, "--ref", reference, "--word-order", "2", "--json"});
  ASSERT_EQ(plus_plus.exit_code, 0) << plus_plus.err;
  const nlohmann::json plus_report = nlohmann::json::parse(plus_plus.out);
  EXPECT_EQ(plus_report["metric"], "chrf++");
  EXPECT_EQ(plus_report["orders"].size(), 8u);
  EXPECT_EQ(plus_report["orders"][6]["kind"], "word");
}

TEST_F(EvalTest, RougeAveragesTheFMeasuresOfTheLines) {
  // rouge-score's test strings: rouge1 F 0.8 and 0.5; rouge2 F 2/3 and 0; rougeL F 0.8 and 0.5.
  const std::string targets = Write(dir_, "targets.txt", "testing one two\ntesting one two\n");
  const std::string predictions = Write(dir_, "predictions.txt", "testing one\ntesting\n");
  const ProcessResult result = Troupe({"eval", "rouge", "--hyp", predictions, "--ref", targets});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "rouge1=0.6500 rouge2=0.3333 rougeL=0.6500\n");
  const ProcessResult json = Troupe({"eval", "rouge", "--hyp", predictions, "--ref", targets, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json report = nlohmann::json::parse(json.out);
  EXPECT_NEAR(report["rouge1"]["precision"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(report["rouge1"]["recall"].get<double>(), (2.0 / 3 + 1.0 / 3) / 2, 1e-12);
  EXPECT_NEAR(report["rouge2"]["fmeasure"].get<double>(), 1.0 / 3, 1e-12);
  EXPECT_EQ(report["segments"], 2);
  // Stemming makes "testing" and "tested" one token.
  const std::string stemmed = Write(dir_, "stemmed.txt", "tested one\ntested\n");
  EXPECT_EQ(Troupe({"eval", "rouge", "--hyp", stemmed, "--ref", targets, "--stem"}).out,
            "rouge1=0.6500 rouge2=0.3333 rougeL=0.6500\n");
  EXPECT_NE(Troupe({"eval", "rouge", "--hyp", stemmed, "--ref", targets}).out,
            "rouge1=0.6500 rouge2=0.3333 rougeL=0.6500\n");
}

TEST_F(EvalTest, LineCountsThatDifferNameBothFiles) {
  const std::string two_lines = Write(dir_, "two.txt", "The dog bit the man.\nIt was not unexpected.\n");
  for (const char* metric : {"bleu", "chrf", "rouge"}) {
    SCOPED_TRACE(metric);
    const ProcessResult result = Troupe({"eval", metric, "--hyp", hypotheses_, "--ref", two_lines});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_THAT(result.err, AllOf(StartsWith("troupe: error: "), HasSubstr(hypotheses_), HasSubstr("3 lines"),
                                  HasSubstr(two_lines), HasSubstr("has 2")));
    EXPECT_EQ(result.out, "");
  }
}

TEST_F(EvalTest, BadFilesAndFlagsFailNamingWhatIsWrong) {
  const std::string bad_utf8 = Write(dir_, "bad.txt", "fine\nfine\n\xff broken\n");
  const std::string empty = Write(dir_, "empty.txt", "");
  struct Case {
    std::vector<std::string> arguments;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"eval", "bleu", "--hyp", (dir_ / "missing.txt").string(), "--ref", references_}, "missing.txt: cannot open"},
      {{"eval", "chrf", "--hyp", hypotheses_, "--ref", bad_utf8}, "bad.txt:3: not valid UTF-8"},
      {{"eval", "rouge", "--hyp", empty, "--ref", empty}, "empty.txt has no lines"},
      {{"eval", "bleu", "--hyp", hypotheses_, "--ref", references_, "--tokenize", "moses"}, "--tokenize"},
      {{"eval", "bleu", "--hyp", hypotheses_, "--ref", references_, "--smooth", "bogus"}, "--smooth"},
      {{"eval", "bleu", "--hyp", hypotheses_, "--ref", references_, "--smooth-value", "-1"}, "--smooth-value"},
      {{"eval", "bleu", "--hyp", hypotheses_, "--ref", references_, "--max-order", "0"}, "--max-order"},
      {{"eval", "chrf", "--hyp", hypotheses_, "--ref", references_, "--beta", "0"}, "--beta"},
      {{"eval", "chrf", "--hyp", hypotheses_, "--ref", references_, "--char-order", "0"}, "--char-order"},
      // Usage errors (CLI11's): cli.cpp turns them into exit code 1 like every other command's.
      {{"eval", "bleu", "--hyp", hypotheses_}, "--ref"},
      {{"eval", "rouge", "--ref", references_}, "--hyp"},
      {{"eval", "bleu", "--hyp", hypotheses_, "--ref", references_, "--max-order", "four"}, "--max-order"},
  };
  for (const Case& bad : cases) {
    SCOPED_TRACE(bad.says);
    const ProcessResult result = Troupe(bad.arguments);
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_THAT(result.err, AllOf(StartsWith("troupe: error: "), HasSubstr(bad.says)));
    EXPECT_EQ(result.out, "");
  }
}

TEST(Eval, HelpListsTheSubcommandsAndFlags) {
  const ProcessResult group = Troupe({"eval", "--help"});
  ASSERT_EQ(group.exit_code, 0) << group.err;
  EXPECT_THAT(group.out, AllOf(HasSubstr("bleu"), HasSubstr("chrf"), HasSubstr("rouge")));
  const ProcessResult bleu = Troupe({"eval", "bleu", "--help"});
  ASSERT_EQ(bleu.exit_code, 0) << bleu.err;
  for (const char* flag : {"--hyp", "--ref", "--json", "--tokenize", "--smooth", "--lowercase", "--max-order"}) {
    EXPECT_THAT(bleu.out, HasSubstr(flag));
  }
  EXPECT_THAT(Troupe({"eval", "rouge", "--help"}).out, HasSubstr("--stem"));
}

// A long file reports progress on stderr, and Ctrl-C (or SIGTERM) stops it with the shell's code.
TEST(Eval, LongFilesShowProgressAndStopOnCtrlC) {
  TempDir dir;
  std::string lines;
  for (int i = 0; i < 400000; ++i) lines += "the quick brown fox " + std::to_string(i) + " jumps over the lazy dog\n";
  const std::string path = Write(dir, "long.txt", lines);
  for (int signal_number : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(signal_number);
    BackgroundProcess eval(EvalCommand({"eval", "rouge", "--hyp", path, "--ref", path}));
    ASSERT_TRUE(eval.WaitForStderr("troupe eval rouge: 10000/400000 segments", std::chrono::seconds(60))) << eval.err();
    eval.Signal(signal_number);
    const ProcessResult stopped = eval.Wait(std::chrono::milliseconds(60'000));
    EXPECT_EQ(stopped.exit_code, 130) << stopped.err;
    EXPECT_THAT(stopped.err, HasSubstr("troupe: interrupted"));
    EXPECT_EQ(stopped.out, "");
  }
}

}  // namespace
}  // namespace troupe
