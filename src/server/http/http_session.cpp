#include "server/http/http_session.h"

#include <atomic>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <deque>
#include <random>

#include "server/http/beast_request.h"
#include "server/http/router_internal.h"
#include "server/http/sse_stream_internal.h"

namespace troupe::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
// Request durations for the metrics and the log: a measurement, so the monotonic clock with its
// sub-millisecond resolution, not the Clock that decides when deadlines pass.
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// HTTP/1.1 chunked framing of one chunk: its size in hex, the bytes, CRLF after each.
std::string FrameChunk(const std::string& data) {
  return fmt::format("{:x}\r\n", data.size()) + data + "\r\n";
}

constexpr auto kRedirect = [](beast::error_code& error) {
  return net::redirect_error(net::use_awaitable, error);
};

// Methods outside this set are counted as "OTHER", so a client cannot grow the label space.
std::string MethodLabel(std::string_view method) {
  for (std::string_view known : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    if (method == known) return std::string(known);
  }
  return "OTHER";
}

// 64 random bits as hex: unique enough to find one request in the logs, and says nothing.
std::string NewRequestId() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t bits = generator();
  std::string id = "r-";
  for (int i = 0; i < 16; ++i, bits >>= 4) id += kHex[bits & 0xF];
  return id;
}

// A response to HEAD: what GET would say, without the body. An event stream is not started.
Response ForHead(Response response) {
  if (!response.event_stream) return response;
  response.event_stream->state()->Cancel("HEAD request");
  response.event_stream.reset();
  response.content_type = "text/event-stream";
  response.WithHeader("Cache-Control", "no-cache");
  return response;
}

// What a handler that threw answers: the client learns only that it failed and the request id;
// the log has what was thrown. Call from inside a catch block.
Response HandlerFailed(const Request& request) {
  std::string what = "a non-exception";
  try {
    throw;
  } catch (const std::exception& error) {
    what = error.what();
  } catch (...) {
  }
  spdlog::error("request {}: handler for {} {} threw: {}", request.request_id, request.method, request.route, what);
  return Response::Error(Internal("internal error (request " + request.request_id + ")"));
}

// Runs a plain handler; an exception becomes a logged 500.
Response CallHandler(const Route& route, Request& request) {
  try {
    return route.handler(request);
  } catch (...) {
    return HandlerFailed(request);
  }
}

// Runs a callable when the scope ends, including when a coroutine frame is destroyed.
template <typename F>
class ScopeExit {
 public:
  explicit ScopeExit(F f) : f_(std::move(f)) {}
  ~ScopeExit() { f_(); }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

 private:
  F f_;
};

}  // namespace

std::string FormatEndpoint(const net::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

Session::Session(const ServerContext& context, net::ip::tcp::socket socket,
                 std::function<void()> on_end)
    : context_(context),
      stream_(std::move(socket)),
      deadline_(*context.clock, stream_.get_executor()),
      wake_(*context.clock, stream_.get_executor()),
      on_end_(std::move(on_end)) {
  beast::error_code ignored;
  auto endpoint = stream_.socket().remote_endpoint(ignored);
  if (!ignored) remote_address_ = FormatEndpoint(endpoint);
}

void Session::Start() {
  auto self = shared_from_this();
  net::co_spawn(stream_.get_executor(), Serve(), [self](std::exception_ptr failure) {
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& error) {
        spdlog::error("http connection {} failed: {}", self->remote_address_, error.what());
      } catch (...) {
        spdlog::error("http connection {} failed", self->remote_address_);
      }
    }
    self->phase_ = Phase::kDone;
    beast::error_code ignored;
    self->stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    self->stream_.close();
    self->on_end_();
  });
}

void Session::OnServerStop() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    // Between requests: nothing is lost by closing. A request being handled is answered first.
    if (self->phase_ == Phase::kReading) self->stream_.cancel();
  });
}

void Session::OnGraceExpired() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->phase_ == Phase::kDone) return;
    if (self->active_stream_) self->active_stream_->state()->Cancel("server shutting down");
    self->stream_.close();
  });
}

