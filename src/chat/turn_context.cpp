// The scene a turn plays in and the steps every kind of turn shares (turn_context.h).
#include "chat/turn_context.h"

#include "chat/tools/card_tools.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "base/text.h"
#include "chat/intents/standalone_catalog.h"
#include "chat/summary_jobs.h"
#include "chat/tools/card_tools.h"

namespace troupe::chat::internal {

using nlohmann::json;

json ParseObject(const std::string& text) {
  json value = json::parse(text, nullptr, false);
  return value.is_object() ? value : json::object();
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

void Emit(const TurnSink& sink, const TurnEvent& event) {
  if (sink) sink(event);
}

MessageStartEvent StartOf(const Scene& scene, int index) {
  return MessageStartEvent{index, "assistant", scene.conversation.stage, scene.conversation.mood, std::nullopt};
}

TurnContext::TurnContext(store::Store& store, ProviderResolver providers, RuntimeOptions options)
    : store(store),
      providers(std::move(providers)),
      options(std::move(options)),
      clock(this->options.clock != nullptr ? *this->options.clock : SystemClock::Instance()),
      // Unbounded: every task is a step of a turn already admitted, which must not be dropped.
      workers("turn", std::max(this->options.worker_threads, 1), 0),
      turns(this->options.limits, [this](std::function<void()> task) { Post(std::move(task)); }),
      intake(store.messages()) {
  if (this->options.reply_media) {
    // Unbounded like the workers: each task is a step of an admitted turn (or a studio preview).
    media_workers = std::make_unique<TaskPool>("media", std::max(this->options.media_threads, 1), 0);
  }
}

bool TurnContext::PostMedia(std::function<void()> task) {
  return media_workers != nullptr && media_workers->Post(std::move(task));
}

void TurnContext::Post(std::function<void()> task) {
  if (!workers.Post(std::move(task))) {
    // Only after Shutdown has drained the workers; by then no turn is left to continue.
    spdlog::error("a turn step was posted after the chat runtime stopped; dropped");
  }
}

void TurnContext::Track(const std::shared_ptr<TurnHandle>& turn) {
  std::lock_guard lock(live_mutex_);
  live_.emplace(turn.get(), turn);
}

void TurnContext::Untrack(const TurnHandle* turn) {
  std::lock_guard lock(live_mutex_);
  live_.erase(turn);
}

void TurnContext::CancelAll() {
  std::vector<std::shared_ptr<TurnHandle>> running;
  {
    std::lock_guard lock(live_mutex_);
    for (const auto& [key, turn] : live_) {
      if (std::shared_ptr<TurnHandle> alive = turn.lock()) running.push_back(std::move(alive));
    }
  }
  // Outside the lock: a cancelled pause posts its continuation, which may end the turn.
  for (const std::shared_ptr<TurnHandle>& turn : running) turn->Cancel();
}

namespace {

// Trains the router of the character's intent catalog: the card's own, else a standalone one under
// the intents directory (a catalog of a few hundred examples takes well under a second; the parts
// cache keeps it until the character or the catalog's files change).
Result<std::shared_ptr<const intents::IntentRouter>> RouterOf(const store::Character& character,
                                                              const std::filesystem::path& catalogs_dir,
                                                              const std::vector<tools::HttpTool>& tools) {
  std::string field = "extensions.troupe.intents";
  auto refused = [&](const Status& status) {
    return Status(StatusCode::kFailedPrecondition,
                  "character " + std::to_string(character.id) + "'s intent catalog does not load: " + status.message(),
                  field);
  };
  Result<std::optional<intents::IntentCatalog>> catalog = intents::CatalogFromExtensions(character.extensions_json);
  if (!catalog.ok()) return refused(catalog.status());
  if (!catalog->has_value()) {
    Result<std::optional<intents::StandaloneCatalog>> standalone =
        intents::LoadStandaloneCatalog(catalogs_dir, character.slug);
    if (!standalone.ok()) return refused(standalone.status());
    if (!standalone->has_value()) return std::shared_ptr<const intents::IntentRouter>();
    field = (*standalone)->path;
    if (Status uses = tools::CheckIntentTools((*standalone)->catalog, tools, field); !uses.ok()) return refused(uses);
    *catalog = std::move((*standalone)->catalog);
  }
  Result<std::shared_ptr<const intents::IntentRouter>> router = intents::IntentRouter::Build(std::move(**catalog));
  if (!router.ok()) return refused(router.status());
  return router;
}

}  // namespace

Result<CharacterParts> TurnContext::PartsOf(const store::Character& character) {
  {
    std::lock_guard lock(parts_mutex_);
    auto it = parts_.find(character.id);
    if (it != parts_.end() && it->second.version == character.version &&
        it->second.catalog_stamp == intents::StandaloneCatalogStamp(options.intent_catalogs_dir, character.slug)) {
      return it->second;
    }
  }
  CharacterParts fresh;
  fresh.version = character.version;
  fresh.catalog_stamp = intents::StandaloneCatalogStamp(options.intent_catalogs_dir, character.slug);
  if (TrimSpace(character.flow).empty()) {
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
  Result<std::vector<tools::HttpTool>> tools = tools::ToolsFromExtensions(character.extensions_json);
  if (!tools.ok()) {
    return Status(StatusCode::kFailedPrecondition,
                  "character " + std::to_string(character.id) + "'s tools do not load: " + tools.status().message(),
                  tools.status().field());
  }
  fresh.tools = std::make_shared<const std::vector<tools::HttpTool>>(std::move(tools).value());
  TROUPE_ASSIGN_OR_RETURN(fresh.router, RouterOf(character, options.intent_catalogs_dir, *fresh.tools));
  std::lock_guard lock(parts_mutex_);
  parts_[character.id] = fresh;
  return fresh;
}

Result<Scene> TurnContext::LoadScene(int64_t conversation_id, const TurnOptions& turn) {
  TROUPE_ASSIGN_OR_RETURN(store::Conversation conversation, store.conversations().Get(conversation_id));
  return LoadScene(std::move(conversation), turn);
}

Result<Scene> TurnContext::LoadScene(store::Conversation conversation, const TurnOptions& turn) {
  Scene scene;
  scene.conversation = std::move(conversation);
  TROUPE_ASSIGN_OR_RETURN(scene.character, store.characters().Get(scene.conversation.character_id));
  TROUPE_ASSIGN_OR_RETURN(scene.parts, PartsOf(scene.character));
  TROUPE_RETURN_IF_ERROR(PlayVariant(scene));
  scene.user_name = turn.user_name;
  if (scene.user_name.empty()) {
    Result<store::User> user = store.users().Get(scene.conversation.user_id);
    if (user.ok() && !user->display_name.empty()) scene.user_name = user->display_name;
  }
  if (scene.user_name.empty()) scene.user_name = "User";
  return scene;
}

Result<Scene> TurnContext::RefreshScene(const Scene& admitted) {
  Scene scene = admitted;
  TROUPE_ASSIGN_OR_RETURN(scene.conversation, store.conversations().Get(admitted.conversation.id));
  return scene;
}

Status TurnContext::RequireActive(const store::Conversation& conversation) {
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

ConversationSignals TurnContext::SignalsOf(const store::Conversation& conversation,
                                           const std::vector<store::Message>& history,
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

bool TurnContext::MoveFlow(Scene& scene, const std::vector<store::Message>& history, int64_t idle_ms) {
  const Flow& flow = *scene.parts.flow;
  FlowState state{scene.conversation.stage, scene.conversation.mood};
  // The same seed for the conversation's whole life: Advance mixes in the stage and the message
  // count's period itself, so the mood holds within a stage and changes when the flow says.
  const uint64_t seed = static_cast<uint64_t>(scene.conversation.id);
  FlowStep step = Advance(flow, state, SignalsOf(scene.conversation, history, idle_ms), seed);
  if (step.state.stage == scene.conversation.stage && step.state.mood == scene.conversation.mood) return false;
  scene.conversation.stage = step.state.stage;
  scene.conversation.mood = step.state.mood;
  return true;
}

Result<store::Conversation> TurnContext::AdvanceFlow(Scene& scene, const std::vector<store::Message>& history,
                                                     int64_t idle_ms) {
  if (!MoveFlow(scene, history, idle_ms)) return scene.conversation;
  TROUPE_ASSIGN_OR_RETURN(scene.conversation, store.conversations().UpdateState(scene.conversation));
  return scene.conversation;
}

const Stage* TurnContext::StageOf(const Scene& scene) {
  const Flow& flow = *scene.parts.flow;
  const Stage* stage = flow.FindStage(scene.conversation.stage);
  return stage != nullptr ? stage : flow.FindStage(flow.start);
}

Result<llm::Provider*> TurnContext::ProviderFor(const Scene& scene, const Stage& stage, const TurnOptions& turn) {
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

Result<std::vector<store::Message>> TurnContext::History(int64_t conversation_id) {
  return store.messages().Latest(conversation_id, options.history_window);
}

void TurnContext::AfterTurn(Scene& scene) {
  Result<store::Conversation> fresh = store.conversations().Get(scene.conversation.id);
  if (fresh.ok()) scene.conversation = *fresh;
  MaybeEnqueueSummary(*this, scene);
}

}  // namespace troupe::chat::internal
