// Glue between Beast's request type and ours; private to src/server (includes Beast).
#pragma once

#include <utility>  // Boost 1.74 Asio uses std::exchange without including <utility>.

#include <optional>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/http/http_message.h"
#include "server/http/request_parser.h"

namespace troupe::server {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastRequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

void ApplyLimits(BeastRequestParser& parser, const RequestLimits& limits);
// Moves a parsed Beast request into our Request.
Request ToRequest(BeastRequest&& message, std::string remote_address);
// The client-facing error for a failed parse (400, or 413 for body_limit).
HttpError ParseError(const boost::beast::error_code& error, const RequestLimits& limits);
// Checks a request's header for framing a server must refuse (RFC 9112 §6): see
// ParseRequestBytes. nullopt when the request may be read.
std::optional<HttpError> CheckFraming(const BeastRequest& header);

}  // namespace troupe::server
