// `troupe studio flow generate|optimize` through the real binary with the shared stories260K model
// as the local engine: a generated flow printed as YAML (or JSON with its stages), progress on
// stderr; an imported character's flow optimized into edits with a diff, --apply saving it; and
// clear errors for bad flags and unknown characters. Structure only, never the tiny model's prose.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using testing::ProcessResult;

class StudioFlowCommandsTest : public ::testing::Test {
 protected:
  ProcessResult Troupe(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), {testing::TroupeBinary(), "--data", (dir_ / "data").string()});
    return testing::RunProcess(
        arguments,
        {{"TROUPE_MODEL_PATH", (testing::SharedDir() / "models/stories260K.gguf").string()}, {"TROUPE_LOG_LEVEL", "warn"}},
        std::chrono::seconds(300));
  }

  testing::TempDir dir_;
};

TEST_F(StudioFlowCommandsTest, GenerateWritesAFlowOfTheAskedSize) {
  ProcessResult yaml = Troupe({"studio", "flow", "generate", "--topic", "a pen pal", "--goal", "the user writes a letter",
                               "--min-stages", "3", "--max-stages", "4"});
  ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
  EXPECT_THAT(yaml.out, HasSubstr("stages:\n"));
  EXPECT_THAT(yaml.out, HasSubstr("opens_conversation: true"));
  EXPECT_THAT(yaml.err, HasSubstr("troupe studio flow generate: 100%"));

  ProcessResult json = Troupe({"studio", "flow", "generate", "--topic", "a pen pal", "--goal", "the user writes a letter",
                               "--min-stages", "3", "--max-stages", "4", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json result = nlohmann::json::parse(json.out);
  EXPECT_GE(result["stages"].size(), 3u);
  EXPECT_LE(result["stages"].size(), 4u);
  EXPECT_EQ(result["flow"], yaml.out);  // the same seed gives the same flow
}

TEST_F(StudioFlowCommandsTest, OptimizeProposesEditsWithADiffAndApplySavesThem) {
  ASSERT_EQ(Troupe({"db", "migrate"}).exit_code, 0);
  ProcessResult imported = Troupe({"characters", "import", "--publish",
                                   std::string(TROUPE_SOURCE_DIR) + "/examples/characters/pip_apprentice_wizard.json"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  ProcessResult proposed = Troupe({"studio", "flow", "optimize", "--character", "pip-thistlewick", "--json"});
  ASSERT_EQ(proposed.exit_code, 0) << proposed.err;
  const nlohmann::json proposal = nlohmann::json::parse(proposed.out);
  EXPECT_GE(proposal["edits"].size(), 1u);
  ASSERT_GE(proposal["performance"].size(), 2u);
  EXPECT_EQ(proposal["performance"][0]["reached"], 0);  // no conversations yet
  EXPECT_EQ(proposal["diff"].get<std::string>().empty(), proposal["flow_before"] == proposal["flow_after"]);

  ProcessResult text = Troupe({"studio", "flow", "optimize", "--character", "pip-thistlewick"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, ::testing::StartsWith("edit stage="));

  ProcessResult applied = Troupe({"studio", "flow", "optimize", "--character", "pip-thistlewick", "--apply", "--json"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_THAT(applied.err, HasSubstr("saved as the flow of character"));
  ProcessResult shown = Troupe({"characters", "list", "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("pip-thistlewick"));
}

TEST_F(StudioFlowCommandsTest, BadFlagsAndUnknownCharactersFailWithAClearMessage) {
  ProcessResult blank = Troupe({"studio", "flow", "generate", "--topic", " ", "--goal", "g"});
  EXPECT_EQ(blank.exit_code, 1);
  EXPECT_THAT(blank.err, HasSubstr("--topic must not be blank"));
  ProcessResult stages = Troupe({"studio", "flow", "generate", "--topic", "t", "--goal", "g", "--min-stages", "9"});
  EXPECT_EQ(stages.exit_code, 1);
  EXPECT_THAT(stages.err, HasSubstr("--stages must be a range within 2..12"));
  ProcessResult unknown = Troupe({"studio", "flow", "optimize", "--character", "nobody"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("nobody"));
  ProcessResult day = Troupe({"characters", "import", std::string(TROUPE_SOURCE_DIR) + "/examples/characters/pip_apprentice_wizard.json"});
  ASSERT_EQ(day.exit_code, 0) << day.err;
  ProcessResult bad_day = Troupe({"studio", "flow", "optimize", "--character", "pip-thistlewick", "--from", "March"});
  EXPECT_EQ(bad_day.exit_code, 1);
  EXPECT_THAT(bad_day.err, HasSubstr("--from"));
  ProcessResult help = Troupe({"studio", "flow", "optimize", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--apply"));
}

}  // namespace
}  // namespace troupe
