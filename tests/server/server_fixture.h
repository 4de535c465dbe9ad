// Runs an HttpServer on 127.0.0.1 with a free port, on a background thread, for one test.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "server/http/http_server.h"
#include "server/http/metrics.h"
#include "server/http/router.h"

namespace troupe::server::testing {

inline HttpServerOptions TestOptions() {
  HttpServerOptions options;
  options.listen = "127.0.0.1:0";
  options.io_threads = 2;
  options.body_limit_bytes = 1024;
  options.request_timeout = std::chrono::seconds(5);
  options.shutdown_grace = std::chrono::seconds(2);
  options.sse_heartbeat = std::chrono::seconds(5);
  options.version = "1.2.3-test";
  return options;
}

class RunningServer {
 public:
  explicit RunningServer(Router router, HttpServerOptions options = TestOptions()) {
    auto created = HttpServer::Create(std::move(options), std::move(router), metrics_);
    if (!created.ok()) {
      ADD_FAILURE() << created.status().ToString();
      return;
    }
    server_ = std::move(created).value();
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~RunningServer() { StopAndJoin(); }

  // Stops the server and waits for Run() to return.
  void StopAndJoin() {
    if (!server_) return;
    server_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  // Waits for Run() to return (after someone else stopped it).
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  HttpServer& server() { return *server_; }
  uint16_t port() const { return server_->port(); }
  MetricsRegistry& metrics() { return metrics_; }

 private:
  MetricsRegistry metrics_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

}  // namespace troupe::server::testing
