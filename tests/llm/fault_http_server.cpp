#include "fault_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace troupe::testing {
namespace {

// Only a guard against a test hanging forever; no test expects to come near it.
constexpr std::chrono::minutes kHangGuard{2};

std::string Lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// Parses one request (head and Content-Length body) from the bytes received so far; false while
// it is incomplete.
bool ParseRequest(const std::string& data, FaultHttpServer::Request& request) {
  const size_t head_end = data.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  const std::string head = data.substr(0, head_end);
  const size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const size_t space = request_line.find(' ');
  const size_t second = request_line.find(' ', space + 1);
  request.method = request_line.substr(0, space);
  request.target = request_line.substr(space + 1, second - space - 1);
  request.headers.clear();
  size_t position = line_end == std::string::npos ? head.size() : line_end + 2;
  while (position < head.size()) {
    size_t end = head.find("\r\n", position);
    if (end == std::string::npos) end = head.size();
    const std::string line = head.substr(position, end - position);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      request.headers[Lowercase(line.substr(0, colon))] = value;
    }
    position = end + 2;
  }
  size_t length = 0;
  if (auto found = request.headers.find("content-length"); found != request.headers.end()) {
    length = std::stoul(found->second);
  }
  if (data.size() - (head_end + 4) < length) return false;
  request.body = data.substr(head_end + 4, length);
  return true;
}

std::string Hex(size_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "%zx", value);
  return text;
}

}  // namespace

// One client connection, from its request to its close.
struct FaultHttpServer::Connection {
  enum class Phase {
    kReading,   // the request is not complete yet
    kSending,   // writes are queued
    kPaused,    // held at pause_after_parts until ReleasePaused
    kHolding,   // a stall: nothing more until the client leaves
    kDraining,  // complete: waiting for the client to close first, so the close is never a reset
  };
  int fd = -1;
  Phase phase = Phase::kReading;
  std::string received;
  Response response;
  std::deque<std::string> writes;  // each its own send, as a server flushing each piece would
  size_t written = 0;              // of writes.front()
  size_t next_part = 0;            // of response.body_parts
};

FaultHttpServer::FaultHttpServer() {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listener_ < 0) throw std::runtime_error("socket failed");
  const int yes = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  // A deep backlog: tests open hundreds of connections at once.
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 1024) != 0) {
    throw std::runtime_error("bind/listen on 127.0.0.1 failed");
  }
  socklen_t length = sizeof address;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe failed");
  wake_read_ = wake[0];
  wake_write_ = wake[1];
  thread_ = std::thread([this] { Serve(); });
}

FaultHttpServer::~FaultHttpServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  const char byte = 'x';
  (void)!::write(wake_write_, &byte, 1);
  thread_.join();
  for (const std::unique_ptr<Connection>& connection : connections_) ::close(connection->fd);
  ::close(listener_);
  ::close(wake_read_);
  ::close(wake_write_);
}

std::string FaultHttpServer::BaseUrl() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

void FaultHttpServer::Enqueue(Response response) {
  std::lock_guard lock(mutex_);
  script_.push_back(std::move(response));
}

void FaultHttpServer::SetDefault(Response response) {
  std::lock_guard lock(mutex_);
  default_.assign(1, std::move(response));
}

std::vector<FaultHttpServer::Request> FaultHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void FaultHttpServer::ReleasePaused() {
  {
    std::lock_guard lock(mutex_);
    released_ = true;
  }
  const char byte = 'r';
  (void)!::write(wake_write_, &byte, 1);
}

bool FaultHttpServer::WaitForRequests(size_t count) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, kHangGuard, [&] { return requests_.size() >= count; });
}

bool FaultHttpServer::WaitForAbandoned(size_t count) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, kHangGuard, [&] { return abandoned_ >= count; });
}

