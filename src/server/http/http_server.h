// The HTTP/1.1 server: Boost.Beast on one Asio io_context run by a few I/O threads, one coroutine
// per connection, so thousands of slow streaming clients cost memory, not threads.
//
// Handlers registered with Router::AddBlocking (every API handler) run on the server's handler
// pool, never on an I/O thread; work that reports later answers through an SseStream or a
// DeferredResponse. The pool belongs to the server: once Run() has no connection left it is
// stopped (queued tasks dropped, running ones waited for), and always before the server's I/O
// context is destroyed, so no task outlives what it posts to.
//
// Requests are read strictly (RFC 9112): a Transfer-Encoding other than a single final "chunked",
// Transfer-Encoding together with Content-Length or on HTTP/1.0, and a repeated Host,
// Authorization, X-Troupe-User or Content-Type header are answered 400 (501 for a transfer coding
// the server does not implement) and the connection is closed, so a body can never be read as
// the next request. HEAD is answered like GET without the body.
//
// Every request gets a response in one shape: handler output, or a JSON error
// ({"error":{"code","message","field"}}) for malformed HTTP (400), oversized bodies (413), unknown
// paths (404), wrong methods (405 with Allow) and handler exceptions (500). A request not read
// within request_timeout is cut without an answer (counted as 408).
//
// Every wait of the server's own (read and write deadlines, heartbeats, the shutdown grace and the
// hard stop after it) is a timer on HttpServerOptions::clock, so a test with a ManualClock decides
// when each one passes.
// Each request is counted in the metrics registry under its route template and logged once
// (method, route template, status, duration, key id; never headers or bodies).
//
// Built-in routes, added unless the router already has them: GET /metrics (Prometheus text),
// GET /healthz ({"status":"ok"}), GET /readyz (runs the readiness checks: 200, or 503 naming the
// checks that failed).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "server/http/metrics.h"
#include "server/http/router.h"

namespace troupe::server {

// What the server needs from troupe::config::ServerConfig (the CLI copies the fields across;
// seconds there become durations here so tests can use milliseconds).
struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT ("[::1]:8080" for IPv6); port 0 picks one
  int io_threads = 2;
  int64_t body_limit_bytes = 8 * 1024 * 1024;
  uint32_t header_limit_bytes = 16 * 1024;
  // Reading a request's header, and separately its body; writing any response or event. Between
  // requests a keep-alive connection waits this long for the next one. An event stream has no
  // bound of its own: only each of its writes has.
  std::chrono::milliseconds request_timeout{30'000};
  // After Stop(), how long running requests and streams may go on before they are cancelled
  // (and 2 s after that, connections that still have not finished stop the I/O threads).
  std::chrono::milliseconds shutdown_grace{10'000};
  // A comment line is written on an event stream after this long with nothing written, so proxies
  // keep it open and a client that went away is noticed.
  std::chrono::milliseconds sse_heartbeat{15'000};
  // Where the durations above are measured; null is SystemClock::Instance(). Must outlive the
  // server.
  const Clock* clock = nullptr;
  std::string version = "dev";  // troupe_build_info{version=...}
  // The handler pool (every AddBlocking route, i.e. every API handler): threads, and queued tasks
  // at most (more get 429).
  int background_threads = 4;
  size_t background_queue = 64;
  // Tests only: runs on a background thread before each task (see base/task_pool.h).
  std::function<void()> before_background_task;
};

class HttpServer {
 public:
  // Binds and listens (nothing is served until Run()). Registers the server's metrics in
  // `metrics` (reusing families already there), which must outlive the server.
  //   kInvalidArgument (field "server.listen") for a listen address that does not parse;
  //   kUnavailable when the address cannot be bound (in use, not local, no permission).
  static Result<std::unique_ptr<HttpServer>> Create(HttpServerOptions options, Router router,
                                                    MetricsRegistry& metrics);
  // Stops and waits for Run() if it is running on another thread.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound address, "127.0.0.1:41234" (with the real port when the options said 0).
  std::string listen_address() const;
  uint16_t port() const;

  // Adds a check that /readyz runs on an I/O thread; it must be quick. Thread-safe.
  void AddReadinessCheck(std::string name, std::function<Status()> check);
  // Adds facts /readyz reports under "details" (e.g. which model is loaded) without judging
  // readiness by them; it runs on an I/O thread and must be quick. Thread-safe.
  void AddReadinessReport(std::string name, std::function<nlohmann::json()> report);

  // Makes SIGINT and SIGTERM call Stop(). Call before Run().
  void StopOnSignals();

  // Serves on `io_threads` threads (the caller's among them) until Stop() and every connection
  // has finished or been cancelled. Call once.
  void Run();

  // Stops accepting, closes idle connections, lets running requests and streams finish for up
  // to shutdown_grace, then cancels what remains (streams see SseStream::cancelled()); Run()
  // then returns. Thread-safe, idempotent, may be called before Run().
  void Stop();

 private:
  class Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace troupe::server
