// The JSON body of a chat completions request to an OpenAI-compatible endpoint, built from a
// ChatRequest: always streamed with usage, sampling settings only when set, at most four stop
// strings (OpenAI's limit; the provider enforces the rest itself) and tools in OpenAI's form.
#pragma once

#include <string>

#include "base/status.h"
#include "llm/provider.h"

namespace troupe::llm {

// `model` "" leaves the body's "model" out. kInvalidArgument naming the field for a tool whose
// parameters are not a JSON object, or text that is not UTF-8.
Result<std::string> OpenAiRequestBody(const ChatRequest& request, const std::string& model);

}  // namespace troupe::llm
