// The limits the server reads requests with, and a byte-level entry point to the same parsing
// (used by the fuzz target and tests; the server parses straight from the socket).
#pragma once

#include <cstdint>
#include <string_view>

#include "server/http/http_message.h"

namespace troupe::server {

struct RequestLimits {
  int64_t body_limit_bytes = 8 * 1024 * 1024;
  uint32_t header_limit_bytes = 16 * 1024;  // request line plus all headers
};

// Parses one complete request from `bytes`.
//   400 invalid_argument for malformed HTTP, an oversized header block, or bytes that end before
//       the request does; for framing that could be read two ways (RFC 9112 §6): a
//       Transfer-Encoding whose last coding is not "chunked" or that names chunked twice,
//       Transfer-Encoding together with Content-Length, Transfer-Encoding in an HTTP/1.0 request;
//       and for a repeated Host, Authorization, X-Troupe-User, Content-Type or Content-Length;
//   501 not_implemented for a transfer coding other than chunked before the final chunked
//       ("gzip, chunked"): the server decodes none;
//   413 payload_too_large when the body exceeds the limit.
// The server answers the same errors on a socket and then closes the connection.
HttpResult<Request> ParseRequestBytes(std::string_view bytes, const RequestLimits& limits);

}  // namespace troupe::server