net::awaitable<void> Session::Serve() {
  while (!stopping_) {
    phase_ = Phase::kReading;
    bool keep_alive = false;
    std::optional<Request> request = co_await ReadRequest(keep_alive);
    if (!request) break;

    phase_ = Phase::kHandling;
    const auto start = SteadyClock::now();
    context_.metrics.in_flight->Add(1);
    ScopeExit in_flight_guard([this] { context_.metrics.in_flight->Add(-1); });
    request->request_id = NewRequestId();
    const bool head = request->method == "HEAD";

    Response response = co_await Dispatch(*request);
    while (response.deferred) {
      std::shared_ptr<DeferredResponse> pending = std::move(response.deferred);
      response = co_await AwaitDeferred(*pending);
    }
    if (head) response = ForHead(std::move(response));
    response.WithHeader("X-Request-Id", request->request_id);
    const std::string route = request->route.empty() ? "unmatched" : request->route;
    if (response.status < 100 || response.status > 599) {
      spdlog::error("handler for {} {} returned HTTP status {}", request->method, route,
                    response.status);
      response = Response::Error(Internal("internal error"));
    }
    const int status = response.status;

    if (response.event_stream) {
      phase_ = Phase::kStreaming;
      SseStream stream = std::move(*response.event_stream);
      response.event_stream.reset();
      co_await WriteEventStream(std::move(stream), response);
      Record(*request, route, status, start);
      break;  // an event stream ends the connection
    }

    const bool keep = keep_alive && !stopping_;
    const bool written = co_await WriteResponse(std::move(response), keep, head);
    Record(*request, route, status, start);
    if (!written || !keep) break;
  }
}

net::awaitable<std::optional<Request>> Session::ReadRequest(bool& keep_alive) {
  BeastRequestParser parser;
  ApplyLimits(parser, context_.limits);
  beast::error_code error;

  StartDeadline(context_.options.request_timeout);
  co_await http::async_read_header(stream_, buffer_, parser, kRedirect(error));
  EndDeadline();
  if (timed_out_) error = beast::error::timeout;
  if (!error) {
    // Before anything of the body is read or acknowledged: a request whose framing is ambiguous
    // is refused and the connection closed, so no byte of it can be taken for the next request.
    if (std::optional<HttpError> faulty = CheckFraming(parser.get())) {
      HttpError framing_error = std::move(*faulty);
      co_await RejectAndClose(std::move(framing_error));
      co_return std::nullopt;
    }
  }
  if (!error && !parser.is_done()) {
    // One bound for the 100 Continue and the body: armed before the Continue goes out, so a client
    // that has read it knows the body's deadline is running.
    StartDeadline(context_.options.request_timeout);
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      co_await net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                                kRedirect(error));
      if (error && !timed_out_) {
        EndDeadline();
        co_return std::nullopt;
      }
    }
    // The deadline may pass before this coroutine learns its write is done: a timeout all the same.
    if (!timed_out_) co_await http::async_read(stream_, buffer_, parser, kRedirect(error));
    EndDeadline();
    if (timed_out_) error = beast::error::timeout;
  }

  if (error) {
    // A client that closed, or went quiet, between requests has done nothing wrong.
    const bool between_requests = !parser.got_some();
    if (error == http::error::end_of_stream || error == net::error::operation_aborted ||
        error == net::error::connection_reset || error == net::error::eof ||
        (between_requests && error == beast::error::timeout)) {
      co_return std::nullopt;
    }
    if (error == beast::error::timeout) {
      // The deadline closed the socket, so there is no one left to answer (nginx does the same);
      // the 408 goes to the log and the metrics only.
      Request unparsed;
      Record(unparsed, "invalid", 408, SteadyClock::now());
      co_return std::nullopt;
    }
    // Named, not a temporary in the co_await expression: g++ 12 can destroy such temporaries
    // twice.
    HttpError parse_error = ParseError(error, context_.limits);
    co_await RejectAndClose(std::move(parse_error));
    co_return std::nullopt;
  }
  keep_alive = parser.get().keep_alive();
  co_return ToRequest(parser.release(), remote_address_);
}

