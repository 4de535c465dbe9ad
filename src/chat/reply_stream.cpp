// Generating, streaming, splitting and storing a reply (reply_stream.h).
#include "chat/reply_stream.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "chat/macros.h"
#include "chat/memory.h"
#include "chat/reply_style.h"

namespace troupe::chat::internal {

using nlohmann::json;

Result<PromptInputs> BuildInputs(TurnContext& context, const Scene& scene, const Stage& stage, const Plan& plan,
                                 const llm::Provider& provider, int64_t reply_tokens) {
  PromptInputs inputs;
  inputs.character = &scene.character;
  inputs.user_name = scene.user_name;
  inputs.stage_prompt = stage.prompt;
  if (const Mood* mood = scene.parts.flow->FindMood(scene.conversation.mood)) inputs.mood_prompt = mood->prompt;
  // Memory: pinned notes, and the newest summary, whose messages the prompt then leaves out.
  const int64_t conversation_id = scene.conversation.id;
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Memory> pinned,
                          context.store.memories().ListForConversation(conversation_id, store::MemoryKind::kPinned));
  for (store::Memory& memory : pinned) inputs.pinned_memories.push_back(std::move(memory.content));
  std::optional<int64_t> covered;
  if (Result<store::Memory> summary = context.store.memories().LatestSummary(conversation_id); summary.ok()) {
    inputs.summary = summary->content;
    covered = summary->covers_until_message_id;
  } else if (summary.status().code() != StatusCode::kNotFound) {
    return summary.status();
  }
  for (const store::Message& message : plan.history) {
    if (covered && message.id <= *covered) continue;
    // Parts of a reply that was regenerated live on inside the new reply's alternatives.
    if (!ParseObject(message.metadata_json).contains("superseded_by")) inputs.history.push_back(message);
  }
  // Recall: what was said before the history shown that shares words with the latest user turn.
  if (context.options.recall_limit > 0 && !inputs.history.empty()) {
    const auto last_user = std::find_if(inputs.history.rbegin(), inputs.history.rend(), [](const store::Message& m) {
      return m.role == store::MessageRole::kUser;
    });
    if (last_user != inputs.history.rend()) {
      inputs.recalled = Recall(context.store, conversation_id, last_user->content, inputs.history.front().id,
                               context.options.recall_limit, scene.character.name, scene.user_name);
    }
  }

  const auto count_tokens = [&provider](std::string_view text) { return provider.CountTokens(text); };
  if (scene.parts.lorebook) {
    std::vector<std::string> recent;
    for (const store::Message& message : inputs.history) recent.push_back(message.content);
    const MacroValues names{scene.character.name, scene.user_name};
    for (const ActivatedEntry& entry :
         ActivateLorebook(*scene.parts.lorebook, recent, count_tokens, context.options.lorebook_token_budget)) {
      (entry.position == LorebookPosition::kBeforeCharacter ? inputs.lorebook_before : inputs.lorebook_after)
          .push_back(ExpandMacros(entry.content, names));
    }
  }
  inputs.closing_instruction = plan.closing_instruction;
  inputs.context_length = provider.info().context_length > 0 ? provider.info().context_length : 4096;
  // A reply may not claim more than half the context: the conversation needs the rest.
  inputs.reply_tokens = std::min(reply_tokens, inputs.context_length / 2);
  return inputs;
}

Result<store::Message> StorePart(TurnContext& context, const Scene& scene, const Plan& plan, const std::string& text,
                                 size_t index, bool incomplete, int64_t started_ms, const TurnSink& sink,
                                 const llm::Usage& usage) {
  store::Message message;
  message.conversation_id = scene.conversation.id;
  message.parent_id = plan.parent_id;
  message.role = store::MessageRole::kAssistant;
  message.content = text;
  message.stage = scene.conversation.stage;
  message.incomplete = incomplete;
  message.latency_ms = context.clock.NowMillis() - started_ms;
  message.prompt_tokens = usage.prompt_tokens;
  message.completion_tokens = usage.completion_tokens;
  json metadata = plan.metadata;
  metadata["part"] = index;
  metadata["mood"] = scene.conversation.mood;
  message.metadata_json = metadata.dump();
  TROUPE_ASSIGN_OR_RETURN(store::Message stored, context.store.messages().Append(std::move(message)));
  Emit(sink, MessageEndEvent{static_cast<int>(index), stored});
  if (context.options.on_message_stored) context.options.on_message_stored(scene.conversation, stored);
  return stored;
}

Result<PreparedReply> PrepareReply(TurnContext& context, const Scene& scene, const Plan& plan, const TurnOptions& turn) {
  PreparedReply prepared;
  prepared.stage = context.StageOf(scene);
  if (prepared.stage == nullptr) return Status(StatusCode::kInternal, "the flow has no stages");
  TROUPE_ASSIGN_OR_RETURN(prepared.provider, context.ProviderFor(scene, *prepared.stage, turn));
  llm::ChatRequest& request = prepared.request;
  request.sampling = Overlay(prepared.stage->sampling, turn.sampling);
  if (request.sampling.max_tokens <= 0) request.sampling.max_tokens = static_cast<int>(context.options.reply_tokens);
  TROUPE_ASSIGN_OR_RETURN(prepared.inputs, BuildInputs(context, scene, *prepared.stage, plan, *prepared.provider,
                                                       request.sampling.max_tokens));
  TROUPE_ASSIGN_OR_RETURN(prepared.prompt, AssemblePrompt(prepared.inputs, *prepared.provider));
  request.messages = std::move(prepared.prompt.messages);
  request.stop = UserTurnStopStrings(scene.user_name);
  for (std::string& end : prepared.provider->TurnEndStrings()) request.stop.push_back(std::move(end));
  return prepared;
}

