// `troupe studio generate` through the real binary with the shared stories260K model as the local
// engine: N candidates with their name, role and age, progress on stderr, --json with a V3 card
// per candidate, --save creating unpublished characters (seen through `characters list`), and
// clear errors for bad flags. Structure only: the tiny model's prose is never judged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::ProcessResult;

class StudioGenerateCommandTest : public ::testing::Test {
 protected:
  ProcessResult Troupe(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), {testing::TroupeBinary(), "--data", (dir_ / "data").string()});
    return testing::RunProcess(
        arguments,
        {{"TROUPE_MODEL_PATH", (testing::SharedDir() / "models/stories260K.gguf").string()}, {"TROUPE_LOG_LEVEL", "warn"}},
        std::chrono::seconds(300));
  }

  static std::vector<std::string> GenerateLines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("candidate=", 0) == 0) lines.push_back(line);
    }
    return lines;
  }

  testing::TempDir dir_;
};

const std::vector<std::string> kGenerateBrief = {"studio", "generate", "--theme", "a lighthouse keeper",
                                                 "--audience", "adults", "--role", "companion"};

TEST_F(StudioGenerateCommandTest, PrintsEachCandidateWithTheBatchsDiversity) {
  std::vector<std::string> arguments = kGenerateBrief;
  arguments.insert(arguments.end(), {"--candidates", "2", "--seed", "3"});
  ProcessResult result = Troupe(arguments);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> lines = GenerateLines(result.out);
  ASSERT_EQ(lines.size(), 2u) << result.out;
  EXPECT_THAT(lines[0], MatchesRegex("candidate=1 name=\".*\" role=companion age=[0-9]+ minor=(yes|no)"));
  EXPECT_THAT(lines[1], MatchesRegex("candidate=2 name=\".*\" role=companion age=[0-9]+ minor=(yes|no)"));
  EXPECT_THAT(result.out, HasSubstr("diversity 1-2 same_name="));
  EXPECT_THAT(result.err, HasSubstr("candidate 2/2 step 5/5 image"));
}

TEST_F(StudioGenerateCommandTest, SaveCreatesUnpublishedCharactersAndJsonCarriesTheCards) {
  std::vector<std::string> arguments = kGenerateBrief;
  arguments.insert(arguments.end(), {"--candidates", "2", "--save", "--json"});
  ProcessResult result = Troupe(arguments);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json output = nlohmann::json::parse(result.out);
  ASSERT_EQ(output["candidates"].size(), 2u);
  for (const nlohmann::json& candidate : output["candidates"]) {
    EXPECT_EQ(candidate["role"], "companion");
    EXPECT_TRUE(candidate["age"].is_number_integer());
    EXPECT_EQ(candidate["card"]["spec"], "chara_card_v3");
    EXPECT_TRUE(candidate["character"]["id"].is_number_integer());
    EXPECT_EQ(candidate["minor"], candidate["age"].get<int>() < 18);
  }
  EXPECT_EQ(output["diversity"]["pairs"].size(), 1u);

  ProcessResult listed = Troupe({"characters", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const nlohmann::json characters = nlohmann::json::parse(listed.out);
  ASSERT_EQ(characters.size(), 2u);
  for (const nlohmann::json& character : characters) {
    EXPECT_EQ(character["published"], false);
    EXPECT_EQ(character["tags"][0], "companion");
  }
}

TEST_F(StudioGenerateCommandTest, BadFlagsFailWithTheFlagNamed) {
  std::vector<std::string> arguments = kGenerateBrief;
  arguments[7] = "pirate";
  ProcessResult role = Troupe(arguments);
  EXPECT_EQ(role.exit_code, 1);
  EXPECT_THAT(role.err, HasSubstr("--role must be companion, advisor, mascot or support"));
  EXPECT_TRUE(role.out.empty());

  arguments = kGenerateBrief;
  arguments[3] = "   ";
  ProcessResult theme = Troupe(arguments);
  EXPECT_EQ(theme.exit_code, 1);
  EXPECT_THAT(theme.err, HasSubstr("--theme must not be blank"));

  arguments = kGenerateBrief;
  arguments.insert(arguments.end(), {"--candidates", "0"});
  ProcessResult candidates = Troupe(arguments);
  EXPECT_EQ(candidates.exit_code, 1);
  EXPECT_THAT(candidates.err, HasSubstr("--candidates must be 1..20"));

  ProcessResult help = Troupe({"studio", "generate", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--candidates"));
}

}  // namespace
}  // namespace troupe