void FaultHttpServer::Serve() {
  std::vector<pollfd> ready;
  for (;;) {
    ready.assign({{wake_read_, POLLIN, 0}, {listener_, POLLIN, 0}});
    for (const std::unique_ptr<Connection>& connection : connections_) {
      const bool sending = connection->phase == Connection::Phase::kSending;
      ready.push_back({connection->fd, static_cast<short>(POLLIN | (sending ? POLLOUT : 0)), 0});
    }
    if (::poll(ready.data(), ready.size(), -1) < 0) continue;
    if (ready[0].revents != 0) {
      char drained[64];
      while (::read(wake_read_, drained, sizeof drained) > 0) {
      }
      bool released = false;
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        released = released_;
      }
      for (const std::unique_ptr<Connection>& connection : connections_) {
        if (released && connection->phase == Connection::Phase::kPaused) QueueParts(*connection);
      }
    }
    // Connections accepted now are polled from the next turn on; ready[i + 2] is connections_[i].
    const size_t polled = ready.size() - 2;
    if (ready[1].revents != 0) AcceptAll();
    for (size_t i = 0; i < polled; ++i) {
      Connection& connection = *connections_[i];
      const short events = ready[i + 2].revents;
      if (connection.fd >= 0 && (events & (POLLIN | POLLHUP | POLLERR)) != 0) Read(connection);
      if (connection.fd >= 0 && (events & POLLOUT) != 0) Flush(connection);
    }
    std::erase_if(connections_, [](const std::unique_ptr<Connection>& connection) { return connection->fd < 0; });
  }
}

void FaultHttpServer::AcceptAll() {
  for (;;) {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    const int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    auto connection = std::make_unique<Connection>();
    connection->fd = fd;
    connections_.push_back(std::move(connection));
  }
}

void FaultHttpServer::Read(Connection& connection) {
  char buffer[8192];
  for (;;) {
    const ssize_t got = ::recv(connection.fd, buffer, sizeof buffer, 0);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (got <= 0) {  // the client left
      const bool complete = connection.phase == Connection::Phase::kDraining;
      Close(connection, /*abandoned=*/connection.phase != Connection::Phase::kReading && !complete);
      return;
    }
    if (connection.phase == Connection::Phase::kReading) connection.received.append(buffer, static_cast<size_t>(got));
  }
  if (connection.phase != Connection::Phase::kReading) return;
  Request request;
  if (ParseRequest(connection.received, request)) {
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(std::move(request));
      changed_.notify_all();
    }
    Respond(connection);
  }
}

void FaultHttpServer::Respond(Connection& connection) {
  Response& response = connection.response;
  {
    std::lock_guard lock(mutex_);
    if (!script_.empty()) {
      response = std::move(script_.front());
      script_.pop_front();
    } else if (!default_.empty()) {
      response = default_.front();
    } else {
      response.status = 500;
      response.content_type = "application/json";
      response.body_parts = {R"({"error":{"message":"no scripted response left"}})"};
    }
  }
  if (response.stall_before_headers) {
    connection.phase = Connection::Phase::kHolding;
    return;
  }
  std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " + Reason(response.status) + "\r\n";
  head += "Content-Type: " + response.content_type + "\r\nConnection: close\r\n";
  for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
  if (response.chunked) {
    head += "Transfer-Encoding: chunked\r\n";
  } else if (response.end == Response::End::kComplete) {
    size_t length = 0;
    for (const std::string& part : response.body_parts) length += part.size();
    head += "Content-Length: " + std::to_string(length) + "\r\n";
  }
  connection.writes.push_back(head + "\r\n");
  QueueParts(connection);
}

