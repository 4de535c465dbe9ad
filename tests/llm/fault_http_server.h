// An OpenAI-style endpoint on 127.0.0.1 for provider tests that misbehaves on cue, the way real
// endpoints do: answers from a script of responses (one per request, in order) that may fail with
// an error status, stream in tiny pieces, cut the stream, go silent until the client gives up, or
// hold a response half-sent until the test releases it. Each connection gets one response, then
// it closes.
//
// One thread serves every connection (poll), so a test may hold hundreds of connections open at
// once and still count its own process's threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace troupe::testing {

class FaultHttpServer {
 public:
  static constexpr size_t kNeverPause = static_cast<size_t>(-1);

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
    // After this many body parts the response holds until ReleasePaused() (kNeverPause: never).
    size_t pause_after_parts = kNeverPause;
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

  // Waits until `count` requests in all have been read. false only when they never come (a guard
  // against hanging the test, not a timing check).
  bool WaitForRequests(size_t count);
  // Responses holding at their pause point go on, and later ones no longer hold.
  void ReleasePaused();
  // Waits until `count` responses in all were abandoned: the client closed the connection before
  // the response was complete (mid-body, while it stalled or while it was held). false when that
  // has not happened within a generous guard against hanging the test (not a timing check).
  bool WaitForAbandoned(size_t count);

 private:
  struct Connection;
  void Serve();
  void AcceptAll();
  void Read(Connection& connection);
  void Respond(Connection& connection);
  void QueueParts(Connection& connection);
  void Flush(Connection& connection);
  void Sent(Connection& connection);
  void Close(Connection& connection, bool abandoned);

  int listener_ = -1;
  int wake_read_ = -1;
  int wake_write_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::vector<std::unique_ptr<Connection>> connections_;  // the serving thread's own

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable changed_;
  std::deque<Response> script_;
  std::vector<Response> default_;  // zero or one
  std::vector<Request> requests_;
  bool released_ = false;
  bool stopping_ = false;
  size_t abandoned_ = 0;
};

// "data: <json>\n\n" for a chat.completion.chunk carrying `content` (and a finish reason when
// given), as OpenAI sends it.
std::string ContentChunk(const std::string& content, const std::string& finish_reason = "");
std::string UsageChunk(int prompt_tokens, int completion_tokens);
std::string DataLine(const std::string& data);  // "data: <data>\n\n"
// A complete stream: a role chunk, one chunk per piece, a stop chunk, usage, [DONE].
std::vector<std::string> StreamOf(const std::vector<std::string>& pieces, int prompt_tokens = 10);

}  // namespace troupe::testing
