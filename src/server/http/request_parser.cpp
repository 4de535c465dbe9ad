#include "server/http/request_parser.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including it

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

#include "server/http/beast_request.h"

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

namespace {

std::string LowerTrimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

HttpError BadFraming(std::string message) { return HttpError::FromStatus(InvalidArgument(std::move(message))); }

// The transfer codings of every Transfer-Encoding field, in order, lower-cased; empty list
// elements are skipped as RFC 9110 §5.6.1 allows.
std::vector<std::string> TransferCodings(const BeastRequest& header) {
  std::vector<std::string> codings;
  for (const auto& field : header) {
    if (field.name() != http::field::transfer_encoding) continue;
    std::string_view value(field.value().data(), field.value().size());
    while (true) {
      const size_t comma = value.find(',');
      std::string coding = LowerTrimmed(value.substr(0, comma));
      if (!coding.empty()) codings.push_back(std::move(coding));
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  return codings;
}

}  // namespace

std::optional<HttpError> CheckFraming(const BeastRequest& header) {
  // Fields a request carries once: a second copy could make two readers (a proxy and us) disagree
  // about who is asking or what the body is.
  static constexpr std::string_view kSingle[] = {"host", "authorization", "x-troupe-user", "content-type",
                                                 "content-length"};
  for (std::string_view name : kSingle) {
    int seen = 0;
    for (const auto& field : header) {
      seen += boost::beast::iequals(field.name_string(), boost::beast::string_view(name.data(), name.size())) ? 1 : 0;
    }
    if (seen > 1) return BadFraming("the " + std::string(name) + " header is given " + std::to_string(seen) + " times; send it once");
  }
  bool has_transfer_encoding = false;
  bool has_content_length = false;
  for (const auto& field : header) {
    has_transfer_encoding = has_transfer_encoding || field.name() == http::field::transfer_encoding;
    has_content_length = has_content_length || field.name() == http::field::content_length;
  }
  if (!has_transfer_encoding) return std::nullopt;
  if (header.version() < 11) {
    return BadFraming("Transfer-Encoding is not allowed in an HTTP/1.0 request; send Content-Length");
  }
  if (has_content_length) {
    return BadFraming("a request may not carry both Transfer-Encoding and Content-Length");
  }
  const std::vector<std::string> codings = TransferCodings(header);
  if (codings.empty() || codings.back() != "chunked") {
    return BadFraming("the last transfer coding must be chunked, got '" +
                      Excerpt(codings.empty() ? std::string() : codings.back()) + "'");
  }
  for (size_t i = 0; i + 1 < codings.size(); ++i) {
    if (codings[i] == "chunked") return BadFraming("chunked may be applied only once, as the last transfer coding");
  }
  if (codings.size() > 1) {
    return HttpError::NotImplemented("transfer coding '" + Excerpt(codings.front()) +
                                     "' is not implemented; send the body with Transfer-Encoding: chunked alone");
  }
  return std::nullopt;
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
  bool framing_checked = false;
  while (!parser.is_done()) {
    size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), error);
    bytes.remove_prefix(used);
    if (!error && parser.is_header_done() && !framing_checked) {
      framing_checked = true;
      if (std::optional<HttpError> faulty = CheckFraming(parser.get())) return *faulty;
    }
    if (error == http::error::need_more || (!error && used == 0)) {
      end_of_input();
      break;
    }
    if (error) break;
  }
  if (error) return ParseError(error, limits);
  if (!framing_checked) {
    if (std::optional<HttpError> faulty = CheckFraming(parser.get())) return *faulty;
  }
  return ToRequest(parser.release(), "");
}

}  // namespace troupe::server
