// The limits the server reads requests with, and a byte-level entry point to the same parsing
// (used by the fuzz target and tests; the server parses straight from the socket).
#pragma once

#include <cstdint>
#include <string_view>

#include "server/http_message.h"

namespace troupe::server {

struct RequestLimits {
  int64_t body_limit_bytes = 8 * 1024 * 1024;
  uint32_t header_limit_bytes = 16 * 1024;  // request line plus all headers
};

// Parses one complete request from `bytes`.
//   400 invalid_argument for malformed HTTP, an oversized header block, or bytes that end before
//       the request does;
//   413 payload_too_large when the body exceeds the limit.
HttpResult<Request> ParseRequestBytes(std::string_view bytes, const RequestLimits& limits);

}  // namespace troupe::server