Result<Generated> GenerateReply(TurnContext& context, Scene& scene, const Plan& plan, const TurnOptions& turn,
                                const TurnSink& sink) {
  TROUPE_ASSIGN_OR_RETURN(PreparedReply prepared, PrepareReply(context, scene, plan, turn));
  const Stage* stage = prepared.stage;
  llm::Provider* provider = prepared.provider;
  llm::ChatRequest& request = prepared.request;
  const PromptInputs& inputs = prepared.inputs;
  const AssembledPrompt& prompt = prepared.prompt;
  // What went into the prompt, kept with the reply for the studio's "why did it say that".
  Plan stored_plan = plan;
  stored_plan.metadata["prompt"] = {{"history", prompt.history_included},
                                    {"history_dropped", prompt.history_dropped},
                                    {"lorebook_entries", prompt.lorebook_included},
                                    {"examples", prompt.examples_included},
                                    {"summary", !inputs.summary.empty()},
                                    {"pinned_memories", inputs.pinned_memories.size()},
                                    {"recalled", prompt.recalled_included},
                                    {"provider", provider->info().name}};

  ReplyStyle style = stage->reply;
  if (!plan.split || !turn.split_messages) style.split = SplitMode::kNone;
  std::atomic<bool> cancel{false};
  request.cancel = &cancel;
  const int64_t started = context.clock.NowMillis();

  // The first message streams as the model writes it; later ones are announced ("typing") as soon
  // as they begin and shown once the model has finished, after a pause proportional to their
  // length counted from when they began, like a person typing.
  ReplySplitter splitter(style);
  std::vector<std::string> parts(1);
  std::vector<int64_t> began_at(1, started);
  bool live_started = false;
  auto start_live = [&] {
    if (live_started) return;
    live_started = true;
    Emit(sink, StartOf(scene, 0));
  };
  auto take = [&](std::vector<ReplySplitter::Piece> pieces) {
    for (ReplySplitter::Piece& piece : pieces) {
      if (!piece.text.empty()) {
        if (parts.size() == 1) {
          start_live();
          Emit(sink, DeltaEvent{0, piece.text});
        }
        parts.back() += piece.text;
      }
      if (piece.ends_message) {
        parts.emplace_back();
        began_at.push_back(context.clock.NowMillis());
        Emit(sink, TypingEvent{static_cast<int>(parts.size() - 1)});
      }
    }
    if (splitter.limit_reached()) cancel = true;  // the stage's length limit: stop generating
  };
  // Holds back the start of the reply until it is clear the model did not begin with "Name:".
  const std::string own_prefix = scene.character.name + ":";
  std::string held;
  bool released = false;
  auto release = [&](std::string_view text) {
    held += text;
    std::string_view view = held;
    const size_t first = view.find_first_not_of(" \n\t");
    view.remove_prefix(first == std::string_view::npos ? view.size() : first);
    if (!released && view.size() < own_prefix.size() && own_prefix.compare(0, view.size(), view) == 0) return;
    if (!released && view.substr(0, own_prefix.size()) == own_prefix) view.remove_prefix(own_prefix.size());
    released = true;
    take(splitter.Feed(view));
    held.clear();
  };
  llm::ChatCallbacks callbacks;
  callbacks.on_delta = [&](std::string_view delta) {
    if (turn.cancel != nullptr && turn.cancel->load()) cancel = true;
    if (released) {
      take(splitter.Feed(delta));
    } else {
      release(delta);
    }
  };
  Result<llm::ChatResult> result = provider->Chat(request, callbacks);
  if (!released && !held.empty()) {
    released = true;
    take(splitter.Feed(held));
  }
  take(splitter.Finish());

  Generated generated;
  const bool cancelled_by_client = turn.cancel != nullptr && turn.cancel->load();
  const bool failed = !result.ok();
  generated.incomplete = failed || cancelled_by_client;
  if (result.ok()) generated.usage = result->usage;
  while (parts.size() > 1 && Trimmed(parts.back()).empty()) parts.pop_back();

  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string text = Trimmed(parts[i]);
    const bool last = i + 1 == parts.size();
    if (text.empty()) {
      // The model wrote nothing (it ended its turn at once, or failed first): store nothing.
      if (i == 0 && parts.size() == 1 && live_started) {
        Emit(sink, MessageEndEvent{0, std::nullopt});
      }
      continue;
    }
    if (i > 0) {
      if (turn.typing_delays && !cancelled_by_client) {
        const int64_t pause = TypingDelayMs(text, style) - (context.clock.NowMillis() - began_at[i]);
        if (pause > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause));
      }
      Emit(sink, StartOf(scene, static_cast<int>(i)));
      Emit(sink, DeltaEvent{static_cast<int>(i), text});
    } else {
      start_live();
    }
    TROUPE_ASSIGN_OR_RETURN(store::Message stored,
                            StorePart(context, scene, stored_plan, text, i, last && generated.incomplete, started, sink,
                                      last ? generated.usage : llm::Usage{}));
    generated.messages.push_back(stored);
    if (!generated.text.empty()) generated.text += "\n\n";
    generated.text += text;
  }
  if (failed) {
    ErrorEvent error{result.status(), std::nullopt};
    if (!generated.messages.empty()) error.partial_message_id = generated.messages.back().id;
    Emit(sink, error);
    return result.status();
  }
  return generated;
}

}  // namespace troupe::chat::internal
