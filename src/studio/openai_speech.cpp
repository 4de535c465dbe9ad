// One blocking libcurl transfer per synthesis, with the tools' address rules
// (chat::tools::IsPrivateAddress) and a check of what came back.
#include "studio/openai_speech.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>

#include "chat/tools/tool_runner.h"
#include "studio/audio_probe.h"

namespace troupe::studio {
namespace {

struct SpeechCurlDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SpeechHeadersDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct SpeechUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

// The state libcurl's callbacks share with Synthesize.
struct SpeechTransfer {
  bool allow_private = false;
  size_t max_bytes = 0;
  const std::atomic<bool>* cancelled = nullptr;
  std::string body;
  bool too_large = false;
  std::string refused;  // why a connection was refused
};

size_t SpeechTakeBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<SpeechTransfer*>(user);
  const size_t bytes = size * count;
  if (transfer->body.size() + bytes > transfer->max_bytes) {
    transfer->too_large = true;
    return 0;  // ends the transfer
  }
  transfer->body.append(data, bytes);
  return bytes;
}

int SpeechProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* transfer = static_cast<SpeechTransfer*>(user);
  return transfer->cancelled != nullptr && transfer->cancelled->load() ? 1 : 0;  // nonzero aborts
}

// The address about to be connected to is the one checked, whatever the name resolved to before.
curl_socket_t SpeechOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* transfer = static_cast<SpeechTransfer*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && !transfer->allow_private && chat::tools::IsPrivateAddress(&address->addr)) {
    char text[INET6_ADDRSTRLEN] = "?";
    const void* ip = address->family == AF_INET6
                         ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&address->addr)->sin6_addr)
                         : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&address->addr)->sin_addr);
    inet_ntop(address->family, ip, text, sizeof text);
    transfer->refused = std::string("base_url: the speech endpoint is at ") + text +
                        ", a private or local address (allow it with allow_private)";
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

// The host of an http(s) URL without a user name, lowercased.
Result<std::string> SpeechUrlHost(const std::string& url) {
  std::unique_ptr<CURLU, SpeechUrlDeleter> parsed(curl_url());
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return InvalidArgument("base_url: '" + Excerpt(url, 80) + "' is not a URL", "base_url");
  }
  char* part = nullptr;
  if (curl_url_get(parsed.get(), CURLUPART_SCHEME, &part, 0) != CURLUE_OK) {
    return InvalidArgument("base_url: the URL has no scheme", "base_url");
  }
  const std::string scheme = part;
  curl_free(part);
  if (scheme != "http" && scheme != "https") return InvalidArgument("base_url: only http and https are used", "base_url");
  if (curl_url_get(parsed.get(), CURLUPART_USER, &part, 0) == CURLUE_OK) {
    curl_free(part);
    return InvalidArgument("base_url: a URL with a user name is not used; give the key as api_key", "base_url");
  }
  if (curl_url_get(parsed.get(), CURLUPART_HOST, &part, 0) != CURLUE_OK || part == nullptr) {
    return InvalidArgument("base_url: the URL has no host", "base_url");
  }
  std::string host = part;
  curl_free(part);
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

// The message of an OpenAI error body ({"error": {"message": ...}}), else the start of the body.
std::string SpeechErrorMessage(std::string_view body) {
  const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.contains("error")) {
    const nlohmann::json& error = parsed["error"];
    if (error.is_object() && error.contains("message") && error["message"].is_string()) {
      return Excerpt(error["message"].get<std::string>(), 200);
    }
    if (error.is_string()) return Excerpt(error.get<std::string>(), 200);
  }
  return Excerpt(body, 200);
}

Status SpeechTransferFailure(CURLcode code, const SpeechTransfer& transfer, const std::string& host, int64_t timeout_ms) {
  if (!transfer.refused.empty()) return Status(StatusCode::kPermissionDenied, transfer.refused, "base_url");
  if (transfer.too_large) {
    return Status(StatusCode::kPayloadTooLarge,
                  "the speech endpoint's answer is larger than " + std::to_string(transfer.max_bytes) + " bytes");
  }
  if (code == CURLE_ABORTED_BY_CALLBACK) return Unavailable("speech synthesis was cancelled");
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return Status(StatusCode::kDeadlineExceeded,
                  "the speech endpoint at " + host + " did not answer within " + std::to_string(timeout_ms) + " ms");
  }
  return Unavailable("cannot reach the speech endpoint at " + host + ": " + curl_easy_strerror(code));
}

}  // namespace

