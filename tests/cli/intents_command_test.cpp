// `troupe intents train|eval|classify` as a script uses them: files in, the model file out, the
// last line of eval's report, JSON, exit codes and errors on stderr.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TroupeBinary;

const std::string kCatalog = std::string(TROUPE_SOURCE_DIR) + "/examples/intents/juno.yaml";
const std::string kTest = std::string(TROUPE_SOURCE_DIR) + "/examples/intents/juno_test.tsv";

std::string LastLine(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
  return trimmed.substr(trimmed.rfind('\n') + 1);
}

TEST(IntentsCommandTest, TrainsEvaluatesAndClassifies) {
  testing::TempDir dir;
  const std::string model = (dir / "juno.model").string();
  ProcessResult train = RunProcess({TroupeBinary(), "intents", "train", kCatalog, "-o", model});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  EXPECT_THAT(train.out, HasSubstr("examples=113 intents=8"));
  EXPECT_THAT(train.err, HasSubstr("calibration fold 5 of 5"));
  ASSERT_TRUE(std::filesystem::exists(model));

  ProcessResult eval = RunProcess({TroupeBinary(), "intents", "eval", "--model", model, "--test", kTest});
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  const std::string last = LastLine(eval.out);
  ASSERT_EQ(last.size(), std::string("accuracy=0.0000 macro_f1=0.0000").size()) << last;
  EXPECT_EQ(last.rfind("accuracy=0.", 0), 0u) << last;
  EXPECT_GE(std::stod(last.substr(9, 6)), 0.85) << last;
  EXPECT_THAT(last, HasSubstr(" macro_f1=0."));
  EXPECT_THAT(eval.out, HasSubstr("roaming_prices"));

  ProcessResult json = RunProcess({TroupeBinary(), "intents", "eval", "-m", model, "-t", kTest, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json report = nlohmann::json::parse(json.out);
  EXPECT_EQ(report["examples"], 46);
  EXPECT_EQ(report["per_intent"].size(), 8u);

  ProcessResult classify = RunProcess(
      {TroupeBinary(), "intents", "classify", "-m", model, "--top", "1", "what does data cost in spain"});
  ASSERT_EQ(classify.exit_code, 0) << classify.err;
  EXPECT_EQ(classify.out.rfind("roaming_prices=", 0), 0u) << classify.out;
}

TEST(IntentsCommandTest, DefaultModelPathIsUnderTheDataDirectory) {
  testing::TempDir dir;
  ProcessResult train =
      RunProcess({TroupeBinary(), "intents", "train", kCatalog, "--data", dir.path().string(), "--json"});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const std::string model = (dir / "intents" / "juno.model").string();
  EXPECT_EQ(nlohmann::json::parse(train.out)["model"], model);
  EXPECT_TRUE(std::filesystem::exists(model));
}

TEST(IntentsCommandTest, ErrorsSayWhatIsWrong) {
  testing::TempDir dir;
  ProcessResult missing = RunProcess({TroupeBinary(), "intents", "train", (dir / "nope.yaml").string(), "-o",
                                      (dir / "m").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("troupe: error: "));
  EXPECT_THAT(missing.err, HasSubstr("nope.yaml: no such file or directory"));

  const std::string one_intent = (dir / "one.tsv").string();
  std::ofstream(one_intent) << "hi\tgreet\nhello\tgreet\n";
  ProcessResult single = RunProcess({TroupeBinary(), "intents", "train", one_intent, "-o", (dir / "m").string()});
  EXPECT_EQ(single.exit_code, 1);
  EXPECT_THAT(single.err, HasSubstr("at least two intents; found 1"));

  ProcessResult not_a_model = RunProcess({TroupeBinary(), "intents", "eval", "-m", kTest, "-t", kTest});
  EXPECT_EQ(not_a_model.exit_code, 1);
  EXPECT_THAT(not_a_model.err, HasSubstr("not an intent classifier file"));

  ProcessResult bad_loss =
      RunProcess({TroupeBinary(), "intents", "train", kCatalog, "-o", (dir / "m").string(), "--loss", "huber"});
  EXPECT_EQ(bad_loss.exit_code, 1);
  EXPECT_THAT(bad_loss.err, HasSubstr("--loss must be hinge or logistic"));
}

TEST(IntentsCommandTest, TemplatesListsEachTemplateWithItsSlotsAndFactsAndNamesABadOne) {
  ProcessResult listed = RunProcess({TroupeBinary(), "intents", "templates", kCatalog});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out,
              HasSubstr("check_balance/balance\tslots=balance,data_left,renewal_date\tfacts=\tYour balance is {balance}."));
  EXPECT_THAT(listed.out, HasSubstr("check_balance/low_credit\tslots=balance,name\tfacts=top up|5|https://"));
  testing::TempDir dir;
  const std::string bad = (dir / "bad.yml").string();
  {
    std::ofstream file(bad);
    file << "intents:\n  - name: pay\n    examples: [pay]\n    templates: [\"Pay {amount by Friday\"]\n";
  }
  ProcessResult failed = RunProcess({TroupeBinary(), "intents", "templates", bad});
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_THAT(failed.err, HasSubstr("bad.yml:4: pay.templates[0]: '{' at offset 4 is never closed"));
}

}  // namespace
}  // namespace troupe
