#include "chat/runtime.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "chat/flow.h"
#include "chat/lorebook.h"
#include "chat/macros.h"
#include "chat/prompt.h"
#include "chat/reply_style.h"
#include "chat/sentiment.h"

namespace troupe::chat {
namespace {

using nlohmann::json;

// How much one user message moves affinity: its sentiment times this, plus a small warmth that
// every exchange adds (people grow closer by talking, even about neutral things).
constexpr double kAffinityPerSentiment = 0.08;
constexpr double kAffinityPerExchange = 0.01;

json ParseObject(const std::string& text) {
  json value = json::parse(text, nullptr, false);
  return value.is_object() ? value : json::object();
}

std::string Trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

llm::Sampling Overlay(llm::Sampling base, const std::optional<llm::Sampling>& over) {
  if (!over) return base;
  auto take = [](auto& field, const auto& value) {
    if (value) field = value;
  };
  take(base.temperature, over->temperature);
  take(base.top_p, over->top_p);
  take(base.top_k, over->top_k);
  take(base.min_p, over->min_p);
  take(base.repetition_penalty, over->repetition_penalty);
  take(base.frequency_penalty, over->frequency_penalty);
  take(base.presence_penalty, over->presence_penalty);
  take(base.seed, over->seed);
  if (over->max_tokens > 0) base.max_tokens = over->max_tokens;
  return base;
}

}  // namespace

struct ChatRuntime::State {
  store::Store& store;
  ProviderResolver providers;
  RuntimeOptions options;
  const Clock& clock;

  // Turns of one conversation run one at a time; striped so the table never grows.
  std::array<std::mutex, 64> conversation_locks;
  std::mutex& LockFor(int64_t conversation_id) {
    return conversation_locks[static_cast<size_t>(conversation_id) % conversation_locks.size()];
  }

  // Parsed flows and lorebooks by character, kept while the character's version is unchanged.
  struct CharacterParts {
    int64_t version = 0;
    std::shared_ptr<const Flow> flow;
    std::shared_ptr<const Lorebook> lorebook;  // null when the card has none
  };
  std::mutex parts_mutex;
  std::map<int64_t, CharacterParts> parts;  // guarded by parts_mutex

  State(store::Store& store, ProviderResolver providers, RuntimeOptions options)
      : store(store),
        providers(std::move(providers)),
        options(std::move(options)),
        clock(this->options.clock != nullptr ? *this->options.clock : SystemClock::Instance()) {}

  Result<CharacterParts> PartsOf(const store::Character& character) {
    {
      std::lock_guard lock(parts_mutex);
      auto it = parts.find(character.id);
      if (it != parts.end() && it->second.version == character.version) return it->second;
    }
    CharacterParts fresh;
    fresh.version = character.version;
    if (Trimmed(character.flow).empty()) {
      fresh.flow = std::make_shared<const Flow>(DefaultFlow());
    } else {
      Result<Flow> flow = ParseFlow(character.flow);
      if (!flow.ok()) {
        return Status(StatusCode::kFailedPrecondition,
                      "character " + std::to_string(character.id) + "'s flow does not load: " +
                          flow.status().message(),
                      "flow");
      }
      if (Status valid = ValidateFlow(*flow, TraitsFromExtensions(character.extensions_json)); !valid.ok()) {
        return Status(StatusCode::kFailedPrecondition,
                      "character " + std::to_string(character.id) + "'s flow is refused: " + valid.message(), "flow");
      }
      fresh.flow = std::make_shared<const Flow>(std::move(flow).value());
    }
    if (!character.character_book_json.empty()) {
      Result<Lorebook> book = ParseCharacterBook(character.character_book_json);
      if (!book.ok()) {
        return Status(StatusCode::kFailedPrecondition,
                      "character " + std::to_string(character.id) + "'s lorebook does not load: " +
                          book.status().message(),
                      "character_book");
      }
      fresh.lorebook = std::make_shared<const Lorebook>(std::move(book).value());
    }
    std::lock_guard lock(parts_mutex);
    parts[character.id] = fresh;
    return fresh;
  }

  // Everything a turn reads before it generates.
  struct Scene {
    store::Conversation conversation;
    store::Character character;
    std::string user_name;
    CharacterParts parts;
  };

