#include "server/http/http_server.h"

#include <spdlog/spdlog.h>

#include <utility>  // Boost 1.74 Asio uses std::exchange without including <utility>.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "base/thread_name.h"
#include "server/http/clock_timer.h"
#include "server/http/http_session.h"

namespace troupe::server {

namespace net = boost::asio;
using net::ip::tcp;
using std::chrono::milliseconds;

namespace {

// After the grace, cancelled connections get this long to finish before the I/O threads stop.
constexpr milliseconds kHardStopAfterGrace{2000};
// An accept that fails (out of descriptors) is retried after this pause rather than at once.
constexpr milliseconds kAcceptRetryPause{50};

const Clock& ClockOf(const HttpServerOptions& options) {
  return options.clock != nullptr ? *options.clock : SystemClock::Instance();
}

// Splits "HOST:PORT" / "[V6]:PORT" and resolves HOST to one endpoint.
Result<tcp::endpoint> ParseListen(const std::string& listen) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("server.listen '" + listen + "': " + why, "server.listen");
  };
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return bad("expected HOST:PORT");
  std::string host = listen.substr(0, colon);
  std::string port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return bad("missing host (use 0.0.0.0 for every interface)");
  unsigned long port = 0;
  try {
    size_t used = 0;
    port = std::stoul(port_text, &used);
    if (used != port_text.size() || port > 65535) return bad("port must be 0-65535");
  } catch (const std::exception&) {
    return bad("port must be a number 0-65535");
  }
  boost::system::error_code error;
  net::ip::address address = net::ip::make_address(host, error);
  if (error) {
    net::io_context resolver_context;
    tcp::resolver resolver(resolver_context);
    auto results = resolver.resolve(host, port_text, error);
    if (error || results.empty()) return bad("cannot resolve host: " + error.message());
    address = results.begin()->endpoint().address();
  }
  return tcp::endpoint(address, static_cast<uint16_t>(port));
}

template <typename Family, typename Make>
Family& FindOrAdd(MetricsRegistry& registry, const std::string& name, Make make) {
  if (auto* existing = dynamic_cast<Family*>(registry.Find(name))) return *existing;
  return make();
}