net::awaitable<Response> Session::Dispatch(Request& request) {
  Router::Match match = context_.router.Find(request.method, request.path);
  if (match.kind == Router::Match::Kind::kNotFound) {
    co_return Response::Error(NotFound("no route for " + request.path));
  }
  if (match.kind == Router::Match::Kind::kMethodNotAllowed) {
    Response response = Response::Error(HttpError::MethodNotAllowed(
        request.method + " is not allowed here; allowed: " + match.allow));
    response.WithHeader("Allow", match.allow);
    co_return response;
  }
  request.route = std::move(match.route_template);
  request.path_params = std::move(match.params);
  const Route& route = *match.route;
  if (route.blocking) co_return co_await RunBlocking(route, request);
  if (route.handler) co_return CallHandler(route, request);
  try {
    co_return co_await route.coroutine->function(request);
  } catch (...) {
    co_return HandlerFailed(request);
  }
}

net::awaitable<Response> Session::RunBlocking(const Route& route, Request& request) {
  // The task gets its own copy of the request and hands the response back by posting to this
  // connection's strand, where it cancels the timer this coroutine waits on; so the hand-over
  // needs no lock and cannot be missed. The route and the pool outlive the task (see
  // ServerContext), and the server stops the pool before the I/O context goes.
  auto executor = co_await net::this_coro::executor;
  auto done = std::make_shared<net::steady_timer>(executor, net::steady_timer::time_point::max());
  auto result = std::make_shared<std::optional<Response>>();
  auto copy = std::make_shared<Request>(request);
  const bool posted = context_.background->Post([&route, copy, done, result, executor] {
    Response response = CallHandler(route, *copy);
    net::post(executor, [done, result, response = std::move(response)]() mutable {
      *result = std::move(response);
      done->cancel();
    });
  });
  if (!posted) {
    Response busy = route.busy(Status(StatusCode::kResourceExhausted, "every worker is busy; retry in a few seconds"));
    busy.WithHeader("Retry-After", "2");
    co_return busy;
  }
  while (!result->has_value()) {
    beast::error_code ignored;
    co_await done->async_wait(kRedirect(ignored));
  }
  request.key_id = copy->key_id;  // for the access log
  co_return std::move(**result);
}

net::awaitable<Response> Session::AwaitDeferred(DeferredResponse& pending) {
  // As in RunBlocking: the completing thread posts to this connection's strand, which cancels the
  // timer this coroutine waits on.
  auto executor = co_await net::this_coro::executor;
  auto done = std::make_shared<net::steady_timer>(executor, net::steady_timer::time_point::max());
  auto ready = std::make_shared<std::atomic<bool>>(false);
  pending.OnReady([executor, done, ready] {
    net::post(executor, [done, ready] {
      ready->store(true);
      done->cancel();
    });
  });
  // When this wait ends early (the server is destroyed with it in flight), a completion that comes
  // later must not post to this connection's executor.
  ScopeExit abandon([&pending] { pending.Abandon(); });
  while (!ready->load()) {
    beast::error_code ignored;
    co_await done->async_wait(kRedirect(ignored));
  }
  std::optional<Response> response = pending.Take();
  if (!response) co_return Response::Error(Internal("the deferred response was taken twice"));
  co_return std::move(*response);
}

net::awaitable<bool> Session::WriteResponse(Response response, bool keep_alive, bool head_only) {
  http::response<http::string_body> message{static_cast<http::status>(response.status), 11};
  if (!response.content_type.empty()) {
    message.set(http::field::content_type, response.content_type);
  }
  for (const auto& [name, value] : response.headers) message.insert(name, value);
  message.body() = std::move(response.body);
  message.keep_alive(keep_alive);
  message.prepare_payload();

  beast::error_code error;
  StartDeadline(context_.options.request_timeout);
  if (head_only) {
    http::response_serializer<http::string_body> serializer{message};
    co_await http::async_write_header(stream_, serializer, kRedirect(error));
  } else {
    co_await http::async_write(stream_, message, kRedirect(error));
  }
  EndDeadline();
  co_return !error && !timed_out_;
}

