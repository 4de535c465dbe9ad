// A small blocking HTTP/1.1 client over a real socket, for exercising the server end to end.
// Every read gives up after a few seconds, so a server bug fails a test instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace troupe::server::testing {

// One event of a server-sent event stream: its type and its data lines joined and parsed as JSON
// (discarded when they are not JSON).
struct StreamEvent {
  std::string type;
  nlohmann::json data;
};
// The events of a stream's body, in order; events without a type are left out.
std::vector<StreamEvent> ParseStreamEvents(const std::string& body);

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& lower_case_name) const;
  nlohmann::json Json() const;  // the body parsed, or a "not json" string
};

class TestClient {
 public:
  explicit TestClient(uint16_t port, std::chrono::milliseconds read_timeout = std::chrono::seconds(10));
  ~TestClient();

  // Sends one request on the connection and reads its response.
  ClientResponse Send(std::string_view method, std::string_view target, std::string_view body = {},
                      std::vector<std::pair<std::string, std::string>> headers = {});
  // A POST with Content-Type: application/json.
  ClientResponse PostJson(std::string_view target, std::string_view json);

  // Writes bytes as they are.
  void SendRaw(std::string_view bytes);
  // Reads one response; for an event stream, only its status and headers (the body would not end).
  ClientResponse ReadResponse();
  // Reads until the server closes the connection (or the timeout); returns what arrived.
  std::string ReadUntilClosed();
  // True when the server has closed the connection (read returns EOF) within the timeout.
  bool ServerClosed();

  // Event streams: sends the request and reads the response header.
  ClientResponse StartStream(std::string_view target,
                             std::vector<std::pair<std::string, std::string>> headers = {});
  // The same for a request with a method and body (a POST that answers with a stream).
  ClientResponse StartStream(std::string_view method, std::string_view target, std::string_view body,
                             std::vector<std::pair<std::string, std::string>> headers = {});
  // Reads stream body until it contains `count` complete events (blank-line terminated blocks,
  // comments included) or the stream ends; returns the body read so far.
  std::string ReadEvents(size_t count);
  // Reads until the response ends; true if it ended with the final chunk (a clean end), false if
  // the connection closed or timed out first.
  bool ReadStreamToEnd();
  const std::string& stream_body() const;

  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace troupe::server::testing
