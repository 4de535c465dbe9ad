// `troupe studio avatar` as an operator runs it: a card file or a stored character in, a PNG out
// that decodes to the size asked for, the path on stdout, and clear errors with exit 1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "studio/avatar_png_decode.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using testing::ProcessResult;

class StudioAvatarCommandTest : public ::testing::Test {
 protected:
  ProcessResult Troupe(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), testing::TroupeBinary());
    return testing::RunProcess(arguments, {{"TROUPE_DATA", dir_.path().string()}, {"TROUPE_LOG_LEVEL", "warn"}});
  }
  static std::string ExampleCard(const std::string& name) {
    return (std::filesystem::path(TROUPE_SOURCE_DIR) / "examples/characters" / name).string();
  }
  std::string OutputPath(const std::string& name) const { return (dir_.path() / name).string(); }
  static std::string ReadAvatarFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
  }

  testing::TempDir dir_;
};

TEST_F(StudioAvatarCommandTest, ACardFileBecomesAPngOfTheRequestedSize) {
  const std::string out = OutputPath("pip.png");
  ProcessResult result =
      Troupe({"studio", "avatar", "--card", ExampleCard("pip_apprentice_wizard.json"), "--size", "96", "-o", out});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, out + "\n");
  const testing::DecodedPicture picture = testing::DecodePngToRgb(ReadAvatarFile(out));
  ASSERT_TRUE(picture.ok) << "the written file does not decode as PNG";
  EXPECT_EQ(picture.width, 96);
  EXPECT_EQ(picture.height, 96);
}

TEST_F(StudioAvatarCommandTest, AStoredCharacterGetsTheSamePictureAsItsCard) {
  ASSERT_EQ(Troupe({"db", "migrate"}).exit_code, 0);
  ProcessResult imported = Troupe({"characters", "import", ExampleCard("maren_relationship_advisor.json")});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;

  const std::string from_store = OutputPath("stored.png");
  ProcessResult stored = Troupe({"studio", "avatar", "--character", "1", "--size", "64", "-o", from_store});
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  const std::string from_card = OutputPath("card.png");
  ProcessResult card = Troupe(
      {"studio", "avatar", "--card", ExampleCard("maren_relationship_advisor.json"), "--size", "64", "-o", from_card});
  ASSERT_EQ(card.exit_code, 0) << card.err;
  const std::string stored_bytes = ReadAvatarFile(from_store);
  EXPECT_FALSE(stored_bytes.empty());
  EXPECT_EQ(stored_bytes, ReadAvatarFile(from_card));
  const testing::DecodedPicture picture = testing::DecodePngToRgb(ReadAvatarFile(from_store));
  EXPECT_EQ(picture.width, 64);
  EXPECT_EQ(picture.height, 64);

  ProcessResult missing = Troupe({"studio", "avatar", "--character", "no-such-character", "-o", from_store});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no-such-character"));
  EXPECT_TRUE(missing.out.empty());
}

TEST_F(StudioAvatarCommandTest, BadInputSaysWhatAndWhere) {
  const std::string out = OutputPath("x.png");
  ProcessResult small =
      Troupe({"studio", "avatar", "--card", ExampleCard("pip_apprentice_wizard.json"), "--size", "10", "-o", out});
  EXPECT_EQ(small.exit_code, 1);
  EXPECT_THAT(small.err, HasSubstr("--size must be between 64 and 1024 (got 10)"));
  EXPECT_TRUE(small.out.empty());
  EXPECT_FALSE(std::filesystem::exists(out));

  ProcessResult neither = Troupe({"studio", "avatar", "-o", out});
  EXPECT_EQ(neither.exit_code, 1);
  EXPECT_THAT(neither.err, HasSubstr("give exactly one of --character ID_OR_SLUG and --card FILE"));

  ProcessResult absent = Troupe({"studio", "avatar", "--card", OutputPath("absent.json"), "-o", out});
  EXPECT_EQ(absent.exit_code, 1);
  EXPECT_THAT(absent.err, HasSubstr("absent.json: cannot be read"));

  const std::string nameless = OutputPath("nameless.json");
  std::ofstream(nameless) << R"({"spec": "chara_card_v2", "spec_version": "2.0", "data": {"description": "x"}})";
  ProcessResult invalid = Troupe({"studio", "avatar", "--card", nameless, "-o", out});
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_THAT(invalid.err, HasSubstr("nameless.json: "));
  EXPECT_THAT(invalid.err, HasSubstr("data.name"));

  ProcessResult unwritable = Troupe({"studio", "avatar", "--card", ExampleCard("pip_apprentice_wizard.json"), "-o",
                                     OutputPath("no-such-dir/x.png")});
  EXPECT_NE(unwritable.exit_code, 0);
  EXPECT_THAT(unwritable.err, HasSubstr("cannot be written"));

  ProcessResult help = Troupe({"studio", "avatar", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--character"));
  EXPECT_THAT(help.out, HasSubstr("--card"));
}

}  // namespace
}  // namespace troupe
