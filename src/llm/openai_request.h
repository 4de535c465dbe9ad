// The JSON body of a chat completions request to an OpenAI-compatible endpoint, built from a
// ChatRequest: always streamed with usage, sampling settings only when set, at most four stop
// strings (OpenAI's limit; the provider enforces the rest itself), tools and response_format in
// OpenAI's form.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "llm/provider.h"

namespace troupe::llm {

// `model` "" leaves the body's "model" out. kInvalidArgument naming the field for a tool whose
// parameters are not a JSON object, a response_format schema that is not JSON or a grammar (which
// only the local engine takes), or text that is not UTF-8.
Result<std::string> OpenAiRequestBody(const ChatRequest& request, const std::string& model);

// The request's headers: JSON in, events out, no 100-continue round trip, and the key as a bearer
// token, or as Azure's `api-key` when `api_version` is set (none when `api_key` is "").
std::vector<std::string> OpenAiRequestHeaders(const std::string& api_key, const std::string& api_version);

// The prompt tokens of a chat for a remote model: EstimateTokens of each message with a few tokens
// of overhead per message, as the chat format adds them.
int64_t EstimateChatTokens(const std::vector<ChatMessage>& messages);

}  // namespace troupe::llm