  Result<Scene> LoadScene(int64_t conversation_id, const TurnOptions& turn) {
    Scene scene;
    TROUPE_ASSIGN_OR_RETURN(scene.conversation, store.conversations().Get(conversation_id));
    TROUPE_ASSIGN_OR_RETURN(scene.character, store.characters().Get(scene.conversation.character_id));
    TROUPE_ASSIGN_OR_RETURN(scene.parts, PartsOf(scene.character));
    scene.user_name = turn.user_name;
    if (scene.user_name.empty()) {
      Result<store::User> user = store.users().Get(scene.conversation.user_id);
      if (user.ok() && !user->display_name.empty()) scene.user_name = user->display_name;
    }
    if (scene.user_name.empty()) scene.user_name = "User";
    return scene;
  }

  static Status RequireActive(const store::Conversation& conversation) {
    if (conversation.status == store::ConversationStatus::kHandedOff) {
      return Status(StatusCode::kFailedPrecondition,
                    "conversation " + std::to_string(conversation.id) +
                        " is with a human agent; the character replies again once it is handed back");
    }
    if (conversation.status == store::ConversationStatus::kClosed) {
      return Status(StatusCode::kFailedPrecondition,
                    "conversation " + std::to_string(conversation.id) + " is closed");
    }
    return Status::Ok();
  }

  // The signals the flow's transitions read, from the recent history.
  ConversationSignals SignalsOf(const store::Conversation& conversation, const std::vector<store::Message>& history,
                                int64_t idle_ms) {
    ConversationSignals signals;
    signals.message_count = conversation.message_count;
    signals.affinity = conversation.affinity;
    signals.idle_ms = idle_ms;
    signals.now_ms = clock.NowMillis();
    std::vector<double> user_sentiments;
    for (const store::Message& message : history) {
      if (message.role == store::MessageRole::kUser && message.sentiment) user_sentiments.push_back(*message.sentiment);
    }
    // The trend: the latest three user messages against the three before them.
    const size_t n = user_sentiments.size();
    if (n >= 2) {
      const size_t recent = std::min<size_t>(3, n / 2 == 0 ? 1 : std::min<size_t>(3, n - n / 2));
      double recent_sum = 0, earlier_sum = 0;
      size_t earlier = 0;
      for (size_t i = n - recent; i < n; ++i) recent_sum += user_sentiments[i];
      for (size_t i = n - recent; i-- > 0 && earlier < 3; ++earlier) earlier_sum += user_sentiments[i];
      if (earlier > 0) signals.sentiment_trend = recent_sum / recent - earlier_sum / earlier;
    }
    return signals;
  }

  // Moves the conversation along its flow; writes the state when it changed.
  Result<store::Conversation> AdvanceFlow(Scene& scene, const std::vector<store::Message>& history, int64_t idle_ms) {
    const Flow& flow = *scene.parts.flow;
    FlowState state{scene.conversation.stage, scene.conversation.mood};
    // The same seed for the conversation's whole life: Advance mixes in the stage and the message
    // count's period itself, so the mood holds within a stage and changes when the flow says.
    const uint64_t seed = static_cast<uint64_t>(scene.conversation.id);
    FlowStep step = Advance(flow, state, SignalsOf(scene.conversation, history, idle_ms), seed);
    if (step.state.stage == scene.conversation.stage && step.state.mood == scene.conversation.mood) {
      return scene.conversation;
    }
    store::Conversation updated = scene.conversation;
    updated.stage = step.state.stage;
    updated.mood = step.state.mood;
    TROUPE_ASSIGN_OR_RETURN(scene.conversation, store.conversations().UpdateState(updated));
    return scene.conversation;
  }

  const Stage* StageOf(const Scene& scene) {
    const Flow& flow = *scene.parts.flow;
    const Stage* stage = flow.FindStage(scene.conversation.stage);
    return stage != nullptr ? stage : flow.FindStage(flow.start);
  }

  // What one generation needs beyond the scene.
  struct Plan {
    std::vector<store::Message> history;  // oldest first; may be empty (an opening message)
    std::optional<int64_t> parent_id;
    std::string closing_instruction;
    bool split = true;
    json metadata = json::object();
  };

  struct Generated {
    std::vector<store::Message> messages;
    llm::Usage usage;
    bool incomplete = false;
    std::string text;  // every part, joined by blank lines
  };