net::awaitable<void> Session::RejectAndClose(HttpError error) {
  const auto start = SteadyClock::now();
  const int status = error.http_status;
  Response response = Response::Error(error);
  co_await WriteResponse(std::move(response), false);
  Request unparsed;
  Record(unparsed, "invalid", status, start);
  co_await LingeringClose();
}

net::awaitable<void> Session::LingeringClose() {
  // Closing with unread input makes the kernel send RST, which can destroy the error response
  // before the client reads it. Stop sending, drain briefly, then close.
  beast::error_code error;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, error);
  StartDeadline(std::min<milliseconds>(context_.options.request_timeout, std::chrono::seconds(2)));
  char discard[4096];
  size_t drained = 0;
  while (!error && !timed_out_ && drained < (1u << 20)) {
    drained += co_await stream_.async_read_some(net::buffer(discard), kRedirect(error));
  }
  EndDeadline();
}

void Session::StartDeadline(milliseconds limit) {
  timed_out_ = false;
  // `this` is safe: deadline_ is a member, and its destructor waits out a running on_fire.
  deadline_.Arm(limit, [this] {
    timed_out_ = true;
    // Closed, not cancelled (as Beast's own expiry does): a cancel that landed between two steps
    // of a composed read or write would let the next step wait forever.
    beast::error_code ignored;
    stream_.socket().close(ignored);
  });
}

void Session::EndDeadline() { deadline_.Cancel(); }

net::awaitable<bool> Session::WriteEventStreamHead(const Response& head) {
  http::response<http::empty_body> message{http::status::ok, 11};
  message.set(http::field::content_type, "text/event-stream");
  message.set(http::field::cache_control, "no-cache");
  message.set("X-Accel-Buffering", "no");  // tells nginx-style proxies not to buffer
  for (const auto& [name, value] : head.headers) message.insert(name, value);
  message.keep_alive(false);
  message.chunked(true);
  http::response_serializer<http::empty_body> serializer{message};

  beast::error_code error;
  StartDeadline(context_.options.request_timeout);
  co_await http::async_write_header(stream_, serializer, kRedirect(error));
  EndDeadline();
  co_return !error && !timed_out_;
}

