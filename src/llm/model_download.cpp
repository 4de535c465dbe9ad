#include "llm/model_download.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "base/build_info.h"
#include "llm/local_model.h"

namespace troupe::llm {
namespace fs = std::filesystem;
namespace {

// ---- C handles, each wrapped once ----

struct CurlCleanup {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlHandle = std::unique_ptr<CURL, CurlCleanup>;

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FileHandle = std::unique_ptr<std::FILE, FileCloser>;

struct DigestContextFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

void InitializeCurlOnce() {
  // curl_global_init is not thread-safe in every libcurl; once per process is all it needs.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// ---- small text helpers ----

std::string Lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && Lowercase(std::string(text.substr(0, prefix.size()))) == prefix;
}

bool IsHexSha256(std::string_view text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

std::optional<uint64_t> ParseUint(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

// "bytes 100-199/1000" -> {first 100, total 1000}; "bytes */1000" -> {nullopt, 1000}.
struct ContentRange {
  std::optional<uint64_t> first;
  std::optional<uint64_t> total;
};
ContentRange ParseContentRange(std::string_view value) {
  ContentRange range;
  if (!StartsWithIgnoringCase(value, "bytes")) return range;
  value.remove_prefix(5);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  const size_t slash = value.find('/');
  if (slash == std::string_view::npos) return range;
  range.total = ParseUint(value.substr(slash + 1));
  const std::string_view span = value.substr(0, slash);
  const size_t dash = span.find('-');
  if (dash != std::string_view::npos) range.first = ParseUint(span.substr(0, dash));
  return range;
}

std::string Bytes(uint64_t count) { return std::to_string(count) + " bytes"; }

// ---- the transfer ----

// What curl's callbacks share with the code that drives one HTTP request.
struct Transfer {
  const DownloadRequest* request = nullptr;
  fs::path part_path;
  CURL* curl = nullptr;
  uint64_t resume_from = 0;  // bytes in .part when the request was sent (0: no Range header)

  // The response being received; reset at every status line, so a redirect's headers are
  // forgotten.
  std::string content_range;

  // The body sink, opened at the first body byte once the status says where bytes belong.
  FileHandle file;
  bool body_started = false;
  bool body_is_file = false;  // false: an error page, read and dropped
  std::string sink_error;     // why the write callback refused bytes
  int sink_errno = 0;

  uint64_t bytes_in_part = 0;
  uint64_t bytes_this_call = 0;
  uint64_t progress_base = 0;  // bytes the progress bar starts from (0 after a restart)
  std::optional<uint64_t> total;

  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_report{};

  // The stall check's current window, on the request's clock: when it began and the bytes by then.
  int64_t stall_window_start_ms = -1;
  uint64_t stall_window_bytes = 0;
  bool stalled = false;  // the transfer was abandoned for moving too little

  DownloadProgress Progress(bool finished) const {
    DownloadProgress progress;
    progress.bytes_done = bytes_in_part;
    progress.bytes_total = total;
    progress.resumed_from = progress_base;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    progress.bytes_per_second = seconds > 0 ? static_cast<double>(bytes_this_call) / seconds : 0;
    progress.finished = finished;
    return progress;
  }
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const size_t length = size * count;
  std::string_view line(data, length);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (StartsWithIgnoringCase(line, "http/")) {
    transfer.content_range.clear();
  } else if (StartsWithIgnoringCase(line, "content-range:")) {
    line.remove_prefix(14);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    transfer.content_range = std::string(line);
  }
  return length;
}

// Decides, at the first body byte, whether the body continues the .part (206 from the
// requested offset), replaces it (200: the server ignored Range or none was sent) or is an error
// page to drop. Returns false (with sink_error set) when it cannot be stored.
bool StartBody(Transfer& transfer) {
  transfer.body_started = true;
  long status = 0;
  curl_easy_getinfo(transfer.curl, CURLINFO_RESPONSE_CODE, &status);
  curl_off_t content_length = -1;
  curl_easy_getinfo(transfer.curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length);
  const char* mode = nullptr;
  if (status == 206) {
    const ContentRange range = ParseContentRange(transfer.content_range);
    if (range.first != transfer.resume_from) {
      transfer.sink_error = "the server sent a range starting at " +
                            (range.first ? std::to_string(*range.first) : std::string("?")) +
                            " ('" + transfer.content_range + "') when asked for byte " +
                            std::to_string(transfer.resume_from);
      return false;
    }
    if (range.total) transfer.total = range.total;
    mode = "ab";
  } else if (status == 200) {
    // A full body: whatever the .part held is replaced.
    transfer.resume_from = 0;
    transfer.bytes_in_part = 0;
    transfer.progress_base = 0;
    if (content_length >= 0) transfer.total = static_cast<uint64_t>(content_length);
    mode = "wb";
  } else {
    transfer.body_is_file = false;
    return true;
  }
  if (!transfer.total && transfer.request->expected_size) transfer.total = transfer.request->expected_size;
  if (status == 206) {
    // Drop anything past the offset we asked for (a write that was cut short mid-buffer).
    std::error_code ignored;
    fs::resize_file(transfer.part_path, transfer.resume_from, ignored);
  }
  transfer.file.reset(std::fopen(transfer.part_path.c_str(), mode));
  if (!transfer.file) {
    transfer.sink_errno = errno;
    transfer.sink_error = "cannot open " + transfer.part_path.string() + ": " + std::strerror(errno);
    return false;
  }
  transfer.body_is_file = true;
  return true;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const size_t length = size * count;
  if (!transfer.body_started && !StartBody(transfer)) return 0;
  if (!transfer.body_is_file) return length;
  if (std::fwrite(data, 1, length, transfer.file.get()) != length) {
    transfer.sink_errno = errno;
    transfer.sink_error = "writing " + transfer.part_path.string() + ": " + std::strerror(errno);
    return 0;
  }
  transfer.bytes_in_part += length;
  transfer.bytes_this_call += length;
  return length;
}

// Whether the transfer moved under stall_bytes_per_second on average over the last stall_timeout
// of the request's clock (curl's own low-speed limit would only ever see real time).
bool Stalled(Transfer& transfer) {
  const DownloadRequest& request = *transfer.request;
  const Clock& clock = request.clock != nullptr ? *request.clock : SystemClock::Instance();
  const int64_t now = clock.NowMillis();
  if (transfer.stall_window_start_ms < 0) {
    transfer.stall_window_start_ms = now;
    transfer.stall_window_bytes = transfer.bytes_this_call;
    return false;
  }
  const int64_t elapsed_ms = now - transfer.stall_window_start_ms;
  if (elapsed_ms < std::chrono::milliseconds(request.stall_timeout).count()) return false;
  const uint64_t moved = transfer.bytes_this_call - transfer.stall_window_bytes;
  if (static_cast<double>(moved) * 1000.0 < static_cast<double>(request.stall_bytes_per_second) * elapsed_ms) {
    return true;
  }
  transfer.stall_window_start_ms = now;
  transfer.stall_window_bytes = transfer.bytes_this_call;
  return false;
}

int OnTransferInfo(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& transfer = *static_cast<Transfer*>(user);
  const DownloadRequest& request = *transfer.request;
  if (request.cancel != nullptr && request.cancel->load()) return 1;
  if (Stalled(transfer)) {
    transfer.stalled = true;
    return 1;
  }
  const auto now = std::chrono::steady_clock::now();
  if (request.on_progress && transfer.body_is_file &&
      now - transfer.last_report >= std::chrono::milliseconds(100)) {
    transfer.last_report = now;
    request.on_progress(transfer.Progress(/*finished=*/false));
  }
  return 0;
}

// Flushes and syncs the .part so a crash after the rename cannot leave a torn model file.
bool CloseBody(Transfer& transfer) {
  if (!transfer.file) return true;
  std::FILE* file = transfer.file.release();
  bool ok = std::fflush(file) == 0 && ::fsync(fileno(file)) == 0;
  if (!ok && transfer.sink_error.empty()) {
    transfer.sink_errno = errno;
    transfer.sink_error = "writing " + transfer.part_path.string() + ": " + std::strerror(errno);
  }
  if (std::fclose(file) != 0 && ok) {
    ok = false;
    transfer.sink_errno = errno;
    transfer.sink_error = "closing " + transfer.part_path.string() + ": " + std::strerror(errno);
  }
  return ok;
}

std::string KeptPartNote(const Transfer& transfer) {
  std::string note = "; " + Bytes(transfer.bytes_in_part);
  if (transfer.total) note += " of " + std::to_string(*transfer.total);
  return note + " kept in " + transfer.part_path.string() + ", run the same command again to resume";
}

Status CurlFailure(CURLcode code, const char* detail, const Transfer& transfer) {
  const std::string& url = transfer.request->url;
  const std::string why = (detail != nullptr && detail[0] != '\0') ? detail : curl_easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Unavailable("cannot resolve the host of " + url + " (no network, or a wrong name?): " + why);
    case CURLE_COULDNT_CONNECT:
      return Unavailable("cannot connect to the server of " + url +
                         " (connection refused or host unreachable): " + why);
    case CURLE_OPERATION_TIMEDOUT:
      return Unavailable("timed out connecting to " + url + ": " + why);
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
      return Unavailable("the connection to " + url + " closed early (" + why + ")" +
                         KeptPartNote(transfer));
    case CURLE_ABORTED_BY_CALLBACK:
      if (transfer.stalled) {
        return Unavailable("the download of " + url + " stalled (under " +
                           std::to_string(transfer.request->stall_bytes_per_second) + " bytes/s for " +
                           std::to_string(transfer.request->stall_timeout.count()) + " s)" +
                           KeptPartNote(transfer));
      }
      return Unavailable("download of " + url + " cancelled" + KeptPartNote(transfer));
    case CURLE_UNSUPPORTED_PROTOCOL:
      return InvalidArgument("unsupported URL scheme in " + url + " (or a redirect to one): " + why);
    case CURLE_TOO_MANY_REDIRECTS:
      return Unavailable("too many redirects from " + url);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
      return Unavailable("TLS failure talking to " + url + ": " + why);
    default:
      return Unavailable("downloading " + url + " failed: " + why);
  }
}

Status HttpFailure(long status, const std::string& url) {
  const std::string code = "HTTP " + std::to_string(status);
  if (status == 404) return NotFound(code + " Not Found: " + url);
  if (status == 401 || status == 403) {
    return Status(StatusCode::kPermissionDenied,
                  code + " from " + url + ": the server refuses the file (a gated repository that needs a login?)");
  }
  return Unavailable(code + " from " + url);
}

Status RemovePart(const fs::path& part, Status failure) {
  std::error_code ignored;
  fs::remove(part, ignored);
  return Status(failure.code(), failure.message() + " (deleted " + part.string() + ")", failure.field());
}

// Checks a complete .part: size, GGUF structure, hash. Deletes it when it is wrong.
Result<std::string> VerifyPart(const DownloadRequest& request, const fs::path& part,
                               std::optional<uint64_t> announced_size) {
  std::error_code error;
  const uint64_t size = fs::file_size(part, error);
  if (error) return Internal("cannot read the size of " + part.string() + ": " + error.message());
  if (request.expected_size && size != *request.expected_size) {
    return RemovePart(part, FailedPrecondition("size mismatch for " + request.url + ": expected " +
                                               Bytes(*request.expected_size) + ", got " + Bytes(size)));
  }
  if (announced_size && size != *announced_size) {
    return RemovePart(part, FailedPrecondition("size mismatch for " + request.url + ": the server announced " +
                                               Bytes(*announced_size) + ", got " + Bytes(size)));
  }
  // Whatever the engine finds wrong, the download as a whole failed its check.
  try {
    if (Status gguf = CheckGgufFile(part); !gguf.ok()) {
      return RemovePart(part, FailedPrecondition(request.url + " is not a usable GGUF model file: " + gguf.message()));
    }
  } catch (const std::exception& bad) {
    return RemovePart(part, FailedPrecondition(request.url + " could not be read as GGUF: " + bad.what()));
  }
  TROUPE_ASSIGN_OR_RETURN(std::string sha256, Sha256OfFile(part));
  if (!request.expected_sha256.empty() && sha256 != Lowercase(request.expected_sha256)) {
    return RemovePart(part, FailedPrecondition("SHA-256 mismatch for " + request.url + ": expected " +
                                               Lowercase(request.expected_sha256) + ", got " + sha256 +
                                               " (the download is corrupted)"));
  }
  return sha256;
}

// Renames the verified file into place and syncs the folder so the rename survives a crash.
Status Install(const fs::path& part, const fs::path& destination) {
  std::error_code error;
  fs::rename(part, destination, error);
  if (error) {
    return Internal("cannot rename " + part.string() + " to " + destination.string() + ": " + error.message());
  }
  const int folder = ::open(destination.parent_path().empty() ? "." : destination.parent_path().c_str(),
                            O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder >= 0) {
    ::fsync(folder);
    ::close(folder);
  }
  return Status::Ok();
}

struct Outcome {
  // The .part is complete and ready for verification.
  bool complete = false;
  // 416 with a .part that is not the whole file: start over without Range.
  bool restart = false;
  std::optional<uint64_t> announced_size;
};

// One HTTP request: resumes from `transfer.resume_from`.
Result<Outcome> RunRequest(Transfer& transfer) {
  const DownloadRequest& request = *transfer.request;
  CurlHandle curl(curl_easy_init());
  if (!curl) return Internal("curl_easy_init failed");
  transfer.curl = curl.get();
  char detail[CURL_ERROR_SIZE] = {};
  const std::string user_agent =
      request.user_agent.empty() ? "troupe/" + std::string(Version()) : request.user_agent;
  const std::string range = std::to_string(transfer.resume_from) + "-";
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(handle, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::chrono::milliseconds(request.connect_timeout).count()));
  if (transfer.resume_from > 0) curl_easy_setopt(handle, CURLOPT_RANGE, range.c_str());
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, OnTransferInfo);
  curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);

