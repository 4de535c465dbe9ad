#include "llm/openai_response.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include "base/text.h"

namespace troupe::llm {
namespace {

using std::chrono::milliseconds;

std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void OpenAiResponse::TakeHeaderLine(std::string_view line) {
  if (line.size() >= 5 && Lowercase(line.substr(0, 5)) == "http/") {
    content_type.clear();
    retry_after.clear();
    retry_after_ms.clear();
    return;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return;
  const std::string name = Lowercase(line.substr(0, colon));
  std::string value(TrimSpace(line.substr(colon + 1)));
  if (name == "content-type") content_type = Lowercase(value);
  if (name == "retry-after") retry_after = value;
  if (name == "retry-after-ms") retry_after_ms = value;
}

bool IsRetryableHttp(long status) { return status == 408 || status == 409 || status == 429 || status >= 500; }

StatusCode CodeForHttp(long status) {
  switch (status) {
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 408:
      return StatusCode::kDeadlineExceeded;
    case 413:
      return StatusCode::kPayloadTooLarge;
    case 429:
      return StatusCode::kResourceExhausted;
    case 409:
      return StatusCode::kUnavailable;
    default:
      return status >= 500 ? StatusCode::kUnavailable : StatusCode::kInvalidArgument;
  }
}

bool IsRetryableCurl(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_LOGIN_DENIED:
      return false;
    default:
      return true;
  }
}

std::optional<milliseconds> RetryAfter(const OpenAiResponse& response) {
  const auto parse_number = [](const std::string& text) -> std::optional<double> {
    if (text.empty()) return std::nullopt;
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(value) || value < 0 || value > 86400.0 * 1000) {
      return std::nullopt;
    }
    return value;
  };
  if (std::optional<double> ms = parse_number(response.retry_after_ms)) return milliseconds(static_cast<int64_t>(*ms));
  if (std::optional<double> seconds = parse_number(response.retry_after)) {
    return milliseconds(static_cast<int64_t>(*seconds * 1000));
  }
  if (!response.retry_after.empty()) {
    const time_t when = curl_getdate(response.retry_after.c_str(), nullptr);
    if (when > 0) return milliseconds(std::max<int64_t>(0, static_cast<int64_t>(when - std::time(nullptr))) * 1000);
  }
  return std::nullopt;
}

std::string Progress(const OpenAiResponse& response) {
  return "after " + std::to_string(response.delivered_chunks) + " chunk" + (response.delivered_chunks == 1 ? "" : "s") +
         " (" + std::to_string(response.delivered.size()) + " bytes of reply)";
}

}  // namespace troupe::llm
