// `troupe models pull` and `troupe models list` as users run them: the real binary, a real HTTP
// server on loopback serving the shared stories260K.gguf, a temporary data directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "llm/range_http_server.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::BackgroundProcess;
using testing::ProcessResult;
using testing::RangeHttpServer;
using testing::RunProcess;
using testing::SharedDir;
using testing::TempDir;
using testing::TroupeBinary;
namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class PullCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = ReadFile(SharedDir() / "models/stories260K.gguf");
    ASSERT_GT(model_.size(), 1'000'000u);
    server_.Serve("/x.gguf", model_);
  }

  std::vector<std::string> Command(std::vector<std::string> arguments) const {
    arguments.insert(arguments.begin(), TroupeBinary());
    arguments.push_back("--data");
    arguments.push_back(data_.path().string());
    return arguments;
  }

  ProcessResult Troupe(std::vector<std::string> arguments) const {
    return RunProcess(Command(std::move(arguments)), {}, std::chrono::seconds(60));
  }

  fs::path Installed() const { return data_ / "models/x.gguf"; }

  std::string model_;
  RangeHttpServer server_;
  TempDir data_;
};

TEST_F(PullCommandTest, PullsAUrlIntoTheDataDirectoryAndPrintsOnlyThePathOnStdout) {
  const ProcessResult pulled = Troupe({"models", "pull", "--url", server_.Url("/x.gguf")});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_EQ(pulled.out, Installed().string() + "\n");
  EXPECT_EQ(ReadFile(Installed()), model_);
  EXPECT_FALSE(fs::exists(data_ / "models/x.gguf.part"));
  EXPECT_THAT(pulled.err, HasSubstr("pulling x.gguf"));
  // Not a terminal: progress comes as milestone lines, not a redrawn bar.
  EXPECT_THAT(pulled.err, HasSubstr("troupe: downloaded 100% (1.1 MiB of 1.1 MiB)"));
  EXPECT_THAT(pulled.err, Not(HasSubstr("\r")));
  EXPECT_THAT(pulled.err, HasSubstr("verified 1.1 MiB, sha256 "));

  // A second pull finds it and does not download again.
  const size_t requests = server_.requests().size();
  const ProcessResult again = Troupe({"models", "pull", server_.Url("/x.gguf")});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, Installed().string() + "\n");
  EXPECT_THAT(again.err, HasSubstr("already downloaded"));
  EXPECT_EQ(server_.requests().size(), requests);
}

TEST_F(PullCommandTest, ACorruptedDownloadIsRejectedAndNothingIsInstalled) {
  std::string corrupted = model_;
  corrupted[corrupted.size() / 2] ^= 0x40;
  server_.Serve("/x.gguf", corrupted);
  std::ifstream sums(SharedDir() / "models/SHA256SUMS");
  std::string expected;
  sums >> expected;  // the first line is stories260K.gguf
  const ProcessResult pulled =
      Troupe({"models", "pull", "--url", server_.Url("/x.gguf"), "--sha256", expected});
  EXPECT_EQ(pulled.exit_code, 2);
  EXPECT_EQ(pulled.out, "");
  EXPECT_THAT(pulled.err, HasSubstr("SHA-256 mismatch for " + server_.Url("/x.gguf") + ": expected " + expected));
  EXPECT_FALSE(fs::exists(Installed()));
  EXPECT_FALSE(fs::exists(data_ / "models/x.gguf.part"));
}

TEST_F(PullCommandTest, MissingFilesAndUnknownNamesAreClearErrors) {
  const ProcessResult missing = Troupe({"models", "pull", "--url", server_.Url("/nope.gguf")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("HTTP 404 Not Found: " + server_.Url("/nope.gguf")));

  const ProcessResult unknown = Troupe({"models", "pull", "gpt-17"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no catalog model 'gpt-17'"));
  EXPECT_THAT(unknown.err, HasSubstr("qwen2.5-1.5b-instruct-q4_k_m"));
}

TEST_F(PullCommandTest, CtrlCKeepsThePartialFileAndTheNextPullResumesIt) {
  server_.StallNextResponseAfter(100'000, std::chrono::seconds(30));
  BackgroundProcess pull(Command({"models", "pull", "--url", server_.Url("/x.gguf")}));
  ASSERT_TRUE(pull.WaitForStderr("troupe: downloaded", std::chrono::seconds(20))) << pull.err();
  pull.Signal(SIGINT);
  const ProcessResult stopped = pull.Wait(std::chrono::milliseconds(10'000));
  EXPECT_EQ(stopped.exit_code, 130) << stopped.err;
  EXPECT_THAT(stopped.err, HasSubstr("interrupted; 0.1 MiB kept in " + Installed().string() + ".part"));
  ASSERT_EQ(fs::file_size(data_ / "models/x.gguf.part"), 100'000u);
  EXPECT_FALSE(fs::exists(Installed()));

  const ProcessResult resumed = Troupe({"models", "pull", "--url", server_.Url("/x.gguf")});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_THAT(resumed.err, HasSubstr("resuming after 0.1 MiB"));
  EXPECT_EQ(ReadFile(Installed()), model_);
  EXPECT_EQ(server_.requests().back().range, "bytes=100000-");
}

TEST_F(PullCommandTest, ListShowsTheCatalogWhatIsInstalledAndOtherGgufFiles) {
  const ProcessResult empty = Troupe({"models", "list"});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_THAT(empty.out, HasSubstr("* qwen2.5-1.5b-instruct-q4_k_m"));
  EXPECT_THAT(empty.out, HasSubstr("~1.1 GB"));
  EXPECT_THAT(empty.out, HasSubstr("smollm2-360m-instruct-q8_0"));
  EXPECT_THAT(empty.out, HasSubstr("Other GGUF files in " + (data_ / "models").string() + ": none"));

  ASSERT_EQ(Troupe({"models", "pull", "--url", server_.Url("/x.gguf")}).exit_code, 0);
  // A catalog file in place, even a tiny one, counts as installed.
  fs::copy_file(Installed(), data_ / "models/smollm2-360m-instruct-q8_0.gguf");
  const ProcessResult listed = Troupe({"models", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("installed, 1.1 MiB"));
  EXPECT_THAT(listed.out, HasSubstr("  x.gguf "));
  EXPECT_THAT(listed.out, Not(HasSubstr(": none")));
}

}  // namespace
}  // namespace troupe