  const CURLcode code = curl_easy_perform(handle);
  const bool closed = CloseBody(transfer);
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  if (request.on_progress && transfer.body_is_file) request.on_progress(transfer.Progress(/*finished=*/true));

  if (!transfer.sink_error.empty()) {
    if (transfer.sink_errno == ENOSPC || transfer.sink_errno == EDQUOT) {
      return Status(StatusCode::kResourceExhausted,
                    "disk full: " + transfer.sink_error + KeptPartNote(transfer) + " once there is space");
    }
    if (transfer.sink_errno == EACCES || transfer.sink_errno == EPERM || transfer.sink_errno == EROFS) {
      return Status(StatusCode::kPermissionDenied, transfer.sink_error);
    }
    if (transfer.sink_errno == 0) return Unavailable("downloading " + request.url + ": " + transfer.sink_error);
    return Internal(transfer.sink_error);
  }
  if (code != CURLE_OK) return CurlFailure(code, detail, transfer);
  if (!closed) return Internal("closing " + transfer.part_path.string());

  Outcome outcome;
  if (status == 416 && transfer.resume_from > 0) {
    // The .part is at least as long as the file: either exactly whole, or junk to replace.
    const ContentRange range = ParseContentRange(transfer.content_range);
    if (range.total == transfer.resume_from) {
      outcome.complete = true;
      outcome.announced_size = range.total;
    } else {
      outcome.restart = true;
    }
    return outcome;
  }
  if (status != 200 && status != 206) return HttpFailure(status, request.url);
  if (!transfer.body_started) {
    // An empty body never reached the write callback: the file is empty.
    transfer.file.reset(std::fopen(transfer.part_path.c_str(), status == 200 ? "wb" : "ab"));
    transfer.file.reset();
    if (status == 200) transfer.bytes_in_part = 0;
  }
  if (transfer.total && transfer.bytes_in_part < *transfer.total) {
    return Unavailable("the connection to " + request.url + " ended early" + KeptPartNote(transfer));
  }
  outcome.complete = true;
  outcome.announced_size = transfer.total;
  return outcome;
}

}  // namespace

