// Building a tool call's request from its arguments, and the address and masking rules of
// tool_runner.h.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/pii.h"
#include "base/redact.h"
#include "chat/tools/tool_runner.h"
#include "llm/json_schema_check.h"

namespace troupe::chat::tools {

namespace {

using CurlUrl = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

std::string Escaped(const std::string& text) {
  char* escaped = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
  if (escaped == nullptr) return "";
  std::string result(escaped);
  curl_free(escaped);
  return result;
}

// An argument as it goes into a URL: strings as they are, anything else as its JSON text.
std::string AsText(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

constexpr std::string_view kCallerPrefix = "caller.";

Result<std::string> CallerValue(const Caller& caller, const std::string& name, const std::string& tool) {
  const auto found = caller.find(name.substr(kCallerPrefix.size()));
  if (found == caller.end()) {
    return Status(StatusCode::kFailedPrecondition, tool + ": '{" + name + "}' is not known for this call", "url");
  }
  return found->second;
}

// {caller.NAME} in a header's value replaced by the caller's value.
Result<std::string> WithCaller(const std::string& value, const Caller& caller, const std::string& tool) {
  static constexpr std::string_view kOpen = "{caller.";
  std::string out;
  size_t at = 0;
  for (size_t open; (open = value.find(kOpen, at)) != std::string::npos;) {
    const size_t close = value.find('}', open);
    if (close == std::string::npos) break;
    TROUPE_ASSIGN_OR_RETURN(const std::string filled, CallerValue(caller, value.substr(open + 1, close - open - 1), tool));
    if (filled.find_first_of("\r\n") != std::string::npos) {
      return Status(StatusCode::kFailedPrecondition, tool + ": a caller's value cannot go into a header: it holds a line break",
                    "headers");
    }
    out += value.substr(at, open - at) + filled;
    at = close + 1;
  }
  return out + value.substr(at);
}

// Puts the {name} arguments and the {caller.NAME} values into the URL template; the argument
// names used are removed from `arguments`.
Result<std::string> ExpandUrl(const std::string& pattern, nlohmann::json& arguments, const Caller& caller,
                              const std::string& tool) {
  std::string url;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      url += pattern[i];
      continue;
    }
    const size_t close = pattern.find('}', i);
    if (close == std::string::npos) return InvalidArgument(tool + ": the URL has a '{' without '}'", "url");
    const std::string name = pattern.substr(i + 1, close - i - 1);
    if (name.rfind(kCallerPrefix, 0) == 0) {
      TROUPE_ASSIGN_OR_RETURN(const std::string value, CallerValue(caller, name, tool));
      url += Escaped(value);
      i = close;
      continue;
    }
    if (!arguments.contains(name) || arguments[name].is_null()) {
      return InvalidArgument(tool + ": the URL needs the argument '" + name + "'", "arguments");
    }
    url += Escaped(AsText(arguments[name]));
    arguments.erase(name);
    i = close;
  }
  return url;
}

// ${secret:NAME} replaced by the configured secret.
Result<std::string> WithSecrets(const std::string& value, const std::map<std::string, std::string>& secrets,
                                const std::string& tool) {
  static constexpr std::string_view kOpen = "${secret:";
  std::string out;
  size_t at = 0;
  for (size_t open; (open = value.find(kOpen, at)) != std::string::npos;) {
    const size_t close = value.find('}', open);
    if (close == std::string::npos) break;
    const std::string name = value.substr(open + kOpen.size(), close - open - kOpen.size());
    const auto secret = secrets.find(name);
    if (secret == secrets.end()) {
      return Status(StatusCode::kFailedPrecondition,
                    tool + ": the secret '" + name + "' is not configured", "secrets");
    }
    out += value.substr(at, open - at) + secret->second;
    at = close + 1;
  }
  return out + value.substr(at);
}

// Credential names (base/redact.h) and the names personal payment data goes by.
bool SensitiveKey(std::string key) {
  if (LooksLikeSecretName(key)) return true;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::array<std::string_view, 6> kPersonal = {"pin", "passcode", "card_number", "cvv", "cvc", "iban"};
  return std::any_of(kPersonal.begin(), kPersonal.end(), [&](std::string_view word) {
    return key == word || (word.size() > 3 && key.find(word) != std::string::npos);
  });
}

void Mask(nlohmann::json& value, const std::map<std::string, std::string>& secrets) {
  if (value.is_object()) {
    for (auto& [key, item] : value.items()) {
      if (SensitiveKey(key)) {
        item = "***";
      } else {
        Mask(item, secrets);
      }
    }
  } else if (value.is_array()) {
    for (nlohmann::json& item : value) Mask(item, secrets);
  } else if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    for (const auto& [name, secret] : secrets) {
      if (!secret.empty() && text.find(secret) != std::string::npos) {
        value = "***";
        return;
      }
    }
    value = RedactPii(text);  // an e-mail address or card number in free text stays out of the audit
  }
}

}  // namespace

