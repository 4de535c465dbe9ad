// `troupe eval --character C --dataset D`, `eval runs` and `eval diff` through the real binary, on a
// real SQLite file with a shipped character and the shared stories260K model: the result line's
// shape and ranges, runs stored and listed, the diff of two runs, the references' perplexity (the
// same whatever the sampling, lower for text like the model's training stories than for noise),
// and the errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::ProcessResult;
using testing::RunProcess;
using testing::SharedDir;
using testing::TempDir;
using testing::TroupeBinary;

class EvalCharacterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Troupe({"db", "migrate"}).exit_code, 0);
    ProcessResult imported =
        Troupe({"characters", "import", std::string(TROUPE_SOURCE_DIR) + "/examples/characters/pip_apprentice_wizard.json"});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }

  ProcessResult Troupe(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), {TroupeBinary(), "--data", (dir_ / "data").string()});
    return RunProcess(arguments, {{"TROUPE_MODEL_PATH", (SharedDir() / "models/stories260K.gguf").string()}},
                      std::chrono::seconds(120));
  }

  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  std::string Dataset(const std::string& name, const std::string& second_reference) {
    return Write(name,
                 "{\"prompt\": \"Hello, who are you?\", \"reference\": \"Once upon a time there was a little girl.\"}\n"
                 "{\"prompt\": \"Tell me a story.\", \"references\": [\"Lily went to the park.\", \"Tom was happy.\"]}\n"
                 "{\"prompt\": \"What is magic?\", \"reference\": \"" + second_reference + "\"}\n");
  }

  static std::string LastLine(const std::string& text) {
    std::istringstream in(text);
    std::string last;
    for (std::string line; std::getline(in, line);) last = line;
    return last;
  }

  static double Field(const std::string& line, const std::string& name) {
    const size_t at = line.find(name + "=");
    return at == std::string::npos ? -1 : std::stod(line.substr(at + name.size() + 1));
  }

  TempDir dir_;
};

TEST_F(EvalCharacterTest, RunsTheCharacterOnEveryCaseAndStoresTheRun) {
  const std::string dataset = Dataset("qa.jsonl", "The sun was shining and the bird sang.");
  ProcessResult first = Troupe({"eval", "--character", "pip-thistlewick", "--dataset", dataset, "--max-tokens", "16"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, MatchesRegex("bleu=[0-9]+\\.[0-9]{2} chrf=[0-9]+\\.[0-9]{2} rouge1=[01]\\.[0-9]{4} "
                                      "rouge2=[01]\\.[0-9]{4} rougeL=[01]\\.[0-9]{4} perplexity=[0-9]+\\.[0-9]{4} "
                                      "n=3 failed=0 run=1\n"));
  EXPECT_THAT(first.err, HasSubstr("case 3/3"));
  const double perplexity = Field(first.out, "perplexity");
  EXPECT_GT(perplexity, 1.0);

  // Sampling changes the replies, never the references' perplexity; --json gives the whole run.
  ProcessResult second = Troupe({"eval", "--character", "1", "--dataset", dataset, "--max-tokens", "16",
                                 "--temperature", "0.9", "--seed", "7", "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_DOUBLE_EQ(Field(LastLine(second.out), "perplexity"), perplexity);
  const nlohmann::json run = nlohmann::json::parse(second.out.substr(0, second.out.find('\n')));
  EXPECT_EQ(run["id"], 2);
  EXPECT_EQ(run["character"], "pip-thistlewick");
  EXPECT_EQ(run["dataset"], "qa.jsonl");
  ASSERT_EQ(run["cases"].size(), 3u);
  EXPECT_EQ(run["cases"][1]["references"].size(), 2u);
  EXPECT_GT(run["cases"][0]["reference_tokens"].get<int>(), 0);
  EXPECT_THAT(run["provider"].get<std::string>(), ::testing::StartsWith("local/"));

  ProcessResult runs = Troupe({"eval", "runs", "--character", "pip-thistlewick", "--json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  const nlohmann::json listed = nlohmann::json::parse(runs.out);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["id"], 1);
  EXPECT_EQ(listed[0]["dataset_fingerprint"], listed[1]["dataset_fingerprint"]);

  ProcessResult diff = Troupe({"eval", "diff", "1", "2"});
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_THAT(diff.out, HasSubstr("run 1 -> run 2 (pip-thistlewick; same dataset, 3 cases matched)"));
  EXPECT_THAT(diff.out, HasSubstr("perplexity="));
  EXPECT_THAT(diff.out, MatchesRegex("(.|\n)*bleu=[0-9.]+ -> [0-9.]+ \\([-+][0-9.]+\\)\n(.|\n)*"));
}

TEST_F(EvalCharacterTest, StoryLikeReferencesAreLessPerplexingThanNoise) {
  ProcessResult story = Troupe({"eval", "--character", "1", "--dataset",
                                Dataset("story.jsonl", "The little dog was happy and played in the sun."),
                                "--max-tokens", "4"});
  ProcessResult noise = Troupe({"eval", "--character", "1", "--dataset",
                                Dataset("noise.jsonl", "Qzx vrk jjw plo xqv zzt kkq wvb."), "--max-tokens", "4"});
  ASSERT_EQ(story.exit_code, 0) << story.err;
  ASSERT_EQ(noise.exit_code, 0) << noise.err;
  EXPECT_LT(Field(story.out, "perplexity"), Field(noise.out, "perplexity"));
}

TEST_F(EvalCharacterTest, ErrorsSayWhatIsWrong) {
  const std::string bad = Write("bad.jsonl", "{\"prompt\": \"hi\", \"reference\": \"x\"}\n{\"prompt\": 1}\n");
  ProcessResult refused = Troupe({"eval", "--character", "1", "--dataset", bad});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("bad.jsonl:2: \"prompt\" must be a string"));
  EXPECT_TRUE(refused.out.empty());

  ProcessResult unknown = Troupe({"eval", "--character", "nobody", "--dataset", Dataset("qa.jsonl", "x")});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("nobody"));

  ProcessResult nothing = Troupe({"eval"});
  EXPECT_NE(nothing.exit_code, 0);
  EXPECT_THAT(nothing.err, HasSubstr("give --character and --dataset, or a subcommand"));

  ProcessResult missing_run = Troupe({"eval", "diff", "1", "99"});
  EXPECT_EQ(missing_run.exit_code, 1);
  EXPECT_THAT(missing_run.err, HasSubstr("evaluation run 1 not found"));
}

}  // namespace
}  // namespace troupe
