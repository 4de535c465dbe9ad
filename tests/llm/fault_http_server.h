// An OpenAI-style endpoint on 127.0.0.1 for provider tests that misbehaves on cue, the way real
// endpoints do: answers from a script of responses (one per request, in order) that may fail with
// an error status, stream in tiny pieces, cut the stream, or go silent until the client gives up.
// Each connection runs on its own thread and gets one response, then the connection closes.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace troupe::testing {

class FaultHttpServer {
 public:
  struct Response {
    int status = 200;
    std::string content_type = "text/event-stream";
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers
    std::vector<std::string> body_parts;  // each sent with its own write
    bool chunked = true;                  // Transfer-Encoding: chunked, else ended by closing
    enum class End {
      kComplete,  // the body ends properly
      kCut,       // the connection closes mid-body (chunked: without the last chunk)
      kStall,     // nothing more is sent until the client closes the connection
    };
    End end = End::kComplete;
    bool stall_before_headers = false;  // not even a status line until the client gives up
  };

  struct Request {
    std::string method;
    std::string target;  // path and query
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
  };

  FaultHttpServer();  // listening on an ephemeral port when constructed
  ~FaultHttpServer();
  FaultHttpServer(const FaultHttpServer&) = delete;
  FaultHttpServer& operator=(const FaultHttpServer&) = delete;

  std::string BaseUrl() const;  // "http://127.0.0.1:PORT/v1"
  // The next request gets this response; with none queued a request gets a 500.
  void Enqueue(Response response);
  // Every later request gets this response (after the queued ones).
  void SetDefault(Response response);
  std::vector<Request> requests() const;

 private:
  void AcceptLoop();
  void Handle(int connection);
  bool WaitForClientToLeave(int connection);  // false when the server is stopping

  int listener_ = -1;
  int wake_read_ = -1;
  int wake_write_ = -1;
  uint16_t port_ = 0;
  std::thread accept_thread_;

  mutable std::mutex mutex_;  // guards everything below
  std::deque<Response> script_;
  std::vector<Response> default_;  // zero or one
  std::vector<Request> requests_;
  std::vector<std::thread> connections_;
};

// "data: <json>\n\n" for a chat.completion.chunk carrying `content` (and a finish reason when
// given), as OpenAI sends it.
std::string ContentChunk(const std::string& content, const std::string& finish_reason = "");
std::string UsageChunk(int prompt_tokens, int completion_tokens);
std::string DataLine(const std::string& data);  // "data: <data>\n\n"
// A complete stream: a role chunk, one chunk per piece, a stop chunk, usage, [DONE].
std::vector<std::string> StreamOf(const std::vector<std::string>& pieces, int prompt_tokens = 10);

}  // namespace troupe::testing
