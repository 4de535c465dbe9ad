// Reading the body of an OpenAI chat completions request (POST /v1/chat/completions) into a
// stateless completion. Fields OpenAI defines that Troupe can honour are read and checked
// (response_format too: text, json_object, json_schema, and Troupe's grammar); fields that would
// change the shape of the answer and cannot be honoured (n > 1, logprobs) are refused; any other field is ignored, as OpenAI-compatible servers do, so
// newer clients keep working. top_k, min_p and repetition_penalty are read too (llama.cpp's and
// vLLM's extensions, which Troupe's own OpenAI-compatible provider sends).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "chat/completion.h"

namespace troupe::server::api {

struct OpenAiChatRequest {
  std::string model;                   // a character's slug or numeric id, as sent
  chat::CompletionRequest completion;  // everything but the character (and cancel)
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
};

// Never throws. kInvalidArgument whose field is OpenAI's `param` for the first thing wrong:
// "model", "messages", "messages[2].role", "messages[0].content[1]", "temperature", "n",
// "tools[0].function.name", "tool_choice", ...
Result<OpenAiChatRequest> ParseChatCompletionRequest(const nlohmann::json& body);

}  // namespace troupe::server::api
