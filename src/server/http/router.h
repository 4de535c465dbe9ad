// Maps a method and a path to a handler. Patterns are literal segments and whole-segment
// parameters: "/api/v1/characters/{id}/messages". A literal segment beats a parameter where both
// match. The matched pattern (the route template) labels metrics and logs, so label cardinality is
// bounded by the route table, not by what clients send.
//
// Handlers registered with Add run on an I/O thread and must never wait (the server's own /healthz,
// /metrics, static files); AddBlocking, which every API route uses, runs a handler on the server's
// handler pool instead. Handlers may throw: the server turns any exception into a 500 JSON
// error, and nothing escapes. A GET route also answers HEAD (the same status and headers, no
// body) unless a HEAD route is registered for the same pattern.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/http/http_message.h"

namespace troupe::server {

struct CoroutineHandler;  // server/http/coroutine_handler.h (the only header that brings in Asio)
struct Route;             // server/http/router_internal.h

class Router {
 public:
  // A plain handler: gets the request (route and path parameters filled in), returns the response.
  using Handler = std::function<Response(Request&)>;

  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // Registers a handler. A malformed pattern (not starting with '/', a '{' that is not a whole
  // segment, a repeated parameter name) or a duplicate method+pattern is a programming error:
  // it aborts at startup with a message.
  void Add(std::string_view method, std::string_view pattern, Handler handler);
  // Registers a coroutine handler (include server/http/coroutine_handler.h to build one).
  void AddCoroutine(std::string_view method, std::string_view pattern, CoroutineHandler handler);
  // Registers a handler that runs on the server's handler pool, with its own copy of the
  // request, while the connection waits without holding an I/O thread. When the pool's queue is
  // full the client gets `busy(status)` for a kResourceExhausted status instead (with
  // Retry-After), so a route can answer in its own error shape.
  void AddBlocking(std::string_view method, std::string_view pattern, Handler handler,
                   std::function<Response(const Status&)> busy);

  // Answers GET requests for paths no route matches, except paths under one of
  // `excluded_prefixes` (which stay 404): the web UI's pages and assets. Its route template, for
  // metrics and logs, is "/{asset}".
  void SetFallback(Handler handler, std::vector<std::string> excluded_prefixes);

  // Whether some handler is registered for exactly this method and pattern.
  bool Has(std::string_view method, std::string_view pattern) const;

  struct Match {
    enum class Kind { kFound, kNotFound, kMethodNotAllowed };
    Kind kind = Kind::kNotFound;
    const Route* route = nullptr;  // set when kFound; owned by the router
    std::string route_template;    // set when kFound
    std::map<std::string, std::string, std::less<>> params;  // decoded; set when kFound
    std::string allow;  // "GET, POST" when kMethodNotAllowed
  };
  // Finds the handler for `method` on `path` (no query string; percent-encoded as received).
  // kNotFound when no pattern matches the path, kMethodNotAllowed when some do but none for
  // this method.
  Match Find(std::string_view method, std::string_view path) const;

 private:
  void AddRoute(std::unique_ptr<Route> route);

  std::vector<std::unique_ptr<Route>> routes_;
  std::unique_ptr<Route> fallback_;
  std::vector<std::string> fallback_excluded_;
};

}  // namespace troupe::server
