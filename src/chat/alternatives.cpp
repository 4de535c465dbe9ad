// Alternatives of a reply: regenerate (a new alternative kept with the others as swipes), choose
// one, edit a message (alternatives.h).
#include "chat/alternatives.h"

#include <algorithm>
#include <atomic>

#include <spdlog/spdlog.h>

#include "base/text.h"
#include "chat/prompt.h"
#include "chat/reply_media_step.h"
#include "chat/reply_stream.h"
#include "chat/sentiment.h"
#include "chat/turn_control.h"

namespace troupe::chat::internal {

using nlohmann::json;

namespace {

// What a regeneration knows before it generates.
struct Alternative {
  std::shared_ptr<Scene> scene;
  std::vector<store::Message> group;  // the latest reply's current parts
  store::Message first;               // where the alternatives are kept
  json metadata;
  json swipes;
};

Result<Alternative> FindAlternative(TurnContext& context, int64_t conversation_id, int64_t message_id,
                                    const TurnOptions& options, Plan& plan) {
  Alternative found;
  found.scene = std::make_shared<Scene>();
  TROUPE_ASSIGN_OR_RETURN(*found.scene, context.LoadScene(conversation_id, options));
  TROUPE_RETURN_IF_ERROR(TurnContext::RequireActive(found.scene->conversation));
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
  for (size_t i = group_start; i < history.size(); ++i) {
    if (!ParseObject(history[i].metadata_json).contains("superseded_by")) found.group.push_back(history[i]);
  }
  history.erase(history.begin() + static_cast<std::ptrdiff_t>(group_start), history.end());

  // The alternatives so far, kept on the reply's first message.
  found.first = found.group.front();
  found.metadata = ParseObject(found.first.metadata_json);
  found.swipes = found.metadata.contains("swipes") && found.metadata["swipes"].is_array() ? found.metadata["swipes"]
                                                                                         : json::array();
  if (found.swipes.empty()) {
    std::string whole;
    for (const store::Message& part : found.group) {
      if (!whole.empty()) whole += "\n\n";
      whole += part.content;
    }
    found.swipes.push_back(whole);
  }
  plan.history = std::move(history);
  plan.parent_id = found.first.parent_id;
  plan.split = false;
  return found;
}

// A voice message speaks the text it was made from, and a picture goes with it: once the text is
// edited they no longer belong to what is shown, so they leave
// metadata.media (the media route and the chat read only that) for metadata.retired_media. Their
// files stay.
void RetireMedia(json& metadata) {
  const auto media = metadata.find("media");
  if (media == metadata.end()) return;
  json& retired = metadata["retired_media"];
  if (!retired.is_array()) retired = json::array();
  if (media->is_array()) {
    for (json& entry : *media) retired.push_back(std::move(entry));
  }
  metadata.erase("media");
}

// A voice message or picture belongs to the alternative whose text it was made from: when another
// alternative is shown, the shown one's media move to metadata.swipe_media["<its index>"], and the
// chosen one's (if it has any) come back to metadata.media.
void ShowSwipeMedia(json& metadata, size_t shown, size_t chosen) {
  json& kept = metadata["swipe_media"];
  if (!kept.is_object()) kept = json::object();
  if (const auto media = metadata.find("media"); media != metadata.end()) {
    kept[std::to_string(shown)] = std::move(*media);
    metadata.erase("media");
  }
  if (const auto back = kept.find(std::to_string(chosen)); back != kept.end()) {
    metadata["media"] = std::move(*back);
    kept.erase(back);
  }
  if (kept.empty()) metadata.erase("swipe_media");
}

// Stores the new alternative on the reply's first message and marks the other parts superseded;
// returns the first message as stored now.
Result<store::Message> StoreAlternative(TurnContext& context, Alternative& found, const std::string& text,
                                        const llm::Usage& usage, bool incomplete, const TurnSink& sink) {
  found.swipes.push_back(text);
  ShowSwipeMedia(found.metadata, found.metadata.value("swipe", size_t{0}), found.swipes.size() - 1);
  found.metadata["swipes"] = found.swipes;
  found.metadata["swipe"] = found.swipes.size() - 1;
  store::MessagePatch patch;
  patch.content = text;
  patch.metadata_json = found.metadata.dump();
  patch.incomplete = incomplete;
  patch.completion_tokens = usage.completion_tokens;
  TROUPE_ASSIGN_OR_RETURN(store::Message updated, context.store.messages().Patch(found.first.id, patch));
  // The other parts of the old reply now live inside the first one's first alternative.
  // They stay stored (nothing acknowledged is lost) but leave the history prompts see.
  for (size_t i = 1; i < found.group.size(); ++i) {
    json part = ParseObject(found.group[i].metadata_json);
    if (part.contains("superseded_by")) continue;
    part["superseded_by"] = found.first.id;
    store::MessagePatch superseded;
    superseded.metadata_json = part.dump();
    if (Result<store::Message> marked = context.store.messages().Patch(found.group[i].id, superseded); !marked.ok()) {
      spdlog::warn("message {}: not marked superseded after regenerate: {}", found.group[i].id,
                   marked.status().ToString());
    }
  }
  Emit(sink, MessageEndEvent{0, updated});
  if (context.options.on_message_stored) context.options.on_message_stored(found.scene->conversation, updated);
  return updated;
}

// The new alternative gets the stage's voice and pictures as a first reply would (the same draw,
// since it keeps the message id; new file numbers, so no other alternative's file is touched),
// then the turn ends.
void FinishAlternative(TurnContext& context, const std::shared_ptr<Alternative>& alternative,
                       std::vector<store::Message> recent, store::Message updated, const llm::Usage& usage,
                       bool incomplete, const std::shared_ptr<TurnJob>& job) {
  std::shared_ptr<const Scene> scene = alternative->scene;
  const Stage* stage = incomplete ? nullptr : context.StageOf(*scene);
  AttachMedia(context, scene, stage, {std::move(updated)}, std::move(recent), job->sink, job->control,
              [&context, alternative, job, usage, incomplete](std::vector<store::Message> messages) {
                Scene& scene = *alternative->scene;
                context.AfterTurn(scene);
                Emit(job->sink, DoneEvent{usage, scene.conversation, incomplete});
                job->finish(TurnOutcome{std::move(messages), scene.conversation, usage, incomplete});
              });
}

}  // namespace

void Regenerate(TurnContext& context, int64_t conversation_id, int64_t message_id, std::shared_ptr<TurnJob> job) {
  Plan plan;
  Result<Alternative> found = FindAlternative(context, conversation_id, message_id, job->options, plan);
  if (!found.ok()) return job->finish(found.status());
  // What the reply answers, for a picture's {{conversation}}.
  std::vector<store::Message> recent(plan.history.end() - std::min<size_t>(plan.history.size(), 4), plan.history.end());
  Result<PreparedReply> prepared = PrepareReply(context, *found->scene, plan, job->options);
  if (!prepared.ok()) return job->finish(prepared.status());
  llm::ChatRequest request = std::move(prepared->request);
  // A different draw than the reply it replaces.
  if (!request.sampling.seed) {
    request.sampling.seed = static_cast<uint64_t>(context.clock.NowMillis()) + found->swipes.size();
  }
  // Streamed like any reply, but stored as the new alternative of the first message instead of
  // as new messages.
  auto alternative = std::make_shared<Alternative>(std::move(found).value());
  MessageStartEvent start = StartOf(*alternative->scene, 0);
  start.regenerating = alternative->first.id;
  Emit(job->sink, start);
  auto stop = std::make_shared<std::atomic<bool>>(false);
  request.cancel = stop.get();
  llm::ChatCallbacks callbacks;
  callbacks.on_delta = [job, stop](std::string_view delta) {
    if (job->control->cancelled()) *stop = true;
    Emit(job->sink, DeltaEvent{0, std::string(delta)});
  };
  callbacks.on_done = [&context, job, alternative, stop, recent = std::move(recent)](Result<llm::ChatResult> result) {
    context.Post([&context, job, alternative, stop, recent, result = std::move(result)]() mutable {
      if (!result.ok()) {
        Emit(job->sink, ErrorEvent{result.status(), std::nullopt});
        return job->finish(result.status());
      }
      const std::string text = CleanReply(result->content, alternative->scene->character.name);
      const bool incomplete = result->finish_reason == llm::FinishReason::kCancelled;
      Result<store::Message> updated = StoreAlternative(context, *alternative, text, result->usage, incomplete, job->sink);
      if (!updated.ok()) return job->finish(updated.status());
      FinishAlternative(context, alternative, std::move(recent), std::move(*updated), result->usage, incomplete, job);
    });
  };
  job->control->SetCall(prepared->provider->Start(std::move(request), std::move(callbacks)));
}

Result<store::Message> SelectSwipe(TurnContext& context, int64_t message_id, int index) {
  TROUPE_ASSIGN_OR_RETURN(store::Message message, context.store.messages().Get(message_id));
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<TurnQueue::Exclusive> turn, context.turns.Acquire(message.conversation_id));
  // Read again in turn: a regenerate that ran meanwhile may have added alternatives.
  TROUPE_ASSIGN_OR_RETURN(message, context.store.messages().Get(message_id));
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
  ShowSwipeMedia(metadata, metadata.value("swipe", size_t{0}), static_cast<size_t>(index));
  metadata["swipe"] = index;
  patch.metadata_json = metadata.dump();
  return context.store.messages().Patch(message_id, patch);
}

Result<store::Message> EditMessage(TurnContext& context, int64_t message_id, std::string content) {
  if (TrimSpace(content).empty()) return Status(StatusCode::kInvalidArgument, "the message is empty", "content");
  TROUPE_ASSIGN_OR_RETURN(store::Message message, context.store.messages().Get(message_id));
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<TurnQueue::Exclusive> turn, context.turns.Acquire(message.conversation_id));
  // Read again in turn: a regenerate that ran meanwhile may have added alternatives.
  TROUPE_ASSIGN_OR_RETURN(message, context.store.messages().Get(message_id));
  json metadata = ParseObject(message.metadata_json);
  if (metadata.contains("swipes") && metadata["swipes"].is_array()) {
    const size_t index = metadata.value("swipe", size_t{0});
    if (index < metadata["swipes"].size()) metadata["swipes"][index] = content;
  }
  metadata["edited"] = true;
  RetireMedia(metadata);
  store::MessagePatch patch;
  if (message.role == store::MessageRole::kUser) patch.sentiment = EstimateSentiment(content);
  patch.content = std::move(content);
  patch.metadata_json = metadata.dump();
  return context.store.messages().Patch(message_id, patch);
}

}  // namespace troupe::chat::internal
