// Model downloads against a real HTTP server on loopback serving the shared stories260K.gguf:
// whole transfers, interrupted and resumed ones, servers that ignore Range, corrupted and
// wrong files, and the failures a user meets (404, nothing listening, a stalled connection).
#include "llm/model_download.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "llm/model_catalog.h"
#include "llm/range_http_server.h"
#include "support/temp_dir.h"

namespace troupe::llm {
namespace {

using ::testing::HasSubstr;
using testing::RangeHttpServer;
using testing::SharedDir;
using testing::TempDir;
namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// The hash the shared folder records for a file (models/SHA256SUMS, paths relative to shared/).
std::string RecordedSha256(const std::string& relative_path) {
  std::ifstream sums(SharedDir() / "models/SHA256SUMS");
  std::string line;
  while (std::getline(sums, line)) {
    if (line.size() > 66 && line.substr(66) == relative_path) return line.substr(0, 64);
  }
  ADD_FAILURE() << relative_path << " is not in SHA256SUMS";
  return "";
}

class ModelDownloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = ReadFile(SharedDir() / "models/stories260K.gguf");
    ASSERT_GT(model_.size(), 1'000'000u);
    sha256_ = RecordedSha256("models/stories260K.gguf");
    server_.Serve("/stories260K.gguf", model_);
  }

  DownloadRequest Request(const std::string& path = "/stories260K.gguf") const {
    DownloadRequest request;
    request.url = server_.Url(path);
    request.destination = destination_;
    request.connect_timeout = std::chrono::seconds(5);
    request.stall_timeout = std::chrono::seconds(5);
    return request;
  }

  fs::path Part() const { return PartialPathFor(destination_); }

  std::string model_;
  std::string sha256_;
  RangeHttpServer server_;
  TempDir dir_;
  fs::path destination_ = dir_ / "models/stories260K.gguf";
};

TEST_F(ModelDownloadTest, DownloadsVerifiesAndInstallsTheWholeFile) {
  DownloadRequest request = Request();
  request.expected_size = model_.size();
  request.expected_sha256 = sha256_;
  std::vector<DownloadProgress> reports;
  request.on_progress = [&](const DownloadProgress& progress) { reports.push_back(progress); };

  Result<DownloadResult> result = DownloadModelFile(request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->path, destination_);
  EXPECT_EQ(result->size, model_.size());
  EXPECT_EQ(result->sha256, sha256_);
  EXPECT_EQ(result->resumed_from, 0u);
  EXPECT_EQ(result->bytes_transferred, model_.size());
  EXPECT_EQ(ReadFile(destination_), model_);
  EXPECT_FALSE(fs::exists(Part()));

  ASSERT_FALSE(reports.empty());
  EXPECT_TRUE(reports.back().finished);
  EXPECT_EQ(reports.back().bytes_done, model_.size());
  EXPECT_EQ(reports.back().bytes_total, model_.size());
  for (size_t i = 1; i < reports.size(); ++i) EXPECT_GE(reports[i].bytes_done, reports[i - 1].bytes_done);

  const std::vector<RangeHttpServer::SeenRequest> seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].range, "") << "a fresh download asks for the whole file";
}

TEST_F(ModelDownloadTest, WithoutKnownSizeOrHashItStillChecksTheAnnouncedSizeAndGguf) {
  Result<DownloadResult> result = DownloadModelFile(Request());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->sha256, sha256_) << "the hash of what was installed is reported";
  EXPECT_EQ(ReadFile(destination_), model_);
}

TEST_F(ModelDownloadTest, FollowsRedirects) {
  server_.Redirect("/resolve/main/model.gguf", "/stories260K.gguf");
  Result<DownloadResult> result = DownloadModelFile(Request("/resolve/main/model.gguf"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(ReadFile(destination_), model_);
}

TEST_F(ModelDownloadTest, AnInterruptedTransferKeepsThePartAndTheNextCallResumesFromIt) {
  constexpr uint64_t kCut = 300'000;
  server_.CloseNextResponseAfter(kCut);
  DownloadRequest request = Request();
  request.expected_sha256 = sha256_;

  Result<DownloadResult> first = DownloadModelFile(request);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(first.status().message(), HasSubstr("closed early"));
  EXPECT_THAT(first.status().message(), HasSubstr("300000 bytes of " + std::to_string(model_.size())));
  EXPECT_THAT(first.status().message(), HasSubstr("run the same command again to resume"));
  ASSERT_TRUE(fs::exists(Part()));
  EXPECT_EQ(fs::file_size(Part()), kCut);
  EXPECT_FALSE(fs::exists(destination_));

  Result<DownloadResult> second = DownloadModelFile(request);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->resumed_from, kCut);
  EXPECT_EQ(second->bytes_transferred, model_.size() - kCut);
  EXPECT_EQ(ReadFile(destination_), model_);
  EXPECT_FALSE(fs::exists(Part()));

  const std::vector<RangeHttpServer::SeenRequest> seen = server_.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].range, "");
  EXPECT_EQ(seen[1].range, "bytes=300000-");
}

