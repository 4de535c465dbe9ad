// Alternatives of a reply: regenerate (a new alternative kept with the others as swipes), choose
// one, edit a message (alternatives.h).
#include "chat/alternatives.h"

#include <algorithm>
#include <atomic>

#include <spdlog/spdlog.h>

#include "chat/prompt.h"
#include "chat/reply_stream.h"
#include "chat/sentiment.h"

namespace troupe::chat::internal {

using nlohmann::json;

Result<TurnOutcome> Regenerate(TurnContext& context, int64_t conversation_id, int64_t message_id,
                               const TurnOptions& options, const TurnSink& sink) {
  std::lock_guard lock(context.LockFor(conversation_id));
  TROUPE_ASSIGN_OR_RETURN(Scene scene, context.LoadScene(conversation_id, options));
  TROUPE_RETURN_IF_ERROR(TurnContext::RequireActive(scene.conversation));
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> history, context.History(conversation_id));
  // The latest reply: the assistant messages after the last message of anyone else.
  size_t group_start = history.size();
  while (group_start > 0 && history[group_start - 1].role == store::MessageRole::kAssistant) --group_start;
  const bool in_group = std::any_of(history.begin() + static_cast<std::ptrdiff_t>(group_start), history.end(),
                                    [&](const store::Message& m) { return m.id == message_id; });
  if (!in_group) {
    return Status(StatusCode::kFailedPrecondition,
                  "message " + std::to_string(message_id) + " is not part of the latest reply; only the latest "
                  "reply can be regenerated", "message_id");
  }
  std::vector<store::Message> group;
  for (size_t i = group_start; i < history.size(); ++i) {
    if (!ParseObject(history[i].metadata_json).contains("superseded_by")) group.push_back(history[i]);
  }
  history.erase(history.begin() + static_cast<std::ptrdiff_t>(group_start), history.end());

  // The alternatives so far, kept on the reply's first message.
  store::Message first = group.front();
  json metadata = ParseObject(first.metadata_json);
  json swipes = metadata.contains("swipes") && metadata["swipes"].is_array() ? metadata["swipes"] : json::array();
  if (swipes.empty()) {
    std::string whole;
    for (const store::Message& part : group) {
      if (!whole.empty()) whole += "\n\n";
      whole += part.content;
    }
    swipes.push_back(whole);
  }

  Plan plan;
  plan.history = history;
  plan.parent_id = first.parent_id;
  plan.split = false;
  // Streamed like any reply, but stored as the new alternative of the first message instead of
  // as new messages: generate into a sink that forwards everything except the storing.
  std::string text;
  llm::Usage usage;
  bool incomplete = false;
  {
    TROUPE_ASSIGN_OR_RETURN(PreparedReply prepared, PrepareReply(context, scene, plan, options));
    llm::Provider* provider = prepared.provider;
    llm::ChatRequest& request = prepared.request;
    // A different draw than the reply it replaces.
    if (!request.sampling.seed) request.sampling.seed = static_cast<uint64_t>(context.clock.NowMillis()) + swipes.size();
    std::atomic<bool> cancel{false};
    request.cancel = &cancel;
    MessageStartEvent start = StartOf(scene, 0);
    start.regenerating = first.id;
    Emit(sink, start);
    llm::ChatCallbacks callbacks;
    callbacks.on_delta = [&](std::string_view delta) {
      if (options.cancel != nullptr && options.cancel->load()) cancel = true;
      Emit(sink, DeltaEvent{0, std::string(delta)});
    };
    Result<llm::ChatResult> result = provider->Chat(request, callbacks);
    if (!result.ok()) {
      Emit(sink, ErrorEvent{result.status(), std::nullopt});
      return result.status();
    }
    text = CleanReply(result->content, scene.character.name);
    usage = result->usage;
    incomplete = result->finish_reason == llm::FinishReason::kCancelled;
  }
  swipes.push_back(text);
  metadata["swipes"] = swipes;
  metadata["swipe"] = swipes.size() - 1;
  store::MessagePatch patch;
  patch.content = text;
  patch.metadata_json = metadata.dump();
  patch.incomplete = incomplete;
  patch.completion_tokens = usage.completion_tokens;
  TROUPE_ASSIGN_OR_RETURN(store::Message updated, context.store.messages().Patch(first.id, patch));
  // The other parts of the old reply now live inside the first one's first alternative.
  // They stay stored (nothing acknowledged is lost) but leave the history prompts see.
  for (size_t i = 1; i < group.size(); ++i) {
    json part = ParseObject(group[i].metadata_json);
    if (part.contains("superseded_by")) continue;
    part["superseded_by"] = first.id;
    store::MessagePatch superseded;
    superseded.metadata_json = part.dump();
    if (Result<store::Message> marked = context.store.messages().Patch(group[i].id, superseded); !marked.ok()) {
      spdlog::warn("message {}: not marked superseded after regenerate: {}", group[i].id, marked.status().ToString());
    }
  }
  Emit(sink, MessageEndEvent{0, updated});
  if (context.options.on_message_stored) context.options.on_message_stored(scene.conversation, updated);
  context.AfterTurn(scene);
  Emit(sink, DoneEvent{usage, scene.conversation, incomplete});
  return TurnOutcome{{updated}, scene.conversation, usage, incomplete};
}

Result<store::Message> SelectSwipe(TurnContext& context, int64_t message_id, int index) {
  TROUPE_ASSIGN_OR_RETURN(store::Message message, context.store.messages().Get(message_id));
  std::lock_guard lock(context.LockFor(message.conversation_id));
  json metadata = ParseObject(message.metadata_json);
  const json* swipes = metadata.contains("swipes") && metadata["swipes"].is_array() ? &metadata["swipes"] : nullptr;
  const size_t count = swipes != nullptr ? swipes->size() : 1;
  if (index < 0 || static_cast<size_t>(index) >= count) {
    return Status(StatusCode::kInvalidArgument,
                  "message " + std::to_string(message_id) + " has " + std::to_string(count) +
                      " alternative(s); swipe must be 0.." + std::to_string(count - 1),
                  "swipe");
  }
  if (swipes == nullptr) return message;
  store::MessagePatch patch;
  patch.content = (*swipes)[static_cast<size_t>(index)].get<std::string>();
  metadata["swipe"] = index;
  patch.metadata_json = metadata.dump();
  return context.store.messages().Patch(message_id, patch);
}

Result<store::Message> EditMessage(TurnContext& context, int64_t message_id, std::string content) {
  if (Trimmed(content).empty()) return Status(StatusCode::kInvalidArgument, "the message is empty", "content");
  TROUPE_ASSIGN_OR_RETURN(store::Message message, context.store.messages().Get(message_id));
  std::lock_guard lock(context.LockFor(message.conversation_id));
  json metadata = ParseObject(message.metadata_json);
  if (metadata.contains("swipes") && metadata["swipes"].is_array()) {
    const size_t index = metadata.value("swipe", size_t{0});
    if (index < metadata["swipes"].size()) metadata["swipes"][index] = content;
  }
  metadata["edited"] = true;
  store::MessagePatch patch;
  if (message.role == store::MessageRole::kUser) patch.sentiment = EstimateSentiment(content);
  patch.content = std::move(content);
  patch.metadata_json = metadata.dump();
  return context.store.messages().Patch(message_id, patch);
}

}  // namespace troupe::chat::internal
