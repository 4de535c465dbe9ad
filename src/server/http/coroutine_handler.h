// Coroutine handlers: for handlers that await I/O (a database pool, an upstream HTTP provider)
// without holding an I/O thread. Including this header brings in Asio's awaitable (not Beast).
#pragma once

#include <utility>  // Boost 1.74 Asio uses std::exchange without including <utility>.

#include <boost/asio/awaitable.hpp>
#include <functional>

#include "server/http/http_message.h"
#include "server/http/router.h"

namespace troupe::server {

struct CoroutineHandler {
  // Runs on the connection's strand; `request` stays valid until the coroutine completes.
  std::function<boost::asio::awaitable<Response>(Request&)> function;
};

}  // namespace troupe::server
