// Downloads a model file over HTTP(S) and installs it only once it is known to be whole.
//
// The bytes go to `<destination>.part`. An interrupted transfer leaves that file behind, and the
// next call resumes it with a Range request (starting over when the server ignores Range). When
// the transfer ends the file is verified: its size (when known), that it parses as GGUF, and its
// SHA-256 (when known). Only a verified file is renamed, atomically, to `destination`; a file that
// fails verification is deleted, so the next call starts from scratch.
//
// Thread safety: DownloadModelFile may run on several threads at once for different
// destinations. The progress callback runs on the calling thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/status.h"

namespace troupe::llm {

struct DownloadProgress {
  uint64_t bytes_done = 0;              // in the .part file, resumed bytes included
  std::optional<uint64_t> bytes_total;  // when the server or the caller knows it
  uint64_t resumed_from = 0;            // bytes that were already there when this call started
  double bytes_per_second = 0;          // average over this call's transfer
  bool finished = false;                // the last call: the transfer is over (verification next)
};

struct DownloadRequest {
  std::string url;                    // http:// or https://; redirects are followed
  std::filesystem::path destination;  // the final path; its folder is created if missing
  std::optional<uint64_t> expected_size;
  std::string expected_sha256;  // lowercase or uppercase hex; empty = unknown
  std::chrono::seconds connect_timeout{20};
  // A transfer that moves fewer than `stall_bytes_per_second` for `stall_timeout` is abandoned
  // (the .part stays for a resume): a dead connection fails instead of hanging forever.
  std::chrono::seconds stall_timeout{60};
  uint32_t stall_bytes_per_second = 1;
  // The stall timeout's time (nullptr: the system clock). Checked whenever curl reports, which it
  // does at least once a second of real time, bytes or not.
  const Clock* clock = nullptr;
  // Called about ten times a second while bytes arrive, then once with `finished`.
  std::function<void(const DownloadProgress&)> on_progress;
  // Set from any thread (a signal handler included) to stop; the .part stays for a resume.
  const std::atomic<bool>* cancel = nullptr;
  std::string user_agent;  // empty: "troupe/<version>"
};

struct DownloadResult {
  std::filesystem::path path;  // == request.destination
  uint64_t size = 0;
  std::string sha256;  // lowercase hex of the installed file
  uint64_t resumed_from = 0;
  uint64_t bytes_transferred = 0;  // by this call
};

// Downloads, verifies and installs. An existing `destination` is replaced only after the new
// file is verified. Failures:
//   kInvalidArgument  the URL is not http(s), or a malformed expected_sha256;
//   kNotFound         HTTP 404 (the message has the URL);
//   kUnavailable      host not resolved or unreachable, connection refused, closed early, stalled,
//                     TLS failure, another HTTP error status, or cancelled (the .part is kept);
//   kFailedPrecondition  verification failed: wrong size, not GGUF, or wrong SHA-256, each with
//                     the expected and actual values (the .part is deleted);
//   kResourceExhausted  the disk is full (the .part is kept);
//   kPermissionDenied HTTP 401 or 403 (a gated file), or the destination cannot be written;
//   kInternal         other local file errors.
// Two calls must not download to the same destination at the same time (nothing locks the .part).
Result<DownloadResult> DownloadModelFile(const DownloadRequest& request);

// Where the transfer of `destination` is kept until it is verified: "<destination>.part".
std::filesystem::path PartialPathFor(const std::filesystem::path& destination);

// The file name a URL ends in, without query or fragment ("x.gguf" for ".../x.gguf?download=1"),
// percent-escapes decoded; "" when the URL has none or it would name a directory (".", "..")
// or contain a slash.
std::string FileNameFromUrl(const std::string& url);

// Lowercase hex SHA-256 of a file, read in a streaming fashion; kNotFound / kInternal on read
// errors.
Result<std::string> Sha256OfFile(const std::filesystem::path& path);

}  // namespace troupe::llm
