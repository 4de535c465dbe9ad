// `troupe studio speak`, run as an operator runs it: the real binary writes an audio file and
// prints its duration and size; bad flags are named on stderr with exit code 1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TroupeBinary;

ProcessResult Speak(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), {TroupeBinary(), "studio", "speak"});
  return RunProcess(arguments);
}

std::string SpeakFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(StudioSpeakCommandTest, WritesAnOpusFileAndPrintsItsDuration) {
  testing::TempDir dir;
  const std::string out = (dir / "hello.opus").string();
  ProcessResult result = Speak({"--text", "Hello, and welcome to the shop.", "-o", out});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, MatchesRegex("duration_ms=[0-9]+ bytes=[0-9]+\n"));
  const std::string bytes = SpeakFileBytes(out);
  EXPECT_EQ(bytes.substr(0, 4), "OggS");
  EXPECT_THAT(result.out, HasSubstr("bytes=" + std::to_string(bytes.size()) + "\n"));
  const int duration = std::stoi(result.out.substr(result.out.find('=') + 1));
  EXPECT_GT(duration, 1000);  // six words at 175 words per minute: about two seconds
  EXPECT_LT(duration, 4000);
}

TEST(StudioSpeakCommandTest, WavVoiceAndSpeedAreHonoured) {
  testing::TempDir dir;
  const std::string slow = (dir / "slow.wav").string();
  const std::string fast = (dir / "fast.wav").string();
  const std::string text = "Bonjour, comment allez-vous aujourd'hui ?";
  ProcessResult slow_result = Speak({"--text", text, "--voice", "fr", "--speed", "100", "--format", "wav", "-o", slow});
  ProcessResult fast_result = Speak({"--text", text, "--voice", "fr", "--speed", "300", "--format", "wav", "-o", fast});
  ASSERT_EQ(slow_result.exit_code, 0) << slow_result.err;
  ASSERT_EQ(fast_result.exit_code, 0) << fast_result.err;
  EXPECT_EQ(SpeakFileBytes(slow).substr(0, 4), "RIFF");
  EXPECT_GT(SpeakFileBytes(slow).size(), 2 * SpeakFileBytes(fast).size());
}

TEST(StudioSpeakCommandTest, BadFlagsAreNamedOnStderr) {
  testing::TempDir dir;
  const std::string out = (dir / "x.opus").string();
  ProcessResult voice = Speak({"--text", "Hi.", "--voice", "elvish", "-o", out});
  EXPECT_EQ(voice.exit_code, 1);
  EXPECT_THAT(voice.err, HasSubstr("--voice"));
  EXPECT_THAT(voice.err, HasSubstr("'elvish'"));
  EXPECT_TRUE(voice.out.empty());

  ProcessResult speed = Speak({"--text", "Hi.", "--speed", "1000", "-o", out});
  EXPECT_EQ(speed.exit_code, 1);
  EXPECT_THAT(speed.err, HasSubstr("80..450"));

  ProcessResult format = Speak({"--text", "Hi.", "--format", "flac", "-o", out});
  EXPECT_EQ(format.exit_code, 1);
  EXPECT_THAT(format.err, HasSubstr("--format"));

  ProcessResult no_output = Speak({"--text", "Hi."});
  EXPECT_EQ(no_output.exit_code, 1);
  EXPECT_THAT(no_output.err, HasSubstr("-o"));

  ProcessResult unwritable = Speak({"--text", "Hi.", "-o", (dir / "missing/dir/x.opus").string()});
  EXPECT_NE(unwritable.exit_code, 0);
  EXPECT_THAT(unwritable.err, HasSubstr("cannot be written"));
}

TEST(StudioSpeakCommandTest, ListsTheVoices) {
  ProcessResult result = Speak({"--list-voices"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\nen-us\n"));
  EXPECT_THAT(result.out, HasSubstr("\nfr-fr\n"));
}

TEST(StudioSpeakCommandTest, HelpDescribesTheFlags) {
  ProcessResult result = Speak({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("--voice"));
  EXPECT_THAT(result.out, HasSubstr("--speed"));
}

}  // namespace
}  // namespace troupe
