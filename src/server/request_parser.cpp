#include "server/request_parser.h"

#include <algorithm>
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including it

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "server/beast_request.h"

namespace troupe::server {

namespace http = boost::beast::http;

void ApplyLimits(BeastRequestParser& parser, const RequestLimits& limits) {
  parser.header_limit(limits.header_limit_bytes);
  parser.body_limit(static_cast<uint64_t>(std::max<int64_t>(limits.body_limit_bytes, 0)));
}

Request ToRequest(BeastRequest&& message, std::string remote_address) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.remote_address = std::move(remote_address);
  return request;
}

HttpError ParseError(const boost::beast::error_code& error, const RequestLimits& limits) {
  if (error == http::error::body_limit) {
    return HttpError::FromStatus(
        Status(StatusCode::kPayloadTooLarge,
               "request body exceeds the limit of " + std::to_string(limits.body_limit_bytes) +
                   " bytes"));
  }
  if (error == http::error::header_limit) {
    return HttpError::FromStatus(InvalidArgument(
        "request header exceeds the limit of " + std::to_string(limits.header_limit_bytes) +
        " bytes"));
  }
  return HttpError::FromStatus(InvalidArgument("malformed HTTP request: " + error.message()));
}

HttpResult<Request> ParseRequestBytes(std::string_view bytes, const RequestLimits& limits) {
  BeastRequestParser parser;
  ApplyLimits(parser, limits);
  parser.eager(true);
  boost::beast::error_code error;
  // put() may stop at a boundary (the end of the header, a chunk); feed it until it is done,
  // fails, or makes no progress.
  // The bytes are all there are: a body that runs to end of input ends now, anything else was
  // cut short. (put_eof requires that the parser saw something.)
  auto end_of_input = [&] {
    error = {};
    if (parser.got_some()) parser.put_eof(error);
    if (!error && !parser.is_done()) error = http::error::partial_message;
  };
  while (!parser.is_done()) {
    size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), error);
    bytes.remove_prefix(used);
    if (error == http::error::need_more || (!error && used == 0)) {
      end_of_input();
      break;
    }
    if (error) break;
  }
  if (error) return ParseError(error, limits);
  return ToRequest(parser.release(), "");
}

}  // namespace troupe::server
