#include "server/http/router.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "server/http/router_internal.h"

namespace troupe::server {
namespace {

[[noreturn]] void BadRoute(std::string_view pattern, std::string_view why) {
  std::fprintf(stderr, "troupe: invalid route '%.*s': %.*s\n", static_cast<int>(pattern.size()),
               pattern.data(), static_cast<int>(why.size()), why.data());
  std::abort();
}

// "/a/b/" -> {"a", "b", ""}; "/" -> {""}. The leading '/' is required by the caller.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

std::vector<Route::Segment> ParsePattern(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') BadRoute(pattern, "must start with '/'");
  std::vector<Route::Segment> segments;
  std::set<std::string, std::less<>> names;
  for (std::string_view part : SplitPath(pattern)) {
    bool opens = part.find('{') != std::string_view::npos;
    bool closes = part.find('}') != std::string_view::npos;
    if (!opens && !closes) {
      segments.push_back({std::string(part), false});
      continue;
    }
    if (part.size() < 3 || part.front() != '{' || part.back() != '}' ||
        part.substr(1, part.size() - 2).find_first_of("{}") != std::string_view::npos) {
      BadRoute(pattern, "a parameter must be a whole segment like {id}");
    }
    std::string name(part.substr(1, part.size() - 2));
    if (!names.insert(name).second) BadRoute(pattern, "repeated parameter name");
    segments.push_back({std::move(name), true});
  }
  return segments;
}

// Matches `parts` against `route`; on success fills `params` and returns a specificity key where
// larger is more specific (literal segments count from the left).
bool MatchRoute(const Route& route, const std::vector<std::string_view>& parts,
                std::map<std::string, std::string, std::less<>>& params,
                std::vector<int>& specificity) {
  if (route.segments.size() != parts.size()) return false;
  specificity.assign(parts.size(), 0);
  for (size_t i = 0; i < parts.size(); ++i) {
    const Route::Segment& segment = route.segments[i];
    if (segment.is_parameter) {
      // An empty segment ("/characters/") is no value for a parameter.
      if (parts[i].empty()) return false;
    } else {
      if (segment.text != parts[i]) return false;
      specificity[i] = 1;
    }
  }
  params.clear();
  for (size_t i = 0; i < parts.size(); ++i) {
    if (route.segments[i].is_parameter) {
      params.emplace(route.segments[i].text, PercentDecode(parts[i], false));
    }
  }
  return true;
}

}  // namespace

Router::Router() = default;
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

void Router::Add(std::string_view method, std::string_view pattern, Handler handler) {
  auto route = std::make_unique<Route>();
  route->method = std::string(method);
  route->pattern = std::string(pattern);
  route->handler = std::move(handler);
  AddRoute(std::move(route));
}

void Router::AddCoroutine(std::string_view method, std::string_view pattern,
                          CoroutineHandler handler) {
  auto route = std::make_unique<Route>();
  route->method = std::string(method);
  route->pattern = std::string(pattern);
  route->coroutine = std::make_unique<CoroutineHandler>(std::move(handler));
  AddRoute(std::move(route));
}

void Router::AddBlocking(std::string_view method, std::string_view pattern, Handler handler,
                         std::function<Response(const Status&)> busy) {
  auto route = std::make_unique<Route>();
  route->method = std::string(method);
  route->pattern = std::string(pattern);
  route->handler = std::move(handler);
  route->blocking = true;
  route->busy = busy ? std::move(busy) : [](const Status& status) { return Response::Error(status); };
  AddRoute(std::move(route));
}

void Router::AddRoute(std::unique_ptr<Route> route) {
  if (route->method.empty()) BadRoute(route->pattern, "empty method");
  if (Has(route->method, route->pattern)) BadRoute(route->pattern, "registered twice");
  if (!route->handler && !(route->coroutine && route->coroutine->function)) {
    BadRoute(route->pattern, "empty handler");
  }
  route->segments = ParsePattern(route->pattern);
  routes_.push_back(std::move(route));
}

void Router::SetFallback(Handler handler, std::vector<std::string> excluded_prefixes) {
  if (!handler) BadRoute("/{asset}", "empty fallback handler");
  fallback_ = std::make_unique<Route>();
  fallback_->method = "GET";
  fallback_->pattern = "/{asset}";
  fallback_->handler = std::move(handler);
  fallback_excluded_ = std::move(excluded_prefixes);
}

bool Router::Has(std::string_view method, std::string_view pattern) const {
  return std::any_of(routes_.begin(), routes_.end(), [&](const auto& route) {
    return route->method == method && route->pattern == pattern;
  });
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match match;
  if (path.empty() || path.front() != '/') return match;
  std::vector<std::string_view> parts = SplitPath(path);

  std::map<std::string, std::string, std::less<>> params;
  std::vector<int> specificity;
  std::vector<int> best_specificity;
  std::set<std::string> allowed;
  // HEAD is answered by the GET route unless a HEAD route matches as well.
  auto serves = [method](const Route& route) { return route.method == method || (method == "HEAD" && route.method == "GET"); };
  for (const auto& route : routes_) {
    if (!MatchRoute(*route, parts, params, specificity)) continue;
    if (!serves(*route)) {
      allowed.insert(route->method);
      if (route->method == "GET") allowed.insert("HEAD");
      continue;
    }
    // At the same specificity a route for the method itself beats GET standing in for HEAD.
    const bool better = match.route == nullptr || specificity > best_specificity ||
                        (specificity == best_specificity && route->method == method && match.route->method != method);
    if (better) {
      match.kind = Match::Kind::kFound;
      match.route = route.get();
      match.route_template = route->pattern;
      match.params = params;
      best_specificity = specificity;
    }
  }
  if (match.route == nullptr && allowed.empty() && fallback_ && (method == "GET" || method == "HEAD") &&
      std::none_of(fallback_excluded_.begin(), fallback_excluded_.end(),
                   [path](const std::string& prefix) { return path.substr(0, prefix.size()) == prefix; })) {
    match.kind = Match::Kind::kFound;
    match.route = fallback_.get();
    match.route_template = fallback_->pattern;
    match.params = {{"asset", PercentDecode(path, false)}};
    return match;
  }
  if (match.route == nullptr && !allowed.empty()) {
    match.kind = Match::Kind::kMethodNotAllowed;
    for (const std::string& name : allowed) {
      if (!match.allow.empty()) match.allow += ", ";
      match.allow += name;
    }
  }
  return match;
}

}  // namespace troupe::server