  Result<PromptInputs> BuildInputs(const Scene& scene, const Stage& stage, const Plan& plan,
                                   const llm::Provider& provider, int64_t reply_tokens) {
    PromptInputs inputs;
    inputs.character = &scene.character;
    inputs.user_name = scene.user_name;
    inputs.stage_prompt = stage.prompt;
    if (const Mood* mood = scene.parts.flow->FindMood(scene.conversation.mood)) inputs.mood_prompt = mood->prompt;
    // Memory: pinned notes, and the newest summary, whose messages the prompt then leaves out.
    const int64_t conversation_id = scene.conversation.id;
    TROUPE_ASSIGN_OR_RETURN(std::vector<store::Memory> pinned,
                            store.memories().ListForConversation(conversation_id, store::MemoryKind::kPinned));
    for (store::Memory& memory : pinned) inputs.pinned_memories.push_back(std::move(memory.content));
    std::optional<int64_t> covered;
    if (Result<store::Memory> summary = store.memories().LatestSummary(conversation_id); summary.ok()) {
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
    if (options.recall_limit > 0 && !inputs.history.empty()) {
      const auto last_user = std::find_if(inputs.history.rbegin(), inputs.history.rend(), [](const store::Message& m) {
        return m.role == store::MessageRole::kUser;
      });
      if (last_user != inputs.history.rend()) {
        inputs.recalled = Recall(store, conversation_id, last_user->content, inputs.history.front().id,
                                 options.recall_limit, scene.character.name, scene.user_name);
      }
    }

    const auto count_tokens = [&provider](std::string_view text) { return provider.CountTokens(text); };
    if (scene.parts.lorebook) {
      std::vector<std::string> recent;
      for (const store::Message& message : inputs.history) recent.push_back(message.content);
      const MacroValues names{scene.character.name, scene.user_name};
      for (const ActivatedEntry& entry :
           ActivateLorebook(*scene.parts.lorebook, recent, count_tokens, options.lorebook_token_budget)) {
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

  Result<llm::Provider*> ProviderFor(const Scene& scene, const Stage& stage, const TurnOptions& turn) {
    std::string name = turn.provider;
    if (name.empty()) name = stage.provider;
    if (name.empty()) {
      json extensions = ParseObject(scene.character.extensions_json);
      if (auto troupe = extensions.find("troupe"); troupe != extensions.end() && troupe->is_object()) {
        if (auto provider = troupe->find("provider"); provider != troupe->end() && provider->is_string()) {
          name = provider->get<std::string>();
        }
      }
    }
    return providers(name);
  }

  void Emit(const TurnSink& sink, TurnEvent event) {
    if (sink) sink(event);
  }

  static MessageStartEvent StartOf(const Scene& scene, int index) {
    return MessageStartEvent{index, "assistant", scene.conversation.stage, scene.conversation.mood, std::nullopt};
  }

  // Stores one finished part of the reply and reports it.
  Result<store::Message> StorePart(const Scene& scene, const Plan& plan, const std::string& text, size_t index,
                                   bool incomplete, int64_t started_ms, const TurnSink& sink,
                                   const llm::Usage& usage = {}) {
    store::Message message;
    message.conversation_id = scene.conversation.id;
    message.parent_id = plan.parent_id;
    message.role = store::MessageRole::kAssistant;
    message.content = text;
    message.stage = scene.conversation.stage;
    message.incomplete = incomplete;
    message.latency_ms = clock.NowMillis() - started_ms;
    message.prompt_tokens = usage.prompt_tokens;
    message.completion_tokens = usage.completion_tokens;
    json metadata = plan.metadata;
    metadata["part"] = index;
    metadata["mood"] = scene.conversation.mood;
    message.metadata_json = metadata.dump();
    TROUPE_ASSIGN_OR_RETURN(store::Message stored, store.messages().Append(std::move(message)));
    Emit(sink, MessageEndEvent{static_cast<int>(index), stored});
    if (options.on_message_stored) options.on_message_stored(scene.conversation, stored);
    return stored;
  }

  // Generates, streams, splits and stores the character's reply.
  Result<Generated> Generate(Scene& scene, const Plan& plan, const TurnOptions& turn, const TurnSink& sink) {
    const Stage* stage = StageOf(scene);
    if (stage == nullptr) return Status(StatusCode::kInternal, "the flow has no stages");
    TROUPE_ASSIGN_OR_RETURN(llm::Provider * provider, ProviderFor(scene, *stage, turn));

    llm::ChatRequest request;
    request.sampling = Overlay(stage->sampling, turn.sampling);
    if (request.sampling.max_tokens <= 0) request.sampling.max_tokens = static_cast<int>(options.reply_tokens);
    TROUPE_ASSIGN_OR_RETURN(PromptInputs inputs,
                            BuildInputs(scene, *stage, plan, *provider, request.sampling.max_tokens));
    TROUPE_ASSIGN_OR_RETURN(AssembledPrompt prompt, AssemblePrompt(inputs, *provider));
    request.messages = std::move(prompt.messages);
    request.stop = UserTurnStopStrings(scene.user_name);
    for (std::string& end : provider->TurnEndStrings()) request.stop.push_back(std::move(end));
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
    const int64_t started = clock.NowMillis();

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
          began_at.push_back(clock.NowMillis());
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
          const int64_t pause = TypingDelayMs(text, style) - (clock.NowMillis() - began_at[i]);
          if (pause > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause));
        }
        Emit(sink, StartOf(scene, static_cast<int>(i)));
        Emit(sink, DeltaEvent{static_cast<int>(i), text});
      } else {
        start_live();
      }
      TROUPE_ASSIGN_OR_RETURN(store::Message stored,
                              StorePart(scene, stored_plan, text, i, last && generated.incomplete, started, sink,
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

  void AfterTurn(Scene& scene) {
    Result<store::Conversation> fresh = store.conversations().Get(scene.conversation.id);
    if (fresh.ok()) scene.conversation = *fresh;
    MaybeEnqueueSummary(scene);
  }

  // The newest summary's coverage; nullopt when there is none (or the store fails: a summary is
  // then simply written again).
  std::optional<int64_t> CoveredUntil(int64_t conversation_id) {
    Result<store::Memory> summary = store.memories().LatestSummary(conversation_id);
    return summary.ok() ? summary->covers_until_message_id : std::nullopt;
  }

  // Enqueues a summary job once `summary.threshold` messages could be folded beyond what the
  // newest summary covers and what an earlier job was already asked to fold (kept in the
  // conversation's metadata as memory.summary_requested_through, so turns that come while a job
  // waits do not pile up duplicates). Memory upkeep never fails a turn.
  void MaybeEnqueueSummary(Scene& scene) {
    const SummaryPolicy& policy = options.summary;
    if (policy.threshold <= 0 || scene.conversation.message_count < policy.threshold + policy.keep_recent) return;
    std::optional<int64_t> from = CoveredUntil(scene.conversation.id);
    json metadata = ParseObject(scene.conversation.metadata_json);
    if (auto memory = metadata.find("memory"); memory != metadata.end() && memory->is_object()) {
      if (auto requested = memory->find("summary_requested_through");
          requested != memory->end() && requested->is_number_integer()) {
        from = std::max(from.value_or(0), requested->get<int64_t>());
      }
    }
    Result<std::vector<store::Message>> history = store.messages().Latest(
        scene.conversation.id, std::max(options.history_window, policy.threshold + policy.keep_recent + 1));
    if (!history.ok()) return;
    const std::vector<store::Message> foldable = FoldableMessages(*history, from, policy.keep_recent);
    if (static_cast<int>(foldable.size()) < policy.threshold) return;

    store::NewJob job;
    job.kind = std::string(kSummarizeJob);
    job.payload_json = json{{"conversation_id", scene.conversation.id}, {"through_message_id", foldable.back().id}}.dump();
    if (!store.jobs().Enqueue(job).ok()) return;
    metadata["memory"]["summary_requested_through"] = foldable.back().id;
    store::Conversation updated = scene.conversation;
    updated.metadata_json = metadata.dump();
    if (Result<store::Conversation> written = store.conversations().UpdateState(updated); written.ok()) {
      scene.conversation = *written;
    }
    if (options.on_job_enqueued) options.on_job_enqueued();
  }

  void Done(const TurnSink& sink, const Scene& scene, const Generated& generated) {
    Emit(sink, DoneEvent{generated.usage, scene.conversation, generated.incomplete});
  }

  Result<std::vector<store::Message>> History(int64_t conversation_id) {
    return store.messages().Latest(conversation_id, options.history_window);
  }

  // Proactive bookkeeping lives in the conversation's metadata under "proactive".
  struct ProactiveBook {
    int unanswered = 0;
    int sent_today = 0;
    std::string day;  // UTC date of sent_today
  };

  static std::string UtcDay(int64_t millis) {
    const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[16];
    std::strftime(text, sizeof(text), "%Y-%m-%d", &tm);
    return text;
  }

  ProactiveBook BookOf(const store::Conversation& conversation) {
    ProactiveBook book;
    json metadata = ParseObject(conversation.metadata_json);
    if (auto it = metadata.find("proactive"); it != metadata.end() && it->is_object()) {
      book.unanswered = it->value("unanswered", 0);
      book.day = it->value("day", std::string());
      book.sent_today = it->value("sent_today", 0);
    }
    if (book.day != UtcDay(clock.NowMillis())) book.sent_today = 0;
    return book;
  }

  static std::string WithBook(const std::string& metadata_json, const ProactiveBook& book) {
    json metadata = ParseObject(metadata_json);
    metadata["proactive"] = {{"unanswered", book.unanswered}, {"sent_today", book.sent_today}, {"day", book.day}};
    return metadata.dump();
  }

  std::optional<int64_t> ProactiveDueAt(const Scene& scene) {
    const Stage* stage = StageOf(scene);
    if (stage == nullptr || !stage->proactive) return std::nullopt;
    const ProactiveBook book = BookOf(scene.conversation);
    return NextProactiveAt(*stage->proactive, scene.conversation.last_activity_at, book.unanswered, book.sent_today,
                           clock.NowMillis());
  }
};

ChatRuntime::ChatRuntime(store::Store& store, ProviderResolver providers, RuntimeOptions options)
    : state_(std::make_unique<State>(store, std::move(providers), std::move(options))) {}

ChatRuntime::~ChatRuntime() = default;

Result<store::Message> ChatRuntime::AddUserMessage(int64_t conversation_id, std::string text) {
  State& s = *state_;
  if (Trimmed(text).empty()) return Status(StatusCode::kInvalidArgument, "the message is empty", "content");
  std::lock_guard lock(s.LockFor(conversation_id));
  TROUPE_ASSIGN_OR_RETURN(store::Conversation conversation, s.store.conversations().Get(conversation_id));
  TROUPE_RETURN_IF_ERROR(State::RequireActive(conversation));
  Result<std::vector<store::Message>> last = s.store.messages().Latest(conversation_id, 1);
  store::Message message;
  message.conversation_id = conversation_id;
  if (last.ok() && !last->empty()) message.parent_id = last->back().id;
  message.role = store::MessageRole::kUser;
  message.sentiment = EstimateSentiment(text);
  message.content = std::move(text);
  message.stage = conversation.stage;
  TROUPE_ASSIGN_OR_RETURN(store::Message stored, s.store.messages().Append(std::move(message)));

  // The user spoke: affinity moves with their tone, and proactive backoff starts over.
  conversation.affinity = std::clamp(
      conversation.affinity + *stored.sentiment * kAffinityPerSentiment + kAffinityPerExchange, -1.0, 1.0);
  State::ProactiveBook book = s.BookOf(conversation);
  book.unanswered = 0;
  book.day = State::UtcDay(s.clock.NowMillis());
  conversation.metadata_json = State::WithBook(conversation.metadata_json, book);
  if (Result<store::Conversation> updated = s.store.conversations().UpdateState(conversation); !updated.ok()) {
    spdlog::warn("conversation {}: state not updated: {}", conversation_id, updated.status().ToString());
  }
  return stored;
}

Result<TurnOutcome> ChatRuntime::Reply(int64_t conversation_id, const TurnOptions& options, const TurnSink& sink) {
  State& s = *state_;
  std::lock_guard lock(s.LockFor(conversation_id));
  TROUPE_ASSIGN_OR_RETURN(State::Scene scene, s.LoadScene(conversation_id, options));
  TROUPE_RETURN_IF_ERROR(State::RequireActive(scene.conversation));
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> history, s.History(conversation_id));
  if (history.empty()) {
    return Status(StatusCode::kFailedPrecondition, "conversation " + std::to_string(conversation_id) +
                                                       " has no messages to reply to; open it first");
  }
  // Idle time is measured up to the user's message: the gap before it, not the seconds since.
  int64_t idle_ms = 0;
  if (history.size() >= 2) idle_ms = history.back().created_at - history[history.size() - 2].created_at;
  TROUPE_RETURN_IF_ERROR(s.AdvanceFlow(scene, history, idle_ms).status());

  State::Plan plan;
  plan.history = std::move(history);
  plan.parent_id = plan.history.back().id;
  TROUPE_ASSIGN_OR_RETURN(State::Generated generated, s.Generate(scene, plan, options, sink));
  s.AfterTurn(scene);
  s.Done(sink, scene, generated);
  return TurnOutcome{std::move(generated.messages), scene.conversation, generated.usage, generated.incomplete};
}

Result<TurnOutcome> ChatRuntime::Open(int64_t conversation_id, int greeting, const TurnOptions& options,
                                      const TurnSink& sink) {
  State& s = *state_;
  std::lock_guard lock(s.LockFor(conversation_id));
  TROUPE_ASSIGN_OR_RETURN(State::Scene scene, s.LoadScene(conversation_id, options));
  TROUPE_RETURN_IF_ERROR(State::RequireActive(scene.conversation));
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> existing, s.store.messages().Latest(conversation_id, 1));
  TurnOutcome outcome;
  outcome.conversation = scene.conversation;
  if (!existing.empty()) {
    s.Done(sink, scene, {});
    return outcome;
  }
  TROUPE_RETURN_IF_ERROR(s.AdvanceFlow(scene, {}, 0).status());
  const store::Character& character = scene.character;
  if (greeting > static_cast<int>(character.alternate_greetings.size())) {
    return Status(StatusCode::kInvalidArgument,
                  "greeting " + std::to_string(greeting) + " does not exist: the card has " +
                      std::to_string(character.alternate_greetings.size()) + " alternate greetings",
                  "greeting");
  }
  const std::string& written = greeting == 0 ? character.first_mes : character.alternate_greetings[greeting - 1];
  const Stage* stage = s.StageOf(scene);
  if (!Trimmed(written).empty()) {
    State::Plan plan;
    plan.metadata["greeting"] = greeting;
    const std::string text = ExpandMacros(written, {character.name, scene.user_name});
    s.Emit(sink, State::StartOf(scene, 0));
    s.Emit(sink, DeltaEvent{0, text});
    TROUPE_ASSIGN_OR_RETURN(store::Message stored, s.StorePart(scene, plan, text, 0, false, s.clock.NowMillis(), sink));
    outcome.messages.push_back(stored);
  } else if (stage != nullptr && stage->opens_conversation) {
    State::Plan plan;
    plan.metadata["opening"] = true;
    plan.closing_instruction =
        "Open the conversation: write {{char}}'s first message to {{user}}, who has just arrived.";
    TROUPE_ASSIGN_OR_RETURN(State::Generated generated, s.Generate(scene, plan, options, sink));
    outcome.messages = std::move(generated.messages);
    outcome.usage = generated.usage;
    outcome.incomplete = generated.incomplete;
  }
  s.AfterTurn(scene);
  outcome.conversation = scene.conversation;
  s.Done(sink, scene, {{}, outcome.usage, outcome.incomplete, ""});
  return outcome;
}

Result<TurnOutcome> ChatRuntime::Regenerate(int64_t conversation_id, int64_t message_id, const TurnOptions& options,
                                            const TurnSink& sink) {
  State& s = *state_;
  std::lock_guard lock(s.LockFor(conversation_id));
  TROUPE_ASSIGN_OR_RETURN(State::Scene scene, s.LoadScene(conversation_id, options));
  TROUPE_RETURN_IF_ERROR(State::RequireActive(scene.conversation));
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> history, s.History(conversation_id));
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

  State::Plan plan;
  plan.history = history;
  plan.parent_id = first.parent_id;
  plan.split = false;
  // Streamed like any reply, but stored as the new alternative of the first message instead of
  // as new messages: generate into a sink that forwards everything except the storing.
  std::string text;
  llm::Usage usage;
  bool incomplete = false;
  {
    const Stage* stage = s.StageOf(scene);
    if (stage == nullptr) return Status(StatusCode::kInternal, "the flow has no stages");
    TROUPE_ASSIGN_OR_RETURN(llm::Provider * provider, s.ProviderFor(scene, *stage, options));
    llm::ChatRequest request;
    request.sampling = Overlay(stage->sampling, options.sampling);
    if (request.sampling.max_tokens <= 0) request.sampling.max_tokens = static_cast<int>(s.options.reply_tokens);
    // A different draw than the reply it replaces.
    if (!request.sampling.seed) request.sampling.seed = static_cast<uint64_t>(s.clock.NowMillis()) + swipes.size();
    TROUPE_ASSIGN_OR_RETURN(PromptInputs inputs,
                            s.BuildInputs(scene, *stage, plan, *provider, request.sampling.max_tokens));
    TROUPE_ASSIGN_OR_RETURN(AssembledPrompt prompt, AssemblePrompt(inputs, *provider));
    request.messages = std::move(prompt.messages);
    request.stop = UserTurnStopStrings(scene.user_name);
    for (std::string& end : provider->TurnEndStrings()) request.stop.push_back(std::move(end));
    std::atomic<bool> cancel{false};
    request.cancel = &cancel;
    MessageStartEvent start = State::StartOf(scene, 0);
    start.regenerating = first.id;
    s.Emit(sink, start);
    llm::ChatCallbacks callbacks;
    callbacks.on_delta = [&](std::string_view delta) {
      if (options.cancel != nullptr && options.cancel->load()) cancel = true;
      s.Emit(sink, DeltaEvent{0, std::string(delta)});
    };
    Result<llm::ChatResult> result = provider->Chat(request, callbacks);
    if (!result.ok()) {
      s.Emit(sink, ErrorEvent{result.status(), std::nullopt});
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
  TROUPE_ASSIGN_OR_RETURN(store::Message updated, s.store.messages().Patch(first.id, patch));
  // The other parts of the old reply now live inside the first one's first alternative.
  // They stay stored (nothing acknowledged is lost) but leave the history prompts see.
  for (size_t i = 1; i < group.size(); ++i) {
    json part = ParseObject(group[i].metadata_json);
    if (part.contains("superseded_by")) continue;
    part["superseded_by"] = first.id;
    store::MessagePatch superseded;
    superseded.metadata_json = part.dump();
    if (Result<store::Message> marked = s.store.messages().Patch(group[i].id, superseded); !marked.ok()) {
      spdlog::warn("message {}: not marked superseded after regenerate: {}", group[i].id, marked.status().ToString());
    }
  }
  s.Emit(sink, MessageEndEvent{0, updated});
  if (s.options.on_message_stored) s.options.on_message_stored(scene.conversation, updated);
  s.AfterTurn(scene);
  s.Done(sink, scene, {{}, usage, incomplete, ""});
  return TurnOutcome{{updated}, scene.conversation, usage, incomplete};
}

Result<store::Message> ChatRuntime::SelectSwipe(int64_t message_id, int index) {
  State& s = *state_;
  TROUPE_ASSIGN_OR_RETURN(store::Message message, s.store.messages().Get(message_id));
  std::lock_guard lock(s.LockFor(message.conversation_id));
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
  return s.store.messages().Patch(message_id, patch);
}

Result<store::Message> ChatRuntime::EditMessage(int64_t message_id, std::string content) {
  State& s = *state_;
  if (Trimmed(content).empty()) return Status(StatusCode::kInvalidArgument, "the message is empty", "content");
  TROUPE_ASSIGN_OR_RETURN(store::Message message, s.store.messages().Get(message_id));
  std::lock_guard lock(s.LockFor(message.conversation_id));
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
  return s.store.messages().Patch(message_id, patch);
}

Result<int> ChatRuntime::ScanProactive() {
  State& s = *state_;
  const int64_t now = s.clock.NowMillis();
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Conversation> idle,
                          s.store.conversations().ListIdle(store::ConversationStatus::kActive,
                                                           now - s.options.proactive_min_idle_ms,
                                                           s.options.proactive_scan_limit));
  int enqueued = 0;
  for (const store::Conversation& conversation : idle) {
    if (conversation.message_count == 0) continue;  // never opened: nobody to write to yet
    Result<State::Scene> scene = s.LoadScene(conversation.id, {});
    if (!scene.ok()) continue;
    std::optional<int64_t> due = s.ProactiveDueAt(*scene);
    if (!due || *due > now) continue;
    store::NewJob job;
    job.kind = std::string(kProactiveJob);
    // One job per conversation and break: a second scan before the job runs enqueues a duplicate
    // that finds the message written and does nothing.
    job.payload_json = json{{"conversation_id", conversation.id}, {"due_at", *due}}.dump();
    if (s.store.jobs().Enqueue(job).ok()) ++enqueued;
  }
  if (enqueued > 0 && s.options.on_job_enqueued) s.options.on_job_enqueued();
  return enqueued;
}

Result<std::optional<TurnOutcome>> ChatRuntime::WriteProactive(int64_t conversation_id) {
  State& s = *state_;
  std::lock_guard lock(s.LockFor(conversation_id));
  TurnOptions options;
  options.typing_delays = false;
  TROUPE_ASSIGN_OR_RETURN(State::Scene scene, s.LoadScene(conversation_id, options));
  if (scene.conversation.status != store::ConversationStatus::kActive) return std::optional<TurnOutcome>();
  std::optional<int64_t> due = s.ProactiveDueAt(scene);
  if (!due || *due > s.clock.NowMillis()) return std::optional<TurnOutcome>();
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> history, s.History(conversation_id));
  const int64_t idle_ms = history.empty() ? 0 : s.clock.NowMillis() - history.back().created_at;
  TROUPE_RETURN_IF_ERROR(s.AdvanceFlow(scene, history, idle_ms).status());
  const Stage* stage = s.StageOf(scene);
  if (stage == nullptr || !stage->proactive) return std::optional<TurnOutcome>();

  State::Plan plan;
  plan.history = std::move(history);
  if (!plan.history.empty()) plan.parent_id = plan.history.back().id;
  plan.metadata["proactive"] = true;
  plan.closing_instruction = stage->proactive->prompt.empty()
                                 ? "{{user}} has been away for a while. Write {{char}}'s message reaching out to "
                                   "{{user}} first, in character, picking up from what you talked about."
                                 : stage->proactive->prompt;
  TROUPE_ASSIGN_OR_RETURN(State::Generated generated, s.Generate(scene, plan, options, {}));

  Result<store::Conversation> fresh = s.store.conversations().Get(conversation_id);
  if (fresh.ok()) scene.conversation = *fresh;
  State::ProactiveBook book = s.BookOf(scene.conversation);
  book.unanswered += 1;
  book.sent_today += 1;
  book.day = State::UtcDay(s.clock.NowMillis());
  scene.conversation.metadata_json = State::WithBook(scene.conversation.metadata_json, book);
  TROUPE_ASSIGN_OR_RETURN(scene.conversation, s.store.conversations().UpdateState(scene.conversation));
  return std::optional<TurnOutcome>(
      TurnOutcome{std::move(generated.messages), scene.conversation, generated.usage, generated.incomplete});
}

Result<std::optional<store::Memory>> ChatRuntime::Summarize(int64_t conversation_id,
                                                             const std::function<bool(double)>& progress) {
  State& s = *state_;
  const SummaryPolicy& policy = s.options.summary;
  // No conversation lock: turns go on while the model summarises; the summary covers messages
  // that a turn never changes (the newest keep_recent are never folded).
  TROUPE_ASSIGN_OR_RETURN(State::Scene scene, s.LoadScene(conversation_id, {}));
  std::string previous;
  std::optional<int64_t> covered;
  if (Result<store::Memory> summary = s.store.memories().LatestSummary(conversation_id); summary.ok()) {
    previous = summary->content;
    covered = summary->covers_until_message_id;
  } else if (summary.status().code() != StatusCode::kNotFound) {
    return summary.status();
  }
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> history,
                          s.store.messages().Latest(conversation_id, std::max(policy.max_messages, policy.keep_recent + 1)));
  const std::vector<store::Message> foldable = FoldableMessages(history, covered, policy.keep_recent);
  // A job enqueued twice, or one that finds the work done by another: nothing to fold.
  if (foldable.empty() || static_cast<int>(foldable.size()) < std::max(1, policy.threshold)) {
    return std::optional<store::Memory>();
  }

