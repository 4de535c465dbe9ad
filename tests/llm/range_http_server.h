// A small HTTP/1.1 file server on 127.0.0.1 for download tests: serves byte strings by path with
// Range support, and misbehaves on request (ignores Range, closes or stalls mid-body) the way real
// networks do. One connection at a time on its own thread; every response closes the connection.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace troupe::testing {

class RangeHttpServer {
 public:
  struct SeenRequest {
    std::string method;
    std::string path;
    std::string range;  // the Range header's value, "" when absent
  };

  RangeHttpServer();  // listening on an ephemeral port when constructed
  ~RangeHttpServer();
  RangeHttpServer(const RangeHttpServer&) = delete;
  RangeHttpServer& operator=(const RangeHttpServer&) = delete;

  uint16_t port() const { return port_; }
  std::string Url(const std::string& path) const;

  void Serve(const std::string& path, std::string body);
  void Redirect(const std::string& from, const std::string& to);  // 302 to another path
  void SetHonorRange(bool honor);  // false: answer 200 with the whole body, as some servers do
  // The next body response sends only its first `bytes` body bytes (with the full
  // Content-Length) and then closes the connection.
  void CloseNextResponseAfter(uint64_t bytes);
  // The next body response sends `bytes` body bytes, then goes silent for `pause` before closing.
  void StallNextResponseAfter(uint64_t bytes, std::chrono::milliseconds pause);

  std::vector<SeenRequest> requests() const;

 private:
  void AcceptLoop();
  void Handle(int connection);
  void Stall(int connection, std::chrono::milliseconds pause);

  int listener_ = -1;
  int wake_read_ = -1;
  int wake_write_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;

  mutable std::mutex mutex_;  // guards everything below
  std::map<std::string, std::string> bodies_;
  std::map<std::string, std::string> redirects_;
  bool honor_range_ = true;
  std::optional<uint64_t> close_after_;
  std::optional<std::pair<uint64_t, std::chrono::milliseconds>> stall_after_;
  std::vector<SeenRequest> requests_;
};

}  // namespace troupe::testing