// Queues the body parts up to the pause point (or all of them, and the last chunk).
void FaultHttpServer::QueueParts(Connection& connection) {
  const Response& response = connection.response;
  bool released = false;
  {
    std::lock_guard lock(mutex_);
    released = released_;
  }
  const size_t stop_at = released ? response.body_parts.size() : std::min(response.pause_after_parts, response.body_parts.size());
  for (; connection.next_part < stop_at; ++connection.next_part) {
    const std::string& part = response.body_parts[connection.next_part];
    if (part.empty()) continue;
    connection.writes.push_back(response.chunked ? Hex(part.size()) + "\r\n" + part + "\r\n" : part);
  }
  const bool all_parts = connection.next_part == response.body_parts.size();
  if (all_parts && response.end == Response::End::kComplete && response.chunked) connection.writes.push_back("0\r\n\r\n");
  connection.phase = Connection::Phase::kSending;
  Flush(connection);
}

void FaultHttpServer::Flush(Connection& connection) {
  while (!connection.writes.empty()) {
    const std::string& front = connection.writes.front();
    const ssize_t sent =
        ::send(connection.fd, front.data() + connection.written, front.size() - connection.written, MSG_NOSIGNAL);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // POLLOUT brings us back
    if (sent <= 0) {
      Close(connection, /*abandoned=*/true);
      return;
    }
    connection.written += static_cast<size_t>(sent);
    if (connection.written == front.size()) {
      connection.writes.pop_front();
      connection.written = 0;
    }
  }
  Sent(connection);
}

// Everything queued is out: hold, end the body as scripted, or wait for the client to close.
void FaultHttpServer::Sent(Connection& connection) {
  const Response& response = connection.response;
  if (connection.next_part < response.body_parts.size()) {
    connection.phase = Connection::Phase::kPaused;
    return;
  }
  switch (response.end) {
    case Response::End::kComplete:
      connection.phase = Connection::Phase::kDraining;
      return;
    case Response::End::kCut:
      ::shutdown(connection.fd, SHUT_RDWR);
      Close(connection, /*abandoned=*/false);
      return;
    case Response::End::kStall:
      connection.phase = Connection::Phase::kHolding;
      return;
  }
}

void FaultHttpServer::Close(Connection& connection, bool abandoned) {
  ::close(connection.fd);
  connection.fd = -1;  // Serve drops it after this turn
  if (!abandoned) return;
  {
    std::lock_guard lock(mutex_);
    ++abandoned_;
  }
  changed_.notify_all();
}

std::string DataLine(const std::string& data) { return "data: " + data + "\n\n"; }

std::string ContentChunk(const std::string& content, const std::string& finish_reason) {
  nlohmann::json delta = nlohmann::json::object();
  if (!content.empty()) delta["content"] = content;
  nlohmann::json chunk = {{"id", "chatcmpl-test"},
                          {"object", "chat.completion.chunk"},
                          {"created", 1700000000},
                          {"model", "test-model"},
                          {"choices", {{{"index", 0}, {"delta", delta}, {"finish_reason", nullptr}}}}};
  if (!finish_reason.empty()) chunk["choices"][0]["finish_reason"] = finish_reason;
  return DataLine(chunk.dump());
}

std::string UsageChunk(int prompt_tokens, int completion_tokens) {
  const nlohmann::json chunk = {
      {"id", "chatcmpl-test"},
      {"object", "chat.completion.chunk"},
      {"choices", nlohmann::json::array()},
      {"usage",
       {{"prompt_tokens", prompt_tokens}, {"completion_tokens", completion_tokens}, {"total_tokens", prompt_tokens + completion_tokens}}}};
  return DataLine(chunk.dump());
}

std::vector<std::string> StreamOf(const std::vector<std::string>& pieces, int prompt_tokens) {
  std::vector<std::string> parts;
  parts.push_back(DataLine(
      R"({"id":"chatcmpl-test","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})"));
  for (const std::string& piece : pieces) parts.push_back(ContentChunk(piece));
  parts.push_back(ContentChunk("", "stop"));
  parts.push_back(UsageChunk(prompt_tokens, static_cast<int>(pieces.size())));
  parts.push_back(DataLine("[DONE]"));
  return parts;
}

}  // namespace troupe::testing
