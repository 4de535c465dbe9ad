// `troupe studio experiment plan|compare`, run as an operator runs them: the real binary, its result
// line, its JSON and its errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/process.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TroupeBinary;

ProcessResult Studio(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), {TroupeBinary(), "studio", "experiment"});
  return RunProcess(arguments);
}

TEST(StudioExperimentCommandTest, PlanPrintsTheTrialsPerVariant) {
  ProcessResult result = Studio({"plan", "--baseline", "0.10", "--effect", "0.02"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "trials_per_variant=3841\n");
}

TEST(StudioExperimentCommandTest, CompareAppliesTheStopRule) {
  ProcessResult before = Studio({"compare", "--control", "120/1000", "--treatment", "150/1000", "--planned", "2000"});
  EXPECT_EQ(before.exit_code, 0) << before.err;
  EXPECT_THAT(before.out, HasSubstr("p=0.049640 decision=continue"));

  ProcessResult after = Studio({"compare", "--control", "120/1000", "--treatment", "150/1000", "--planned", "1000"});
  EXPECT_THAT(after.out, HasSubstr("difference=0.0300 "));
  EXPECT_THAT(after.out, HasSubstr("decision=significant"));

  ProcessResult corrected = Studio({"compare", "--control", "120/1000", "--treatment", "150/1000", "--planned",
                                    "1000", "--comparisons", "3", "--json"});
  ASSERT_EQ(corrected.exit_code, 0) << corrected.err;
  const nlohmann::json report = nlohmann::json::parse(corrected.out);
  EXPECT_EQ(report["decision"], "inconclusive");
  EXPECT_NEAR(report["z"].get<double>(), 1.963050, 1e-6);
}

TEST(StudioExperimentCommandTest, BadCountsSayWhichFlagAndWhy) {
  ProcessResult result = Studio({"compare", "--control", "12x/1000", "--treatment", "150/1000"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("--control must be SUCCESSES/TRIALS"));
  EXPECT_THAT(result.err, HasSubstr("'12x/1000'"));
  EXPECT_TRUE(result.out.empty());

  ProcessResult impossible = Studio({"compare", "--control", "20/10", "--treatment", "1/10"});
  EXPECT_EQ(impossible.exit_code, 1);
  EXPECT_THAT(impossible.err, HasSubstr("successes must be between 0 and the trials"));
}

}  // namespace
}  // namespace troupe