std::string MaskArguments(std::string_view arguments_json, const std::map<std::string, std::string>& secrets) {
  nlohmann::json arguments = nlohmann::json::parse(arguments_json, nullptr, false);
  if (arguments.is_discarded()) return "\"(not JSON)\"";
  Mask(arguments, secrets);
  return arguments.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool IsPrivateAddress(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr);
    const auto in = [ip](uint32_t network, int bits) { return (ip >> (32 - bits)) == (network >> (32 - bits)); };
    return in(0x00000000, 8) || in(0x0A000000, 8) || in(0x64400000, 10) || in(0x7F000000, 8) ||
           in(0xA9FE0000, 16) || in(0xAC100000, 12) || in(0xC0000000, 24) || in(0xC0A80000, 16) ||
           in(0xC6120000, 15) || in(0xE0000000, 4) || in(0xF0000000, 4);
  }
  if (address->sa_family == AF_INET6) {
    const in6_addr& ip = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&ip) || IN6_IS_ADDR_V4COMPAT(&ip)) {
      sockaddr_in v4{};
      v4.sin_family = AF_INET;
      std::memcpy(&v4.sin_addr, ip.s6_addr + 12, 4);
      return IsPrivateAddress(reinterpret_cast<const sockaddr*>(&v4));
    }
    const uint8_t first = ip.s6_addr[0];
    return IN6_IS_ADDR_UNSPECIFIED(&ip) || IN6_IS_ADDR_LOOPBACK(&ip) || IN6_IS_ADDR_LINKLOCAL(&ip) ||
           IN6_IS_ADDR_SITELOCAL(&ip) || IN6_IS_ADDR_MULTICAST(&ip) || (first & 0xFE) == 0xFC ||
           (ip.s6_addr[0] == 0x00 && ip.s6_addr[1] == 0x64 && ip.s6_addr[2] == 0xFF && ip.s6_addr[3] == 0x9B);
  }
  return true;  // anything but IPv4 and IPv6 is not a public internet address
}

Result<PreparedRequest> PrepareRequest(const HttpTool& tool, std::string_view arguments_json,
                                       const std::map<std::string, std::string>& secrets, const Caller& caller) {
  TROUPE_RETURN_IF_ERROR(llm::CheckAgainstSchema(tool.parameters_json, arguments_json, "arguments"));
  nlohmann::json arguments = nlohmann::json::parse(arguments_json, nullptr, false);
  if (!arguments.is_object()) return InvalidArgument(tool.name + ": the arguments must be a JSON object", "arguments");

  PreparedRequest request;
  request.method = tool.method;
  TROUPE_ASSIGN_OR_RETURN(request.url, ExpandUrl(tool.url, arguments, caller, tool.name));
  if (tool.sends_body()) {
    request.body = arguments.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    request.headers.push_back("Content-Type: application/json");
  } else if (!arguments.empty()) {
    std::string query;
    for (const auto& [name, value] : arguments.items()) {
      if (value.is_null()) continue;
      query += (query.empty() ? "" : "&") + Escaped(name) + "=" + Escaped(AsText(value));
    }
    if (!query.empty()) request.url += (request.url.find('?') == std::string::npos ? "?" : "&") + query;
  }

  CurlUrl parsed(curl_url(), &curl_url_cleanup);
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, request.url.c_str(), 0) != CURLUE_OK) {
    return InvalidArgument(tool.name + ": the URL with the arguments put in is not valid", "arguments");
  }
  char* part = nullptr;
  if (curl_url_get(parsed.get(), CURLUPART_SCHEME, &part, 0) == CURLUE_OK) {
    const std::string scheme = part;
    curl_free(part);
    if (scheme != "http" && scheme != "https") {
      return Status(StatusCode::kPermissionDenied, tool.name + ": only http and https URLs are called", "url");
    }
  }
  if (curl_url_get(parsed.get(), CURLUPART_USER, &part, 0) == CURLUE_OK) {
    curl_free(part);
    return Status(StatusCode::kPermissionDenied, tool.name + ": URLs with a user name are not called", "url");
  }
  if (curl_url_get(parsed.get(), CURLUPART_HOST, &part, 0) != CURLUE_OK || part == nullptr) {
    return InvalidArgument(tool.name + ": the URL has no host", "url");
  }
  request.host = part;
  curl_free(part);
  std::transform(request.host.begin(), request.host.end(), request.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (std::find(tool.allowed_hosts.begin(), tool.allowed_hosts.end(), request.host) == tool.allowed_hosts.end()) {
    return Status(StatusCode::kPermissionDenied,
                  tool.name + ": the host '" + request.host + "' is not among the tool's allowed hosts", "url");
  }
  for (const auto& [name, value] : tool.headers) {
    // Secrets first: a caller's value is put in as it is, never read for ${secret:...}.
    TROUPE_ASSIGN_OR_RETURN(std::string with_secrets, WithSecrets(value, secrets, tool.name));
    TROUPE_ASSIGN_OR_RETURN(std::string filled, WithCaller(with_secrets, caller, tool.name));
    request.headers.push_back(name + ": " + filled);
  }
  return request;
}

}  // namespace troupe::chat::tools
