#include "llm/openai_provider.h"

#include <cctype>
#include <utility>

#include "base/redact.h"
#include "llm/openai_call.h"
#include "llm/openai_request.h"

namespace troupe::llm {
namespace {

// The Provider face of OpenAiCalls, which runs the calls on its loop.
class OpenAiProvider final : public Provider {
 public:
  explicit OpenAiProvider(OpenAiEndpoint endpoint) : info_(InfoFor(endpoint.options)), calls_(std::move(endpoint)) {}

  const ProviderInfo& info() const override { return info_; }

  std::shared_ptr<ChatCall> Start(ChatRequest request, ChatCallbacks callbacks) override {
    return calls_.Start(std::move(request), std::move(callbacks));
  }

  int64_t CountTokens(std::string_view text) const override { return EstimateTokens(text); }
  int64_t CountChatTokens(const std::vector<ChatMessage>& messages) const override {
    return EstimateChatTokens(messages);
  }

 private:
  static ProviderInfo InfoFor(const OpenAiProviderOptions& options) {
    ProviderInfo info;
    info.name = options.name;
    info.kind = "openai";
    info.model = options.model;
    info.context_length = options.context_length;
    return info;
  }

  const ProviderInfo info_;
  OpenAiCalls calls_;
};

OpenAiEndpoint EndpointFor(OpenAiProviderOptions options) {
  OpenAiEndpoint endpoint;
  std::string base = options.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  endpoint.url = base + "/chat/completions";
  if (!options.api_version.empty()) endpoint.url += "?api-version=" + options.api_version;
  endpoint.shown_url = RedactUrlCredentials(endpoint.url);
  endpoint.options = std::move(options);
  return endpoint;
}

}  // namespace

int64_t EstimateTokens(std::string_view text) { return static_cast<int64_t>((text.size() + 3) / 4); }

Result<std::unique_ptr<Provider>> MakeOpenAiProvider(OpenAiProviderOptions options) {
  const std::string& url = options.base_url;
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return InvalidArgument("provider " + options.name + ": base_url must start with http:// or https://, got '" +
                               RedactUrlCredentials(url) + "'",
                           "base_url");
  }
  if (url.find_first_of(" \t\r\n") != std::string::npos) {
    return InvalidArgument("provider " + options.name + ": base_url must not contain whitespace", "base_url");
  }
  for (const auto& [value, field] : {std::pair{options.connect_timeout, "connect_timeout"},
                                     std::pair{options.first_token_timeout, "first_token_timeout"},
                                     std::pair{options.idle_timeout, "idle_timeout"},
                                     std::pair{options.total_timeout, "total_timeout"}}) {
    if (value.count() <= 0) return InvalidArgument("provider " + options.name + ": " + field + " must be positive", field);
  }
  // Both end up in the request line or a header, where a line break would forge another header.
  for (const char c : options.api_key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return InvalidArgument("provider " + options.name + ": api_key must not contain control characters", "api_key");
    }
  }
  for (const char c : options.api_version) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return InvalidArgument("provider " + options.name + ": api_version may hold letters, digits, '-', '.' and '_', got '" +
                                 options.api_version + "'",
                             "api_version");
    }
  }
  if (options.context_length <= 0) {
    return InvalidArgument("provider " + options.name + ": context_length must be positive", "context_length");
  }
  return std::unique_ptr<Provider>(std::make_unique<OpenAiProvider>(EndpointFor(std::move(options))));
}

}  // namespace troupe::llm
