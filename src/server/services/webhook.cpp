#include "server/services/webhook.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>
#include <mutex>

namespace troupe::server {
namespace {

using nlohmann::json;

constexpr size_t kMaxAnswerBytes = 4096;  // kept of a receiver's answer, for the error message
constexpr int kDeliveryAttempts = 5;

void InitCurlOnce() {
  // curl_global_init is not thread-safe in every libcurl; once per process is all it needs.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t KeepAnswer(char* data, size_t size, size_t count, void* user) {
  auto* answer = static_cast<std::string*>(user);
  const size_t bytes = size * count;
  if (answer->size() < kMaxAnswerBytes) answer->append(data, std::min(bytes, kMaxAnswerBytes - answer->size()));
  return bytes;
}

std::string Hex(const unsigned char* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xF];
  }
  return out;
}

}  // namespace

std::string WebhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append(".").append(body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &digest_size);
  return "sha256=" + Hex(digest, digest_size);
}

Result<store::Job> EnqueueWebhookEvent(store::Store& store, std::string_view type, json data) {
  store::NewJob job;
  job.kind = std::string(kWebhookJob);
  job.max_attempts = kDeliveryAttempts;
  job.payload_json = json{{"type", type}, {"created_at", SystemClock::Instance().NowMillis()}, {"data", std::move(data)}}
                         .dump(-1, ' ', false, json::error_handler_t::replace);
  return store.jobs().Enqueue(job);
}

Result<json> DeliverWebhookEvent(const store::Job& job, const WebhookOptions& options) {
  if (options.url.empty()) {
    return Status(StatusCode::kFailedPrecondition, "no webhook URL is configured", "chat.proactive_webhook_url");
  }
  json event = json::parse(job.payload_json, nullptr, false);
  if (!event.is_object() || !event.contains("type") || !event["type"].is_string()) {
    return Status(StatusCode::kInvalidArgument, "webhook job " + std::to_string(job.id) + " holds no event type",
                  "payload.type");
  }
  const std::string type = event["type"].get<std::string>();
  event["id"] = job.id;
  const std::string body = event.dump(-1, ' ', false, json::error_handler_t::replace);
  const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::Instance();
  const std::string timestamp = std::to_string(clock.NowMillis() / 1000);

  InitCurlOnce();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(), &curl_easy_cleanup);
  if (!handle) return Status(StatusCode::kInternal, "libcurl could not start a request");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, &curl_slist_free_all);
  auto add_header = [&headers](const std::string& line) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  };
  add_header("Content-Type: application/json");
  add_header("X-Troupe-Event: " + type);
  add_header("X-Troupe-Delivery: " + std::to_string(job.id));
  if (!options.secret.empty()) {
    add_header("X-Troupe-Timestamp: " + timestamp);
    add_header("X-Troupe-Signature: " + WebhookSignature(options.secret, timestamp, body));
  }
  add_header("Expect:");  // no 100-continue round trip for small bodies

  std::string answer;
  char detail[CURL_ERROR_SIZE] = {0};
  CURL* h = handle.get();
  curl_easy_setopt(h, CURLOPT_URL, options.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "troupe-webhook");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(std::max(1, options.timeout_seconds)));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, KeepAnswer);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
  const CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) {
    return Status(code == CURLE_OPERATION_TIMEDOUT ? StatusCode::kDeadlineExceeded : StatusCode::kUnavailable,
                  "webhook " + options.url + ": " + (detail[0] != 0 ? std::string(detail) : curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    return Status(StatusCode::kUnavailable, "webhook " + options.url + " answered " + std::to_string(status) +
                                                (answer.empty() ? std::string() : ": " + answer.substr(0, 200)));
  }
  return json{{"status", status}, {"event", type}};
}

}  // namespace troupe::server
