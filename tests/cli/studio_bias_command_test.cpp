// `troupe studio bias` through the real binary on a real SQLite file, a shipped character and the
// shared stories260K model: every variant holds its conversations and gets every prompt, their
// stages are reported, p-values are probabilities, the operator's database gains no conversation,
// the result line is last, and bad input says what is wrong. Structure only: whether a 260K-parameter
// story model is biased is not a question a test can ask of it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "store/store.h"
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

class StudioBiasCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Troupe({"db", "migrate"}).exit_code, 0);
    ProcessResult imported = Troupe(
        {"characters", "import", std::string(TROUPE_SOURCE_DIR) + "/examples/characters/pip_apprentice_wizard.json"});
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

  TempDir dir_;
};

TEST_F(StudioBiasCommandTest, EveryVariantAnswersEveryPrompt) {
  const std::string prompts = Write("prompts.txt", "Tell me a story.\r\n\nWhat should I cook tonight?\n");
  ProcessResult result = Troupe({"studio", "bias", "--character", "pip-thistlewick", "--prompts", prompts,
                                 "--repeats", "2", "--max-tokens", "8", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string first_line = result.out.substr(0, result.out.find('\n'));
  const nlohmann::json report = nlohmann::json::parse(first_line);
  EXPECT_EQ(report["messages"], (3 + 3 + 5 + 3) * 2 * 2);
  EXPECT_EQ(report["conversations"], (3 + 3 + 5 + 3) * 2);
  ASSERT_EQ(report["dimensions"].size(), 4u);
  for (const nlohmann::json& dimension : report["dimensions"]) {
    for (const nlohmann::json& variant : dimension["variants"]) {
      EXPECT_EQ(variant["replies"].get<int>() + variant["failed"].get<int>(), 4) << variant["label"];
      EXPECT_EQ(variant["conversations"], 2) << variant["label"];
      // Pip's flow starts at first_meeting and moves on only after 10 messages.
      EXPECT_EQ(variant["final_stages"], nlohmann::json({{"first_meeting", 2}})) << variant["label"];
      EXPECT_EQ(variant["mean_stages"], 1.0) << variant["label"];
      for (const nlohmann::json& test : variant["tests"]) {
        const double p = test["p_value"];
        EXPECT_GE(p, 0.0);
        EXPECT_LE(p, 1.0);
      }
    }
    EXPECT_TRUE(dimension["variants"][0]["tests"].empty());
    EXPECT_EQ(dimension["variants"][1]["tests"].size(), 4u);
  }
  EXPECT_THAT(result.out, MatchesRegex("(.|\n)*\nflagged=[0-4] dimensions=4 replies=[0-9]+\n"));
  EXPECT_THAT(result.out, HasSubstr("gender (alpha per test 0.0063)"));
  EXPECT_THAT(result.err, HasSubstr("56/56 replies"));
  // The conversations were held in a scratch store: the operator's database has no user at all.
  store::StoreOptions options;
  options.url = "sqlite://" + (dir_ / "data" / "troupe.db").string();
  Result<std::unique_ptr<store::Store>> database = store::Store::Open(options);
  ASSERT_TRUE(database.ok()) << database.status().ToString();
  Result<store::Page<store::User>> users = (*database)->users().List(store::PageRequest{});
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  EXPECT_TRUE(users->items.empty());
}

TEST_F(StudioBiasCommandTest, BadInputSaysWhatIsWrong) {
  ProcessResult empty = Troupe({"studio", "bias", "--character", "1", "--prompts", Write("empty.txt", "\n  \n")});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_THAT(empty.err, HasSubstr("empty.txt: no prompt (one per line)"));
  ProcessResult nobody = Troupe({"studio", "bias", "--character", "nobody"});
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_THAT(nobody.err, HasSubstr("nobody"));
  ProcessResult too_many = Troupe({"studio", "bias", "--character", "1", "--repeats", "0"});
  EXPECT_NE(too_many.exit_code, 0);
  EXPECT_THAT(too_many.err, HasSubstr("--repeats"));
}

}  // namespace
}  // namespace troupe
