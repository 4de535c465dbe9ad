// The route table entry, seen by the router and the server's dispatch code only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "server/http/coroutine_handler.h"
#include "server/http/router.h"

namespace troupe::server {

struct Route {
  struct Segment {
    std::string text;  // the literal, or the parameter's name
    bool is_parameter = false;
  };

  std::string method;
  std::string pattern;
  std::vector<Segment> segments;
  Router::Handler handler;                      // one of handler or coroutine is set
  std::unique_ptr<CoroutineHandler> coroutine;  // unique_ptr: keeps Asio out of router.h
  bool blocking = false;                        // `handler` runs on the handler pool
  std::function<Response(const Status&)> busy;  // with `blocking`: the answer when the pool is full
};

}  // namespace troupe::server