ServerMetrics RegisterServerMetrics(MetricsRegistry& registry, const std::string& version) {
  ServerMetrics metrics;
  metrics.requests = &FindOrAdd<Counter>(registry, "troupe_http_requests_total", [&]() -> Counter& {
    return registry.AddCounter("troupe_http_requests_total",
                               "HTTP requests answered, by route template, method and status.",
                               {"route", "method", "status"});
  });
  metrics.duration = &FindOrAdd<Histogram>(
      registry, "troupe_http_request_duration_seconds", [&]() -> Histogram& {
        return registry.AddHistogram("troupe_http_request_duration_seconds",
                                     "Time from a request's arrival to the end of its response "
                                     "(streams included), by route template.",
                                     {"route"});
      });
  metrics.in_flight =
      &FindOrAdd<Gauge>(registry, "troupe_http_requests_in_flight", [&]() -> Gauge& {
        return registry.AddGauge("troupe_http_requests_in_flight",
                                 "Requests being handled or streamed right now.");
      });
  metrics.sse_open = &FindOrAdd<Gauge>(registry, "troupe_sse_streams_open", [&]() -> Gauge& {
    return registry.AddGauge("troupe_sse_streams_open", "Server-Sent Events streams open now.");
  });
  if (registry.Find("troupe_build_info") == nullptr) {
    registry.AddGauge("troupe_build_info", "Always 1; the labels say which build is running.",
                      {"version"})
        .Set(1, {version});
  }
  if (registry.Find("process_cpu_seconds_total") == nullptr) RegisterProcessMetrics(registry);
  return metrics;
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, Router router, MetricsRegistry& metrics)
      : metrics_registry_(metrics),
        io_(std::max(options.io_threads, 1)),
        control_(net::make_strand(io_)),
        acceptor_(control_),
        clock_(ClockOf(options)),
        grace_timer_(clock_, control_),
        hard_stop_timer_(clock_, control_),
        background_("handler", std::max(options.background_threads, 1), options.background_queue,
                    options.before_background_task) {
    context_.background = &background_;
    context_.clock = &clock_;
    context_.options = std::move(options);
    context_.limits.body_limit_bytes = context_.options.body_limit_bytes;
    context_.limits.header_limit_bytes = context_.options.header_limit_bytes;
    context_.router = std::move(router);
    context_.metrics = RegisterServerMetrics(metrics, context_.options.version);
    AddBuiltinRoutes();
  }

  // The pool's tasks may post to io_ and hold objects bound to it; they must all be gone first.
  ~Impl() { background_.Stop(); }

  Status Listen() {
    TROUPE_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ParseListen(context_.options.listen));
    boost::system::error_code error;
    auto fail = [&](const char* step) {
      return Unavailable(std::string("cannot listen on ") + context_.options.listen + " (" + step +
                         "): " + error.message());
    };
    acceptor_.open(endpoint.protocol(), error);
    if (error) return fail("open");
    acceptor_.set_option(net::socket_base::reuse_address(true), error);
    if (error) return fail("option");
    acceptor_.bind(endpoint, error);
    if (error) return fail("bind");
    acceptor_.listen(net::socket_base::max_listen_connections, error);
    if (error) return fail("listen");
    bound_ = acceptor_.local_endpoint(error);
    if (error) return fail("local_endpoint");
    spdlog::info("listening on {}", FormatEndpoint(bound_));
    return Status::Ok();
  }

  void AddReadinessReport(std::string name, std::function<nlohmann::json()> report) {
    std::lock_guard lock(checks_mutex_);
    reports_.emplace_back(std::move(name), std::move(report));
  }

  void AddReadinessCheck(std::string name, std::function<Status()> check) {
    std::lock_guard lock(checks_mutex_);
    checks_.emplace_back(std::move(name), std::move(check));
  }

  void StopOnSignals() {
    signals_.emplace(control_, SIGINT, SIGTERM);
    signals_->async_wait([this](const boost::system::error_code& error, int signal_number) {
      if (error) return;
      spdlog::info("received signal {}; stopping", signal_number);
      BeginStop();
    });
  }

  void Run() {
    {
      std::lock_guard lock(running_mutex_);
      running_ = true;
    }
    net::co_spawn(control_, Accept(), [](std::exception_ptr failure) {
      if (failure) spdlog::error("http accept loop failed");
    });
    std::vector<std::thread> threads;
    for (int i = 1; i < context_.options.io_threads; ++i) {
      threads.emplace_back([this] {
        NameCurrentThread("http");
        io_.run();
      });
    }
    // The calling thread keeps its name: it is the process's name in ps and pgrep when it is main.
    io_.run();
    for (std::thread& thread : threads) thread.join();
    // No connection is left to answer, so what is queued is dropped; what runs is waited for (a
    // cancelled stream's producer ends soon). Their posts to io_ are destroyed with it.
    background_.Stop();
    spdlog::info("http server stopped");
    {
      std::lock_guard lock(running_mutex_);
      running_ = false;
    }
    running_changed_.notify_all();
  }

  void Stop() {
    net::post(control_, [this] { BeginStop(); });
  }

  void WaitUntilNotRunning() {
    std::unique_lock lock(running_mutex_);
    running_changed_.wait(lock, [this] { return !running_; });
  }

  const tcp::endpoint& bound() const { return bound_; }

 private:
  net::awaitable<void> Accept() {
    while (!stopping_) {
      boost::system::error_code error;
      // Each connection gets its own strand: its coroutines never run concurrently, while
      // different connections use every I/O thread.
      tcp::socket socket = co_await acceptor_.async_accept(
          net::make_strand(io_), net::redirect_error(net::use_awaitable, error));
      if (error) {
        if (stopping_ || error == net::error::operation_aborted) break;
        // Out of descriptors and the like: say so, and do not spin.
        spdlog::warn("accept failed: {}", error.message());
        ClockTimer pause(clock_, control_);
        co_await pause.Wait(kAcceptRetryPause);
        continue;
      }
      const uint64_t id = next_session_id_++;
      auto session = std::make_shared<Session>(context_, std::move(socket), [this, id] {
        net::post(control_, [this, id] { OnSessionEnded(id); });
      });
      sessions_.emplace(id, session);
      session->Start();
    }
  }

  // Runs on control_.
  void BeginStop() {
    if (stopping_) return;
    stopping_ = true;
    spdlog::info("http server stopping: {} connections open", sessions_.size());
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (signals_) signals_->cancel(ignored);
    for (auto& [id, session] : sessions_) session->OnServerStop();
    if (sessions_.empty()) return;
    // Cancelled (never run) once every connection has finished in time.
    grace_timer_.Arm(context_.options.shutdown_grace, [this] {
      spdlog::warn("shutdown grace period over; cancelling {} connections", sessions_.size());
      for (auto& [id, session] : sessions_) session->OnGraceExpired();
      // A handler that never returns must not keep the process alive forever.
      hard_stop_timer_.Arm(kHardStopAfterGrace, [this] {
        spdlog::error("{} connections did not finish after cancellation; stopping I/O",
                      sessions_.size());
        io_.stop();
      });
    });
  }

  // Runs on control_.
  void OnSessionEnded(uint64_t id) {
    sessions_.erase(id);
    if (stopping_ && sessions_.empty()) {
      grace_timer_.Cancel();
      hard_stop_timer_.Cancel();
    }
  }

  void AddBuiltinRoutes() {
    Router& router = context_.router;
    if (!router.Has("GET", "/metrics")) {
      router.Add("GET", "/metrics", [this](Request&) {
        return Response::Text(metrics_registry_.Render(), 200,
                              std::string(kPrometheusContentType));
      });
    }
    if (!router.Has("GET", "/healthz")) {
      router.Add("GET", "/healthz",
                 [](Request&) { return Response::Json(nlohmann::json{{"status", "ok"}}); });
    }
    if (!router.Has("GET", "/readyz")) {
      router.Add("GET", "/readyz", [this](Request&) { return Readiness(); });
    }
  }

  // 200 {"status":"ready","checks":{"store":"ok"}} or
  // 503 {"status":"not_ready","checks":{"store":"unavailable: ..."},"failed":["store"]}.
  Response Readiness() {
    std::vector<std::pair<std::string, std::function<Status()>>> checks;
    std::vector<std::pair<std::string, std::function<nlohmann::json()>>> reports;
    {
      std::lock_guard lock(checks_mutex_);
      checks = checks_;
      reports = reports_;
    }
    nlohmann::json details = nlohmann::json::object();
    for (const auto& [name, report] : reports) {
      try {
        details[name] = report();
      } catch (const std::exception& error) {
        details[name] = std::string("report threw: ") + error.what();
      }
    }
    nlohmann::json results = nlohmann::json::object();
    nlohmann::json failed = nlohmann::json::array();
    for (const auto& [name, check] : checks) {
      Status status;
      try {
        status = check();
      } catch (const std::exception& error) {
        status = Internal(std::string("check threw: ") + error.what());
      }
      results[name] = status.ok() ? std::string("ok") : status.ToString();
      if (!status.ok()) failed.push_back(name);
    }
    if (failed.empty()) return Response::Json({{"status", "ready"}, {"checks", results}, {"details", details}});
    return Response::Json(
        {{"status", "not_ready"}, {"checks", results}, {"failed", failed}, {"details", details}}, 503);
  }

  MetricsRegistry& metrics_registry_;
  ServerContext context_;
  net::io_context io_;
  net::strand<net::io_context::executor_type> control_;
  tcp::acceptor acceptor_;
  tcp::endpoint bound_;
  const Clock& clock_;
  // On control_; their on_fire captures `this`, safe since a ClockTimer's destructor waits out a
  // running on_fire and stops later ones.
  ClockTimer grace_timer_;
  ClockTimer hard_stop_timer_;
  std::optional<net::signal_set> signals_;
  // After io_ and context_, so it is destroyed before them (and ~Impl stops it first anyway).
  TaskPool background_;

  // Touched only on control_. shared_ptr because each session is also kept alive by its own
  // coroutines; the map entry lets Stop() reach it and goes when the session ends.
  std::map<uint64_t, std::shared_ptr<Session>> sessions_;
  uint64_t next_session_id_ = 0;
  bool stopping_ = false;

  std::mutex checks_mutex_;
  std::vector<std::pair<std::string, std::function<Status()>>> checks_;  // guarded
  std::vector<std::pair<std::string, std::function<nlohmann::json()>>> reports_;  // guarded

  std::mutex running_mutex_;
  std::condition_variable running_changed_;
  bool running_ = false;  // guarded by running_mutex_
};

Result<std::unique_ptr<HttpServer>> HttpServer::Create(HttpServerOptions options, Router router,
                                                       MetricsRegistry& metrics) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(router), metrics);
  TROUPE_RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  impl_->Stop();
  impl_->WaitUntilNotRunning();
}

std::string HttpServer::listen_address() const { return FormatEndpoint(impl_->bound()); }

uint16_t HttpServer::port() const { return impl_->bound().port(); }

void HttpServer::AddReadinessReport(std::string name, std::function<nlohmann::json()> report) {
  impl_->AddReadinessReport(std::move(name), std::move(report));
}

void HttpServer::AddReadinessCheck(std::string name, std::function<Status()> check) {
  impl_->AddReadinessCheck(std::move(name), std::move(check));
}

void HttpServer::StopOnSignals() { impl_->StopOnSignals(); }

void HttpServer::Run() { impl_->Run(); }

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace troupe::server
