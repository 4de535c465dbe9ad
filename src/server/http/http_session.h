// One client connection: reads requests, dispatches them, writes responses or an event stream.
// Private to src/server. Everything a Session does runs on its own strand, so its state needs no
// lock; the server reaches it only through the thread-safe On* methods, which post to the strand.
#pragma once

#include <utility>  // Boost 1.74 Asio uses std::exchange without including <utility>.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/task_pool.h"
#include "server/http/clock_timer.h"
#include "server/http/http_message.h"
#include "server/http/http_server.h"
#include "server/http/metrics.h"
#include "server/http/request_parser.h"
#include "server/http/router.h"

namespace troupe::server {

// "host:port", with IPv6 hosts in brackets, for logs and the client's address.
std::string FormatEndpoint(const boost::asio::ip::tcp::endpoint& endpoint);

struct ServerMetrics {
  Counter* requests = nullptr;     // troupe_http_requests_total{route,method,status}
  Histogram* duration = nullptr;   // troupe_http_request_duration_seconds{route}
  Gauge* in_flight = nullptr;      // troupe_http_requests_in_flight
  Gauge* sse_open = nullptr;       // troupe_sse_streams_open
};

// What every connection shares; owned by the server, immutable while it runs.
struct ServerContext {
  HttpServerOptions options;
  RequestLimits limits;
  Router router;
  ServerMetrics metrics;
  // Owned by the server, which stops it before the I/O context goes (blocking routes run here).
  TaskPool* background = nullptr;
  // options.clock, or the system clock: every deadline, heartbeat and grace period is on it.
  const Clock* clock = nullptr;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `socket`'s executor must be a strand. `on_end` runs (on the strand) when the connection is
  // finished with; the server uses it to forget the session.
  Session(const ServerContext& context, boost::asio::ip::tcp::socket socket,
          std::function<void()> on_end);

  void Start();
  // The server stopped accepting: close the connection if it is between requests, otherwise
  // answer the current request with Connection: close.
  void OnServerStop();
  // The grace period is over: cancel a running stream and close the socket.
  void OnGraceExpired();

 private:
  enum class Phase { kReading, kHandling, kStreaming, kDone };

  boost::asio::awaitable<void> Serve();
  // Reads one request; nullopt when the connection should close (the error, if any, answered).
  boost::asio::awaitable<std::optional<Request>> ReadRequest(bool& keep_alive);
  boost::asio::awaitable<Response> Dispatch(Request& request);
  // Runs a blocking route's handler on the handler pool while this coroutine waits on the
  // strand; the route's busy answer when the pool is full.
  boost::asio::awaitable<Response> RunBlocking(const Route& route, Request& request);
  // Waits, holding no thread, for a response a handler promised (Response::Later).
  boost::asio::awaitable<Response> AwaitDeferred(DeferredResponse& pending);
  // `head_only`: the status and headers of `response` (Content-Length included), no body.
  boost::asio::awaitable<bool> WriteResponse(Response response, bool keep_alive, bool head_only = false);
  boost::asio::awaitable<void> WriteEventStream(SseStream stream, const Response& head);
  // The status line and headers of an event stream (chunked, never kept alive); false when the
  // client is gone.
  boost::asio::awaitable<bool> WriteEventStreamHead(const Response& head);
  // Writes `bytes` of an event stream: at once when the socket takes them, else asynchronously under
  // a deadline. False when the client is gone or too slow. `bytes` must outlive the write.
  boost::asio::awaitable<bool> WriteStreamBytes(std::string_view bytes);
  static boost::asio::awaitable<void> WatchForDisconnect(std::shared_ptr<Session> self,
                                                         SseStream stream);
  // Writes an error for a request that could not be read, then closes gently. By value: a
  // coroutine must not hold references to its caller's temporaries.
  boost::asio::awaitable<void> RejectAndClose(HttpError error);
  boost::asio::awaitable<void> LingeringClose();
  // Bounds the reads and writes that follow by `limit` of the clock's time. When it passes first,
  // the socket is closed, so what is pending and whatever starts later fails, and timed_out_ says
  // why. EndDeadline() lifts the bound once the operation is done.
  void StartDeadline(std::chrono::milliseconds limit);
  void EndDeadline();
  void Record(const Request& request, const std::string& route, int status,
              std::chrono::steady_clock::time_point start);

  const ServerContext& context_;
  boost::beast::tcp_stream stream_;  // its own expiry is never set: deadline_ bounds each operation
  boost::beast::flat_buffer buffer_;
  // After stream_, so they go first: their on_fire may touch the stream until they are destroyed.
  ClockTimer deadline_;
  ClockTimer wake_;  // an event stream waits on it for events; its timer rings the heartbeat
  bool timed_out_ = false;  // the current deadline passed (the socket is closed)
  std::function<void()> on_end_;
  std::string remote_address_;
  Phase phase_ = Phase::kReading;
  bool stopping_ = false;
  std::optional<SseStream> active_stream_;
};

}  // namespace troupe::server