net::awaitable<void> Session::WriteEventStream(SseStream stream, const Response& head) {
  const std::shared_ptr<SseStream::State>& state = stream.state();
  active_stream_ = stream;
  context_.metrics.sse_open->Add(1);
  ScopeExit cleanup([this, state] {
    state->Detach();
    active_stream_.reset();
    context_.metrics.sse_open->Add(-1);
  });

  if (!co_await WriteEventStreamHead(head)) {
    state->Cancel("client disconnected");
    co_return;
  }

  // Producers wake the writer through the strand; a weak pointer so a stream that outlives the
  // connection keeps nothing alive.
  auto executor = stream_.get_executor();
  std::weak_ptr<Session> weak_self = weak_from_this();
  state->Attach([executor, weak_self] {
    net::post(executor, [weak_self] {
      if (auto self = weak_self.lock()) self->wake_.Wake();
    });
  });

  // Reads run with no deadline from here on (each write has its own), and the only thing a read
  // can tell us is that the client went away.
  net::co_spawn(executor, WatchForDisconnect(shared_from_this(), stream), net::detached);

  std::deque<std::string> batch;
  std::string chunk;
  // Set by the heartbeat timer; the loop decides whether the stream was quiet for a whole period.
  bool heartbeat_rang = false;
  int64_t last_write_ms = context_.clock->NowMillis();
  const int64_t heartbeat_ms = context_.options.sse_heartbeat.count();
  // One timer per period, not one per event: it is armed for the period that starts with the last
  // write, and when it rings early (there were writes meanwhile) it is armed for what is left.
  auto arm_heartbeat = [&](int64_t delay_ms) {
    wake_.Arm(milliseconds(delay_ms), [this, &heartbeat_rang] {
      heartbeat_rang = true;
      wake_.Wake();
    });
  };
  arm_heartbeat(heartbeat_ms);
  ScopeExit stop_heartbeat([this] { wake_.Cancel(); });
  auto write = [&](const std::string& bytes) -> net::awaitable<bool> {
    last_write_ms = context_.clock->NowMillis();  // before the client can see the bytes
    co_return co_await WriteStreamBytes(bytes);
  };

  while (true) {
    const bool closed = state->TakePending(batch);
    if (state->cancelled.load()) break;
    if (!batch.empty()) {
      // Everything queued goes out in one chunk: one write, one flush.
      chunk.clear();
      for (const std::string& piece : batch) chunk += piece;
      batch.clear();
      if (!co_await write(FrameChunk(chunk))) {
        state->Cancel("client disconnected");
        break;
      }
      continue;
    }
    if (closed) {
      co_await WriteStreamBytes("0\r\n\r\n");  // the last chunk
      break;
    }
    if (heartbeat_rang) {
      heartbeat_rang = false;
      const int64_t quiet_ms = context_.clock->NowMillis() - last_write_ms;
      if (quiet_ms >= heartbeat_ms) {
        if (!co_await write(FrameChunk(FormatSseComment("heartbeat")))) {
          state->Cancel("client disconnected");
          break;
        }
        arm_heartbeat(heartbeat_ms);
      } else {
        arm_heartbeat(heartbeat_ms - quiet_ms);
      }
      continue;
    }
    co_await wake_.WaitForWake();
  }
  if (state->cancelled.load()) {
    spdlog::debug("event stream to {} cancelled: {}", remote_address_, stream.cancel_reason());
  }
}

net::awaitable<bool> Session::WriteStreamBytes(std::string_view bytes) {
  // Most writes fit the socket's buffer at once, and those need no deadline: arming and cancelling
  // a clock timer around each SSE event was about a tenth of the server's CPU under load. What the
  // socket does not take now is written asynchronously, bounded by the request timeout.
  beast::error_code error;
  auto& socket = stream_.socket();
  if (!socket.non_blocking()) socket.non_blocking(true, error);
  size_t written = 0;
  while (!error && written < bytes.size()) {
    written += socket.write_some(net::buffer(bytes.substr(written)), error);
  }
  if (written == bytes.size()) co_return true;
  if (error != net::error::would_block && error != net::error::try_again) co_return false;
  error.clear();
  StartDeadline(context_.options.request_timeout);
  co_await net::async_write(stream_, net::buffer(bytes.substr(written)), kRedirect(error));
  EndDeadline();
  co_return !error && !timed_out_;
}

net::awaitable<void> Session::WatchForDisconnect(std::shared_ptr<Session> self, SseStream stream) {
  char discard[512];
  beast::error_code error;
  while (!error) {
    // Anything the client sends now is ignored; the connection closes after the stream. No
    // deadline: a stream may be quiet for as long as its producer likes.
    co_await self->stream_.socket().async_read_some(net::buffer(discard), kRedirect(error));
  }
  // A no-op when the stream already ended (the state is detached by then).
  stream.state()->Cancel("client disconnected");
}

void Session::Record(const Request& request, const std::string& route, int status,
                     SteadyClock::time_point start) {
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  const std::string method = MethodLabel(request.method);
  context_.metrics.requests->Increment({route, method, std::to_string(status)});
  context_.metrics.duration->Observe(seconds, {route});
  const std::string id = request.request_id.empty() ? "-" : request.request_id;
  if (request.key_id.empty()) {
    spdlog::info("http {} {} {} {:.1f}ms {}", method, route, status, seconds * 1000, id);
  } else {
    spdlog::info("http {} {} {} {:.1f}ms {} key={}", method, route, status, seconds * 1000, id, request.key_id);
  }
}

}  // namespace troupe::server
