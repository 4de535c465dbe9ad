#include "llm/range_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <utility>

namespace troupe::testing {
namespace {

std::string Lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool SendAll(int connection, const char* data, size_t length) {
  while (length > 0) {
    const ssize_t sent = ::send(connection, data, length, MSG_NOSIGNAL);
    if (sent <= 0) return false;
    data += sent;
    length -= static_cast<size_t>(sent);
  }
  return true;
}

bool SendAll(int connection, const std::string& text) { return SendAll(connection, text.data(), text.size()); }

// Reads the request head (up to the blank line); "" on timeout, error or an oversized head.
std::string ReadHead(int connection) {
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 64 * 1024) {
    pollfd ready{connection, POLLIN, 0};
    if (::poll(&ready, 1, 5000) <= 0) return "";
    const ssize_t got = ::recv(connection, buffer, sizeof buffer, 0);
    if (got <= 0) return "";
    head.append(buffer, static_cast<size_t>(got));
  }
  return head;
}

// "bytes=N-" or "bytes=N-M" -> first byte N (the tests only ever resume to the end).
std::optional<uint64_t> RangeStart(const std::string& range) {
  if (range.rfind("bytes=", 0) != 0) return std::nullopt;
  const size_t dash = range.find('-', 6);
  if (dash == std::string::npos || dash == 6) return std::nullopt;
  try {
    return std::stoull(range.substr(6, dash - 6));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

RangeHttpServer::RangeHttpServer() {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) throw std::runtime_error("socket failed");
  const int yes = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_, 16) != 0) {
    throw std::runtime_error("bind/listen on 127.0.0.1 failed");
  }
  socklen_t length = sizeof address;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  wake_read_ = wake[0];
  wake_write_ = wake[1];
  thread_ = std::thread([this] { AcceptLoop(); });
}

RangeHttpServer::~RangeHttpServer() {
  const char stop = 's';
  (void)!::write(wake_write_, &stop, 1);
  thread_.join();
  ::close(listener_);
  ::close(wake_read_);
  ::close(wake_write_);
}

std::string RangeHttpServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void RangeHttpServer::Serve(const std::string& path, std::string body) {
  std::lock_guard lock(mutex_);
  bodies_[path] = std::move(body);
}

void RangeHttpServer::Redirect(const std::string& from, const std::string& to) {
  std::lock_guard lock(mutex_);
  redirects_[from] = to;
}

void RangeHttpServer::SetHonorRange(bool honor) {
  std::lock_guard lock(mutex_);
  honor_range_ = honor;
}

void RangeHttpServer::CloseNextResponseAfter(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  close_after_ = bytes;
}

void RangeHttpServer::StallNextResponseAfter(uint64_t bytes, std::chrono::milliseconds pause) {
  std::lock_guard lock(mutex_);
  stall_after_ = {bytes, pause};
}

std::vector<RangeHttpServer::SeenRequest> RangeHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void RangeHttpServer::Stall(int connection, std::chrono::milliseconds pause) {
  // Silent until the pause ends, the client hangs up (its socket turns readable at EOF) or the
  // server stops, so a client that gave up can reconnect at once.
  pollfd events[2] = {{wake_read_, POLLIN, 0}, {connection, POLLIN, 0}};
  ::poll(events, 2, static_cast<int>(pause.count()));
}

void RangeHttpServer::AcceptLoop() {
  while (true) {
    pollfd ready[2] = {{listener_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (::poll(ready, 2, -1) < 0) continue;
    if (ready[1].revents != 0) return;
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    Handle(connection);
    ::shutdown(connection, SHUT_RDWR);
    ::close(connection);
  }
}

void RangeHttpServer::Handle(int connection) {
  const std::string head = ReadHead(connection);
  if (head.empty()) return;
  SeenRequest seen;
  const size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const size_t first_space = request_line.find(' ');
  const size_t second_space = request_line.find(' ', first_space + 1);
  seen.method = request_line.substr(0, first_space);
  seen.path = request_line.substr(first_space + 1, second_space - first_space - 1);
  size_t position = line_end + 2;
  while (position < head.size()) {
    const size_t end = head.find("\r\n", position);
    if (end == std::string::npos || end == position) break;
    const std::string line = head.substr(position, end - position);
    const size_t colon = line.find(':');
    if (colon != std::string::npos && Lowercase(line.substr(0, colon)) == "range") {
      seen.range = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    position = end + 2;
  }

  std::string body;
  bool found = false;
  bool honor_range = true;
  std::optional<uint64_t> close_after;
  std::optional<std::pair<uint64_t, std::chrono::milliseconds>> stall_after;
  std::string redirect;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(seen);
    if (auto target = redirects_.find(seen.path); target != redirects_.end()) {
      redirect = target->second;
    } else if (auto served = bodies_.find(seen.path); served != bodies_.end()) {
      found = true;
      body = served->second;
      honor_range = honor_range_;
      close_after = std::exchange(close_after_, std::nullopt);
      stall_after = std::exchange(stall_after_, std::nullopt);
    }
  }
  if (!redirect.empty()) {
    SendAll(connection, "HTTP/1.1 302 Found\r\nLocation: " + redirect +
                            "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return;
  }
  if (!found) {
    const std::string page = "<html><body>Not Found</body></html>";
    SendAll(connection, "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: " +
                            std::to_string(page.size()) + "\r\nConnection: close\r\n\r\n" + page);
    return;
  }

  uint64_t first = 0;
  std::string status = "200 OK";
  std::string extra;
  const std::optional<uint64_t> range_start = honor_range ? RangeStart(seen.range) : std::nullopt;
  if (range_start) {
    if (*range_start >= body.size()) {
      SendAll(connection, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */" +
                              std::to_string(body.size()) + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    first = *range_start;
    status = "206 Partial Content";
    extra = "Content-Range: bytes " + std::to_string(first) + "-" + std::to_string(body.size() - 1) + "/" +
            std::to_string(body.size()) + "\r\n";
  }
  const uint64_t length = body.size() - first;
  if (!SendAll(connection, "HTTP/1.1 " + status + "\r\nContent-Type: application/octet-stream\r\n" +
                               "Accept-Ranges: bytes\r\n" + extra + "Content-Length: " +
                               std::to_string(length) + "\r\nConnection: close\r\n\r\n")) {
    return;
  }
  uint64_t send_now = length;
  if (close_after) send_now = std::min(send_now, *close_after);
  if (stall_after) send_now = std::min(send_now, stall_after->first);
  if (!SendAll(connection, body.data() + first, send_now)) return;
  if (stall_after) Stall(connection, stall_after->second);
}

}  // namespace troupe::testing
