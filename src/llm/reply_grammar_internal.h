// The grammar a local reply must follow, from a chat request: its response_format (a JSON object,
// a JSON Schema, or a grammar's text), or, with tools, the Hermes/Qwen tool-call markup whose body
// follows the tools' parameter schemas:
//   tool_choice "required" or a tool's name: the reply is one or more calls, from its first token;
//   tool_choice "auto" (or ""): the reply is free text until the model writes "<tool_call>",
//     after which that call must be whole and valid (one call per reply then); when a tool's
//     schema is outside the engine's subset, the call is left unchecked instead.
// A response_format other than text governs the whole reply unless a tool call is required.
// Internal to src/llm (it hands engine types to the local provider).
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "engine/grammar.h"
#include "llm/provider.h"

namespace troupe::llm {

struct ReplyGrammar {
  engine::Grammar grammar;
  std::string trigger;  // "" = from the first token
};

// Nothing when the reply is free; kInvalidArgument naming "response_format", "tools" or
// "tools[i].parameters" for a schema or grammar the engine cannot enforce when it must (the
// message says what and where).
Result<std::optional<ReplyGrammar>> ReplyGrammarFor(const ChatRequest& request);

}  // namespace troupe::llm
