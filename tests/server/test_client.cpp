#include "server/test_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <utility>  // Boost 1.74 Asio uses std::exchange without including <utility>.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace troupe::server::testing {

std::vector<StreamEvent> ParseStreamEvents(const std::string& body) {
  std::vector<StreamEvent> events;
  StreamEvent current;
  std::string data;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    const std::string line = body.substr(start, end - start);
    start = end + 1;
    if (line.empty()) {
      if (!current.type.empty()) {
        current.data = nlohmann::json::parse(data, nullptr, false);
        events.push_back(current);
      }
      current = {};
      data.clear();
    } else if (line.rfind("event: ", 0) == 0) {
      current.type = line.substr(7);
    } else if (line.rfind("data: ", 0) == 0) {
      data += line.substr(6);
    }
  }
  return events;
}

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using net::ip::tcp;

namespace {
beast::string_view View(std::string_view text) { return {text.data(), text.size()}; }
}  // namespace

std::string ClientResponse::Header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? std::string() : it->second;
}

nlohmann::json ClientResponse::Json() const {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json("not json: " + body) : parsed;
}

struct TestClient::Impl {
  net::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> stream_parser;
  std::string stream_body;

  static ClientResponse Convert(const http::response<http::string_body>& message) {
    ClientResponse response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      response.headers[name] = std::string(field.value());
    }
    response.body = message.body();
    return response;
  }
};

TestClient::TestClient(uint16_t port, std::chrono::milliseconds read_timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  timeval timeout{};
  timeout.tv_sec = read_timeout.count() / 1000;
  timeout.tv_usec = (read_timeout.count() % 1000) * 1000;
  setsockopt(impl_->socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

TestClient::~TestClient() = default;

ClientResponse TestClient::Send(std::string_view method, std::string_view target,
                                std::string_view body,
                                std::vector<std::pair<std::string, std::string>> headers) {
  http::request<http::string_body> request{http::string_to_verb(View(method)), View(target), 11};
  request.method_string(View(method));
  request.set(http::field::host, "127.0.0.1");
  for (auto& [name, value] : headers) request.set(name, value);
  request.body() = std::string(body);
  request.prepare_payload();
  http::write(impl_->socket, request);
  return ReadResponse();
}

ClientResponse TestClient::PostJson(std::string_view target, std::string_view json) {
  return Send("POST", target, json, {{"Content-Type", "application/json"}});
}

void TestClient::SendRaw(std::string_view bytes) {
  net::write(impl_->socket, net::buffer(bytes.data(), bytes.size()));
}

ClientResponse TestClient::ReadResponse() {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  beast::error_code error;
  http::read_header(impl_->socket, impl_->buffer, parser, error);
  // An event stream never ends by itself: its status and headers are the answer.
  if (!error && parser.get()[http::field::content_type].starts_with("text/event-stream")) {
    return Impl::Convert(parser.get());
  }
  if (!error) http::read(impl_->socket, impl_->buffer, parser, error);
  if (error) {
    ClientResponse failed;
    failed.status = -1;
    failed.body = "read failed: " + error.message();
    return failed;
  }
  return Impl::Convert(parser.get());
}

std::string TestClient::ReadUntilClosed() {
  std::string all(static_cast<const char*>(impl_->buffer.data().data()), impl_->buffer.size());
  impl_->buffer.consume(impl_->buffer.size());
  char chunk[4096];
  while (true) {
    beast::error_code error;
    size_t n = impl_->socket.read_some(net::buffer(chunk), error);
    all.append(chunk, n);
    if (error) break;
  }
  return all;
}

bool TestClient::ServerClosed() {
  char byte;
  beast::error_code error;
  impl_->socket.read_some(net::buffer(&byte, 1), error);
  return error == net::error::eof || error == net::error::connection_reset;
}

ClientResponse TestClient::StartStream(std::string_view target,
                                       std::vector<std::pair<std::string, std::string>> headers) {
  return StartStream("GET", target, {}, std::move(headers));
}

ClientResponse TestClient::StartStream(std::string_view method, std::string_view target, std::string_view body,
                                       std::vector<std::pair<std::string, std::string>> headers) {
  http::request<http::string_body> request{http::string_to_verb(View(method)), View(target), 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::accept, "text/event-stream");
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty() || method != "GET") {
    request.body() = std::string(body);
    request.prepare_payload();
  }
  http::write(impl_->socket, request);
  impl_->stream_parser.emplace();
  impl_->stream_parser->body_limit(64 * 1024 * 1024);
  impl_->stream_body.clear();
  beast::error_code error;
  http::read_header(impl_->socket, impl_->buffer, *impl_->stream_parser, error);
  if (error) {
    ClientResponse failed;
    failed.status = -1;
    failed.body = "read failed: " + error.message();
    return failed;
  }
  return Impl::Convert(impl_->stream_parser->get());
}

std::string TestClient::ReadEvents(size_t count) {
  auto events = [&] {
    size_t found = 0;
    for (size_t at = impl_->stream_parser->get().body().find("\n\n"); at != std::string::npos;
         at = impl_->stream_parser->get().body().find("\n\n", at + 2)) {
      ++found;
    }
    return found;
  };
  while (events() < count && !impl_->stream_parser->is_done()) {
    beast::error_code error;
    http::read_some(impl_->socket, impl_->buffer, *impl_->stream_parser, error);
    if (error) break;
  }
  impl_->stream_body = impl_->stream_parser->get().body();
  return impl_->stream_body;
}

bool TestClient::ReadStreamToEnd() {
  while (!impl_->stream_parser->is_done()) {
    beast::error_code error;
    http::read_some(impl_->socket, impl_->buffer, *impl_->stream_parser, error);
    if (error) break;
  }
  impl_->stream_body = impl_->stream_parser->get().body();
  return impl_->stream_parser->is_done();
}

const std::string& TestClient::stream_body() const { return impl_->stream_body; }

void TestClient::Close() {
  beast::error_code ignored;
  impl_->socket.shutdown(tcp::socket::shutdown_both, ignored);
  impl_->socket.close(ignored);
}

}  // namespace troupe::server::testing