TEST_F(ModelDownloadTest, AServerThatIgnoresRangeMakesItStartOverCleanly) {
  server_.CloseNextResponseAfter(200'000);
  DownloadRequest request = Request();
  request.expected_size = model_.size();
  request.expected_sha256 = sha256_;
  ASSERT_FALSE(DownloadModelFile(request).ok());
  ASSERT_EQ(fs::file_size(Part()), 200'000u);

  server_.SetHonorRange(false);
  Result<DownloadResult> second = DownloadModelFile(request);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->resumed_from, 0u) << "a 200 answer replaces the partial file";
  EXPECT_EQ(second->bytes_transferred, model_.size());
  EXPECT_EQ(ReadFile(destination_), model_) << "the old prefix must not be left in front of the new bytes";
  EXPECT_EQ(server_.requests().back().range, "bytes=200000-") << "it did ask to resume";
}

TEST_F(ModelDownloadTest, APartThatIsAlreadyWholeIsVerifiedAndInstalled) {
  fs::create_directories(destination_.parent_path());
  WriteFile(Part(), model_);
  Result<DownloadResult> result = DownloadModelFile(Request());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(ReadFile(destination_), model_);
  EXPECT_EQ(server_.requests().back().range, "bytes=" + std::to_string(model_.size()) + "-")
      << "the server answers 416 with the total, which matches";

  // With the size known up front, a whole .part needs no request at all.
  const size_t requests_before = server_.requests().size();
  fs::remove(destination_);
  WriteFile(Part(), model_);
  DownloadRequest sized = Request();
  sized.expected_size = model_.size();
  ASSERT_TRUE(DownloadModelFile(sized).ok());
  EXPECT_EQ(server_.requests().size(), requests_before);
  EXPECT_EQ(ReadFile(destination_), model_);
}

TEST_F(ModelDownloadTest, APartLongerThanTheFileIsReplaced) {
  fs::create_directories(destination_.parent_path());
  WriteFile(Part(), model_ + "trailing junk");
  Result<DownloadResult> result = DownloadModelFile(Request());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(ReadFile(destination_), model_);
}

TEST_F(ModelDownloadTest, ACorruptedTransferIsRejectedByItsHashAndThePartDeleted) {
  std::string corrupted = model_;
  corrupted.back() ^= 0x01;  // tensor data: still a well-formed GGUF of the right size
  server_.Serve("/corrupted.gguf", corrupted);
  DownloadRequest request = Request("/corrupted.gguf");
  request.expected_size = model_.size();
  request.expected_sha256 = sha256_;

  Result<DownloadResult> result = DownloadModelFile(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(), HasSubstr("SHA-256 mismatch"));
  EXPECT_THAT(result.status().message(), HasSubstr("expected " + sha256_));
  EXPECT_THAT(result.status().message(), HasSubstr("got "));
  EXPECT_FALSE(fs::exists(Part()));
  EXPECT_FALSE(fs::exists(destination_));
}

TEST_F(ModelDownloadTest, AFileOfTheWrongSizeIsRejectedWithBothSizes) {
  DownloadRequest request = Request();
  request.expected_size = model_.size() + 1;
  Result<DownloadResult> result = DownloadModelFile(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(),
              HasSubstr("expected " + std::to_string(model_.size() + 1) + " bytes, got " +
                        std::to_string(model_.size()) + " bytes"));
  EXPECT_FALSE(fs::exists(Part()));
}

TEST_F(ModelDownloadTest, AFileThatIsNotGgufIsRejected) {
  server_.Serve("/page.gguf", "<!doctype html><html><body>Please log in</body></html>");
  Result<DownloadResult> result = DownloadModelFile(Request("/page.gguf"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(), HasSubstr("not a usable GGUF model file"));
  EXPECT_FALSE(fs::exists(Part()));
  EXPECT_FALSE(fs::exists(destination_));
}

TEST_F(ModelDownloadTest, Http404NamesTheUrl) {
  Result<DownloadResult> result = DownloadModelFile(Request("/missing.gguf"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(result.status().message(), "HTTP 404 Not Found: " + server_.Url("/missing.gguf"));
  EXPECT_FALSE(fs::exists(Part())) << "an error page is not kept as model bytes";
}

TEST_F(ModelDownloadTest, ConnectionRefusedIsAClearError) {
  // A port that was free a moment ago and has no listener now.
  const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(probe);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/x.gguf";

  DownloadRequest request = Request();
  request.url = url;
  Result<DownloadResult> result = DownloadModelFile(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(result.status().message(), HasSubstr("cannot connect to the server of " + url));
  EXPECT_THAT(result.status().message(), HasSubstr("connection refused"));
}

// The stall timeout goes by the request's clock: once the 100,000 bytes before the server's stall
// are in, the test moves a manual clock a second at a time until the download gives up, so the
// timeout is 5 s of that clock, however long the machine takes.
TEST_F(ModelDownloadTest, AStalledConnectionTimesOutAndKeepsThePart) {
  server_.StallNextResponseAfter(100'000, std::chrono::seconds(20));
  ManualClock clock;
  std::atomic<uint64_t> bytes_done = 0;
  std::atomic<bool> finished = false;
  DownloadRequest request = Request();
  request.stall_timeout = std::chrono::seconds(5);
  request.clock = &clock;
  request.on_progress = [&](const DownloadProgress& progress) { bytes_done = progress.bytes_done; };
  std::thread advancer([&] {
    while (!finished) {
      if (bytes_done >= 100'000u) clock.Advance(1000);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  Result<DownloadResult> result = DownloadModelFile(request);
  finished = true;
  advancer.join();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(result.status().message(), HasSubstr("stalled"));
  EXPECT_EQ(fs::file_size(Part()), 100'000u);

  ASSERT_TRUE(DownloadModelFile(Request()).ok());
  EXPECT_EQ(ReadFile(destination_), model_);
}

TEST_F(ModelDownloadTest, CancellingFromAnotherThreadStopsAndKeepsThePart) {
  server_.StallNextResponseAfter(50'000, std::chrono::seconds(20));
  std::atomic<bool> cancel = false;
  DownloadRequest request = Request();
  request.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  Result<DownloadResult> result = DownloadModelFile(request);
  canceller.join();
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("cancelled"));
  EXPECT_EQ(fs::file_size(Part()), 50'000u);
}

TEST_F(ModelDownloadTest, RejectsWhatIsNotAnHttpUrlOrAHash) {
  DownloadRequest request = Request();
  request.url = "file:///etc/passwd";
  EXPECT_EQ(DownloadModelFile(request).status().code(), StatusCode::kInvalidArgument);
  request = Request();
  request.expected_sha256 = "abc";
  EXPECT_EQ(DownloadModelFile(request).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(server_.requests().empty());
}

TEST(FileNameFromUrl, TakesTheLastPathSegment) {
  EXPECT_EQ(FileNameFromUrl("https://huggingface.co/Qwen/R/resolve/main/q.gguf?download=true"), "q.gguf");
  EXPECT_EQ(FileNameFromUrl("http://127.0.0.1:80/a/b%20c.gguf#x"), "b c.gguf");
  EXPECT_EQ(FileNameFromUrl("http://host"), "");
  EXPECT_EQ(FileNameFromUrl("http://host/"), "");
  EXPECT_EQ(FileNameFromUrl("http://host/.."), "");
  EXPECT_EQ(FileNameFromUrl("http://host/a%2F..%2Fb"), "");
}

TEST(ModelCatalog, HasTheModelsTheIssueNamesAndAValidDefault) {
  for (const char* name : {"qwen2.5-0.5b-instruct", "qwen2.5-1.5b-instruct", "smollm2-360m-instruct",
                           "smollm2-1.7b-instruct", "llama-3.2-1b-instruct"}) {
    bool found = false;
    for (const CatalogEntry& entry : ModelCatalog()) found = found || entry.name.starts_with(name);
    EXPECT_TRUE(found) << name;
  }
  for (const CatalogEntry& entry : ModelCatalog()) {
    SCOPED_TRACE(std::string(entry.name));
    EXPECT_TRUE(entry.url.starts_with("https://huggingface.co/"));
    EXPECT_EQ(FileNameFromUrl(std::string(entry.url)), entry.file_name);
    EXPECT_TRUE(entry.file_name.ends_with(".gguf"));
    EXPECT_GT(entry.approximate_bytes, 100'000'000u);
    EXPECT_TRUE(entry.sha256.empty() || entry.sha256.size() == 64);
    EXPECT_EQ(entry.sha256.empty(), entry.exact_bytes == 0);
    EXPECT_FALSE(entry.license.empty());
  }
  EXPECT_EQ(DefaultCatalogEntry().name, "qwen2.5-1.5b-instruct-q4_k_m");
}

TEST(ModelCatalog, FindsByExactNameOrUniquePrefixIgnoringCase) {
  EXPECT_EQ(FindCatalogEntry("SmolLM2-360M")->name, "smollm2-360m-instruct-q8_0");
  EXPECT_EQ(FindCatalogEntry("qwen2.5-1.5b-instruct-q4_k_m")->name, "qwen2.5-1.5b-instruct-q4_k_m");
  EXPECT_FALSE(FindCatalogEntry("qwen2.5-0.5b").has_value()) << "two quantizations match";
  EXPECT_FALSE(FindCatalogEntry("gpt-5").has_value());
  EXPECT_FALSE(FindCatalogEntry("").has_value());
}

}  // namespace
}  // namespace troupe::llm
