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
#include <cstdio>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace troupe::testing {
namespace {

std::string Lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool SendAll(int connection, const std::string& text) {
  const char* data = text.data();
  size_t length = text.size();
  while (length > 0) {
    const ssize_t sent = ::send(connection, data, length, MSG_NOSIGNAL);
    if (sent <= 0) return false;
    data += sent;
    length -= static_cast<size_t>(sent);
  }
  return true;
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

// Reads one request (head and Content-Length body); false on error or EOF.
bool ReadRequest(int connection, FaultHttpServer::Request& request) {
  std::string data;
  char buffer[8192];
  size_t head_end = std::string::npos;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t got = ::recv(connection, buffer, sizeof buffer, 0);
    if (got <= 0) return false;
    data.append(buffer, static_cast<size_t>(got));
  }
  const std::string head = data.substr(0, head_end);
  std::string body = data.substr(head_end + 4);
  const size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const size_t space = request_line.find(' ');
  const size_t second = request_line.find(' ', space + 1);
  request.method = request_line.substr(0, space);
  request.target = request_line.substr(space + 1, second - space - 1);
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
  while (body.size() < length) {
    const ssize_t got = ::recv(connection, buffer, sizeof buffer, 0);
    if (got <= 0) return false;
    body.append(buffer, static_cast<size_t>(got));
  }
  request.body = body.substr(0, length);
  return true;
}

std::string Hex(size_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "%zx", value);
  return text;
}

}  // namespace

FaultHttpServer::FaultHttpServer() {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) throw std::runtime_error("socket failed");
  const int yes = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 64) != 0) {
    throw std::runtime_error("bind/listen on 127.0.0.1 failed");
  }
  socklen_t length = sizeof address;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  wake_read_ = wake[0];
  wake_write_ = wake[1];
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

FaultHttpServer::~FaultHttpServer() {
  const char byte = 'x';
  (void)!::write(wake_write_, &byte, 1);  // wakes the accept loop and every stalled connection
  accept_thread_.join();
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  for (std::thread& thread : connections) thread.join();
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

void FaultHttpServer::AcceptLoop() {
  for (;;) {
    pollfd ready[2] = {{listener_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (::poll(ready, 2, -1) < 0) continue;
    if (ready[1].revents != 0) return;
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    std::lock_guard lock(mutex_);
    connections_.emplace_back([this, connection] {
      Handle(connection);
      ::close(connection);
    });
  }
}

bool FaultHttpServer::WaitForClientToLeave(int connection) {
  char buffer[256];
  for (;;) {
    pollfd ready[2] = {{connection, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (::poll(ready, 2, -1) < 0) continue;
    if (ready[1].revents != 0) return false;
    if (::recv(connection, buffer, sizeof buffer, 0) <= 0) return true;
  }
}

void FaultHttpServer::Handle(int connection) {
  const int yes = 1;
  ::setsockopt(connection, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  Request request;
  if (!ReadRequest(connection, request)) return;
  Response response;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
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
    WaitForClientToLeave(connection);
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
  head += "\r\n";
  if (!SendAll(connection, head)) return;
  for (const std::string& part : response.body_parts) {
    if (part.empty()) continue;
    const std::string framed = response.chunked ? Hex(part.size()) + "\r\n" + part + "\r\n" : part;
    if (!SendAll(connection, framed)) return;
  }
  switch (response.end) {
    case Response::End::kComplete:
      if (response.chunked) SendAll(connection, "0\r\n\r\n");
      // Let the client read everything and close first, so the close is never a reset.
      WaitForClientToLeave(connection);
      return;
    case Response::End::kCut:
      ::shutdown(connection, SHUT_RDWR);
      return;
    case Response::End::kStall:
      WaitForClientToLeave(connection);
      return;
  }
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