  llm::Provider* provider = nullptr;
  if (!s.options.summary_provider.empty()) {
    TROUPE_ASSIGN_OR_RETURN(provider, s.providers(s.options.summary_provider));
  } else {
    const Stage* stage = s.StageOf(scene);
    if (stage == nullptr) return Status(StatusCode::kInternal, "the flow has no stages");
    TROUPE_ASSIGN_OR_RETURN(provider, s.ProviderFor(scene, *stage, {}));
  }
  TROUPE_ASSIGN_OR_RETURN(std::string text, WriteSummary(*provider, scene.character.name, scene.user_name, previous,
                                                         foldable, policy, progress));
  store::Memory memory;
  memory.conversation_id = conversation_id;
  memory.kind = store::MemoryKind::kSummary;
  memory.content = text.size() > store::MemoryRepository::kMaxMemoryBytes
                       ? text.substr(0, store::MemoryRepository::kMaxMemoryBytes)
                       : std::move(text);
  memory.covers_until_message_id = foldable.back().id;
  TROUPE_ASSIGN_OR_RETURN(store::Memory stored, s.store.memories().Create(std::move(memory)));
  return std::optional<store::Memory>(std::move(stored));
}

Result<nlohmann::json> ChatRuntime::RunJob(const store::Job& job, const std::function<bool(double)>& progress) {
  json payload = json::parse(job.payload_json, nullptr, false);
  if (!payload.is_object() || !payload.contains("conversation_id") || !payload["conversation_id"].is_number_integer()) {
    return Status(StatusCode::kInvalidArgument, "job " + std::to_string(job.id) + " names no conversation_id",
                  "payload.conversation_id");
  }
  const int64_t conversation_id = payload["conversation_id"].get<int64_t>();
  if (progress && !progress(0.0)) return json{{"cancelled", true}};
  if (job.kind == kProactiveJob) {
    TROUPE_ASSIGN_OR_RETURN(std::optional<TurnOutcome> outcome, WriteProactive(conversation_id));
    json ids = json::array();
    if (outcome) {
      for (const store::Message& message : outcome->messages) ids.push_back(message.id);
    }
    return json{{"written", outcome.has_value()}, {"message_ids", ids}};
  }
  if (job.kind == kSummarizeJob) {
    TROUPE_ASSIGN_OR_RETURN(std::optional<store::Memory> summary, Summarize(conversation_id, progress));
    if (!summary) return json{{"written", false}};
    return json{{"written", true},
                {"memory_id", summary->id},
                {"covers_until_message_id", *summary->covers_until_message_id}};
  }
  return Status(StatusCode::kInvalidArgument, "the chat runtime runs no job of kind '" + job.kind + "'", "kind");
}

}  // namespace troupe::chat
