#include "studio/structured_reply.h"

#include <algorithm>

namespace troupe::studio {
namespace {

// A reply shorter than this could not hold even the smallest object a schema asks for.
constexpr int64_t kReplyFloorTokens = 16;

bool Cancelled(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(std::memory_order_relaxed); }

Status CancelledStatus(const std::string& what) { return Status(StatusCode::kUnavailable, what + ": cancelled", what); }

}  // namespace

Result<std::string> AskForJson(llm::Provider& provider, const StructuredQuestion& question, const ReplyCheck& check) {
  const std::string& what = question.what;
  llm::ChatRequest request;
  request.messages = question.messages;
  request.response_format.kind = llm::ResponseFormat::Kind::kJsonSchema;
  request.response_format.name = question.schema_name;
  request.response_format.schema_json = question.schema_json;
  request.response_format.strict = true;
  request.sampling.temperature = question.temperature;
  request.cancel = question.cancel;
  const int64_t context = provider.info().context_length;
  const int64_t prompt_tokens = provider.CountChatTokens(request.messages);
  int64_t max_tokens = question.max_tokens;
  if (context > 0) max_tokens = std::min<int64_t>(max_tokens, context - prompt_tokens - 1);
  if (max_tokens < kReplyFloorTokens) {
    return InvalidArgument(what + ": the prompt (" + std::to_string(prompt_tokens) + " tokens) leaves no room for a " +
                               "reply in the model's context of " + std::to_string(context) + " tokens",
                           what);
  }
  request.sampling.max_tokens = static_cast<int>(max_tokens);

  Status last = InvalidArgument(what + ": no attempt was made", what);
  const int attempts = std::max(1, question.attempts);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (Cancelled(question.cancel)) return CancelledStatus(what);
    if (question.on_attempt) question.on_attempt(attempt);
    request.sampling.seed = question.seed + static_cast<uint64_t>(attempt);
    Result<llm::ChatResult> reply = provider.Chat(request, {});
    if (!reply.ok()) return reply.status().WithContext(what);
    if (reply->finish_reason == llm::FinishReason::kCancelled) return CancelledStatus(what);
    last = check(reply->content);
    if (last.ok()) return std::move(reply->content);
    if (reply->finish_reason == llm::FinishReason::kLength) {
      last = InvalidArgument(last.message() + " (the reply reached the limit of " + std::to_string(max_tokens) +
                                 " tokens)",
                             last.field());
    }
  }
  return InvalidArgument(what + ": no valid reply after " + std::to_string(attempts) + " attempts; last: " +
                             last.message(),
                         last.field().empty() ? what : last.field());
}

}  // namespace troupe::studio
