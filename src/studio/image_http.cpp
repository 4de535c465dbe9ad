// Blocking libcurl calls for the remote image providers (image_http_internal.h).
#include <arpa/inet.h>
#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "chat/tools/tool_runner.h"
#include "llm/openai_response.h"
#include "studio/image_http_internal.h"

namespace troupe::studio {
namespace {

struct ImageTransfer {
  const ImageHttpCall* call = nullptr;
  const std::atomic<bool>* cancelled = nullptr;
  std::string body;
  bool too_large = false;
  std::string refused;  // why the connection was refused, when it was
};

size_t TakeImageBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<ImageTransfer*>(user);
  const size_t bytes = size * count;
  if (transfer->body.size() + bytes > transfer->call->max_response_bytes) {
    transfer->too_large = true;
    return 0;  // ends the transfer
  }
  transfer->body.append(data, bytes);
  return bytes;
}

// The address about to be connected to is the one checked, whatever the name resolved to before.
curl_socket_t OpenImageSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* transfer = static_cast<ImageTransfer*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && transfer->call->refuse_private_addresses &&
      chat::tools::IsPrivateAddress(&address->addr)) {
    char text[INET6_ADDRSTRLEN] = "?";
    const void* ip = address->family == AF_INET6
                         ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&address->addr)->sin6_addr)
                         : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&address->addr)->sin_addr);
    inet_ntop(address->family, ip, text, sizeof text);
    transfer->refused = std::string("the image URL leads to ") + text +
                        ", a private or local address images are not fetched from (allow_private_image_hosts)";
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

int ImageProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* transfer = static_cast<ImageTransfer*>(user);
  return transfer->cancelled->load() ? 1 : 0;  // non-zero aborts the transfer
}

using ImageCurlEasy = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using ImageCurlHeaders = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;
using ImageCurlUrl = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

Status StatusOfImageTransfer(CURLcode code, const ImageTransfer& transfer) {
  const std::string& service = transfer.call->service;
  if (!transfer.refused.empty()) return Status(StatusCode::kPermissionDenied, transfer.refused, "url");
  if (transfer.too_large) {
    return Status(StatusCode::kPayloadTooLarge, service + " sent more than " +
                                                    std::to_string(transfer.call->max_response_bytes) + " bytes");
  }
  if (code == CURLE_ABORTED_BY_CALLBACK) return Unavailable(service + ": the request was cancelled");
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return Status(StatusCode::kDeadlineExceeded, service + " did not answer within " +
                                                     std::to_string(transfer.call->timeout_ms) + " ms");
  }
  return Unavailable(service + " cannot be reached: " + curl_easy_strerror(code));
}

}  // namespace

Result<ImageHttpAnswer> PerformImageHttp(const ImageHttpCall& call, const std::atomic<bool>& cancelled) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (cancelled.load()) return Unavailable(call.service + ": the request was cancelled");
  ImageCurlEasy easy(curl_easy_init(), &curl_easy_cleanup);
  ImageCurlHeaders headers(nullptr, &curl_slist_free_all);
  if (!easy) return Internal("libcurl cannot start a transfer");
  for (const std::string& header : call.headers) {
    curl_slist* appended = curl_slist_append(headers.get(), header.c_str());
    if (appended == nullptr) return Internal("libcurl cannot hold the request's headers");
    headers.release();
    headers.reset(appended);
  }
  ImageTransfer transfer{&call, &cancelled, {}, false, {}};
  CURL* handle = easy.get();
  curl_easy_setopt(handle, CURLOPT_URL, call.url.c_str());
  if (call.method == "POST") {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, call.body.c_str());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  }
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_NOPROXY, "*");  // a proxy would be the address checked, not the host
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(call.timeout_ms));
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &TakeImageBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, &OpenImageSocket);
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, &ImageProgress);
  curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "troupe-studio");
  const CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) return StatusOfImageTransfer(code, transfer);
  ImageHttpAnswer answer;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &answer.status);
  answer.body = std::move(transfer.body);
  return answer;
}

Status StatusOfImageAnswer(const ImageHttpAnswer& answer, const std::string& service) {
  if (answer.status >= 200 && answer.status < 300) return Status::Ok();
  std::string said;
  const nlohmann::json body = nlohmann::json::parse(answer.body, nullptr, false);
  if (body.is_object()) {
    const auto text_of = [](const nlohmann::json& object, const char* key) -> std::string {
      const auto found = object.find(key);
      return found != object.end() && found->is_string() ? found->get<std::string>() : "";
    };
    const auto error = body.find("error");
    if (error != body.end() && error->is_object()) said = text_of(*error, "message");
    for (const char* key : {"error", "detail", "message"}) {
      if (said.empty()) said = text_of(body, key);
    }
  }
  if (said.empty()) said = answer.body;
  std::string message = service + " answered HTTP " + std::to_string(answer.status);
  if (!said.empty()) message += ": " + Excerpt(said, 200);
  return Status(llm::CodeForHttp(answer.status), message);
}

Result<std::string> CheckImageUrl(const std::string& url, const std::vector<std::string>& allowed_hosts,
                                  const std::string& field) {
  ImageCurlUrl parsed(curl_url(), &curl_url_cleanup);
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return InvalidArgument("the image URL '" + Excerpt(url, 80) + "' is not a valid URL", field);
  }
  char* part = nullptr;
  std::string scheme;
  if (curl_url_get(parsed.get(), CURLUPART_SCHEME, &part, 0) == CURLUE_OK) {
    scheme = part;
    curl_free(part);
  }
  if (scheme != "http" && scheme != "https") {
    return Status(StatusCode::kPermissionDenied, "only http and https image URLs are fetched (got '" + Excerpt(url, 80) + "')",
                  field);
  }
  if (curl_url_get(parsed.get(), CURLUPART_USER, &part, 0) == CURLUE_OK) {
    curl_free(part);
    return Status(StatusCode::kPermissionDenied, "image URLs with a user name are not fetched", field);
  }
  if (curl_url_get(parsed.get(), CURLUPART_HOST, &part, 0) != CURLUE_OK || part == nullptr) {
    return InvalidArgument("the image URL has no host", field);
  }
  std::string host = part;
  curl_free(part);
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (std::find(allowed_hosts.begin(), allowed_hosts.end(), host) == allowed_hosts.end()) {
    return Status(StatusCode::kPermissionDenied,
                  "the image URL's host '" + Excerpt(host, 80) + "' is not among the allowed image hosts (image_hosts)", field);
  }
  return host;
}

std::string JoinImageUrl(const std::string& base_url, const std::string& path) {
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + path;
}

}  // namespace troupe::studio