Result<std::unique_ptr<OpenAiSpeech>> OpenAiSpeech::Create(OpenAiSpeechOptions options) {
  TROUPE_ASSIGN_OR_RETURN(std::string host, SpeechUrlHost(options.base_url));
  if (options.timeout_ms <= 0) return InvalidArgument("timeout_ms: must be positive", "timeout_ms");
  std::vector<std::string> allowed;
  for (std::string name : options.allowed_hosts) {
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!name.empty()) allowed.push_back(name);
  }
  if (allowed.empty()) allowed.push_back(host);
  if (std::find(allowed.begin(), allowed.end(), host) == allowed.end()) {
    return Status(StatusCode::kPermissionDenied, "base_url: the host '" + host + "' is not among the allowed hosts",
                  "base_url");
  }
  options.allowed_hosts = std::move(allowed);
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  return std::unique_ptr<OpenAiSpeech>(new OpenAiSpeech(std::move(options), std::move(host)));
}

OpenAiSpeech::OpenAiSpeech(OpenAiSpeechOptions options, std::string host)
    : options_(std::move(options)), host_(std::move(host)) {}

std::string SpeechRequestBody(const OpenAiSpeechOptions& options, const SpeechRequest& request) {
  const nlohmann::json body = {
      {"model", options.model},
      {"input", request.text},
      {"voice", request.voice.empty() ? options.default_voice : request.voice},
      {"response_format", AudioFormatName(request.format)},
      {"speed", static_cast<double>(request.words_per_minute) / kNormalWordsPerMinute},
  };
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<SpeechAudio> ReadSpeechResponse(int http_status, std::string_view body, AudioFormat format) {
  if (http_status >= 300 && http_status < 400) {
    return Status(StatusCode::kPermissionDenied, "the speech endpoint answered with a redirect, which is not followed",
                  "base_url");
  }
  if (http_status == 429 || http_status >= 500 || http_status < 200) {
    return Unavailable("the speech endpoint answered " + std::to_string(http_status) + ": " + SpeechErrorMessage(body));
  }
  if (http_status >= 400) {
    return FailedPrecondition("the speech endpoint refused the request (" + std::to_string(http_status) +
                              "): " + SpeechErrorMessage(body));
  }
  Result<AudioProbe> probe = ProbeAudio(body, format);
  if (!probe.ok()) {
    return Unavailable("the speech endpoint's answer is not " + std::string(AudioFormatName(format)) +
                       " audio: " + probe.status().message());
  }
  SpeechAudio audio;
  audio.bytes = std::string(body);
  audio.format = format;
  audio.mime_type = std::string(AudioMimeType(format));
  audio.duration_ms = probe->duration_ms;
  audio.sample_rate = probe->sample_rate;
  return audio;
}

Result<SpeechAudio> OpenAiSpeech::Synthesize(const SpeechRequest& request) {
  TROUPE_RETURN_IF_ERROR(CheckSpeechRequest(request));
  static std::once_flag once;
  // curl_global_init is not thread-safe in every libcurl; once per process is all it needs.
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, SpeechCurlDeleter> easy(curl_easy_init());
  if (!easy) return Internal("libcurl cannot start a transfer");

  const std::string url = options_.base_url + "/audio/speech";
  const std::string body = SpeechRequestBody(options_, request);
  std::unique_ptr<curl_slist, SpeechHeadersDeleter> headers(curl_slist_append(nullptr, "Content-Type: application/json"));
  if (!options_.api_key.empty()) {
    headers.reset(curl_slist_append(headers.release(), ("Authorization: Bearer " + options_.api_key).c_str()));
  }
  SpeechTransfer transfer;
  transfer.allow_private = options_.allow_private;
  transfer.max_bytes = options_.max_response_bytes;
  transfer.cancelled = request.cancelled;

  CURL* handle = easy.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_POST, 1L);
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_NOPROXY, "*");  // a proxy would be the address checked, not the endpoint
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &SpeechTakeBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, &SpeechProgress);
  curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, &SpeechOpenSocket);
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "troupe-studio");

  const CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) return SpeechTransferFailure(code, transfer, host_, options_.timeout_ms);
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  return ReadSpeechResponse(static_cast<int>(status), transfer.body, request.format);
}

}  // namespace troupe::studio