fs::path PartialPathFor(const fs::path& destination) {
  fs::path part = destination;
  part += ".part";
  return part;
}

std::string FileNameFromUrl(const std::string& url) {
  std::string_view rest = url;
  const size_t scheme = rest.find("://");
  if (scheme != std::string_view::npos) rest.remove_prefix(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  const size_t slash = rest.rfind('/');
  if (slash == std::string_view::npos) return "";  // a bare host
  rest.remove_prefix(slash + 1);
  std::string name;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size() &&
        std::isxdigit(static_cast<unsigned char>(rest[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(rest[i + 2]))) {
      name += static_cast<char>(std::stoi(std::string(rest.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      name += rest[i];
    }
  }
  if (name.empty() || name == "." || name == ".." ||
      name.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos) {
    return "";
  }
  return name;
}

Result<std::string> Sha256OfFile(const fs::path& path) {
  FileHandle file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int error = errno;
    if (error == ENOENT) return NotFound("no such file: " + path.string());
    return Internal("cannot open " + path.string() + ": " + std::strerror(error));
  }
  std::unique_ptr<EVP_MD_CTX, DigestContextFree> context(EVP_MD_CTX_new());
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    return Internal("cannot set up SHA-256");
  }
  std::vector<unsigned char> buffer(1 << 20);
  while (true) {
    const size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
    if (got > 0) EVP_DigestUpdate(context.get(), buffer.data(), got);
    if (got < buffer.size()) {
      if (std::ferror(file.get())) return Internal("reading " + path.string() + ": " + std::strerror(errno));
      break;
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  EVP_DigestFinal_ex(context.get(), digest, &digest_length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < digest_length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xF];
  }
  return hex;
}

Result<DownloadResult> DownloadModelFile(const DownloadRequest& request) {
  if (!StartsWithIgnoringCase(request.url, "http://") && !StartsWithIgnoringCase(request.url, "https://")) {
    return InvalidArgument("not an http:// or https:// URL: '" + request.url + "'", "url");
  }
  if (!request.expected_sha256.empty() && !IsHexSha256(request.expected_sha256)) {
    return InvalidArgument("expected SHA-256 is not 64 hex digits: '" + request.expected_sha256 + "'", "sha256");
  }
  if (request.destination.filename().empty()) {
    return InvalidArgument("no file name in destination '" + request.destination.string() + "'", "destination");
  }
  std::error_code error;
  const fs::path folder = request.destination.parent_path();
  if (!folder.empty()) {
    fs::create_directories(folder, error);
    if (error) {
      return Status(error == std::errc::permission_denied ? StatusCode::kPermissionDenied : StatusCode::kInternal,
                    "cannot create " + folder.string() + ": " + error.message());
    }
  }
  InitializeCurlOnce();

  Transfer transfer;
  transfer.request = &request;
  transfer.part_path = PartialPathFor(request.destination);
  const uint64_t existing = fs::exists(transfer.part_path, error) ? fs::file_size(transfer.part_path, error) : 0;
  transfer.resume_from = error ? 0 : existing;
  if (request.expected_size && transfer.resume_from > *request.expected_size) {
    // Longer than the file can be: not a prefix of it.
    fs::remove(transfer.part_path, error);
    transfer.resume_from = 0;
  }
  transfer.bytes_in_part = transfer.resume_from;
  transfer.progress_base = transfer.resume_from;
  const uint64_t resumed_from = transfer.resume_from;

  Outcome outcome;
  if (request.expected_size && transfer.resume_from == *request.expected_size && transfer.resume_from > 0) {
    outcome.complete = true;  // the last run fetched everything but did not get to install it
  } else {
    for (int attempt = 0; attempt < 2 && !outcome.complete; ++attempt) {
      TROUPE_ASSIGN_OR_RETURN(outcome, RunRequest(transfer));
      if (outcome.restart) {
        fs::remove(transfer.part_path, error);
        const fs::path part = transfer.part_path;
        transfer = Transfer();
        transfer.request = &request;
        transfer.part_path = part;
      }
    }
    if (!outcome.complete) {
      return Unavailable("the server of " + request.url + " refused every byte range, even from 0");
    }
  }

  TROUPE_ASSIGN_OR_RETURN(std::string sha256, VerifyPart(request, transfer.part_path, outcome.announced_size));
  TROUPE_RETURN_IF_ERROR(Install(transfer.part_path, request.destination));
  DownloadResult result;
  result.path = request.destination;
  result.size = fs::file_size(request.destination, error);
  result.sha256 = std::move(sha256);
  result.resumed_from = transfer.progress_base > 0 ? resumed_from : 0;
  result.bytes_transferred = transfer.bytes_this_call;
  return result;
}

}  // namespace troupe::llm
