// One question to a language model whose answer must be JSON of a given schema: the request carries
// the schema as response_format json_schema (the local engine enforces it token by token, a remote
// endpoint gets it passed on), the reply goes through the caller's check, and a reply that fails
// it is asked for again with another seed, a bounded number of times. Every studio pipeline step
// (character steps, flows, flow edits) is one such question.
//
// Threads: blocks on the provider (Provider::Chat); call it from a thread of the caller's own.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "llm/provider.h"

namespace troupe::studio {

struct StructuredQuestion {
  std::string what;  // names the question in errors and is their field ("concept", "flow")
  std::vector<llm::ChatMessage> messages;
  std::string schema_name;
  std::string schema_json;
  double temperature = 0.9;
  uint64_t seed = 1;      // attempt N samples with seed + N
  int max_tokens = 2048;  // lowered to what the context leaves after the prompt
  int attempts = 3;
  const std::atomic<bool>* cancel = nullptr;     // may be null; checked before each attempt
  std::function<void(int attempt)> on_attempt;   // before each attempt, from 1; must not throw
};

// Reads and checks a reply; an error makes the question be asked again.
using ReplyCheck = std::function<Status(std::string_view reply)>;

// The reply `check` accepted. Errors, each naming `what`: kInvalidArgument when the prompt leaves
// no room for a reply in the context, or when no attempt passed the check (the last reason kept,
// and said when the reply was cut by the token limit); the provider's own error; kUnavailable
// "<what>: cancelled" when the cancel flag was set or the provider stopped on it.
Result<std::string> AskForJson(llm::Provider& provider, const StructuredQuestion& question, const ReplyCheck& check);

}  // namespace troupe::studio
