// Internal to the chat runtime (runtime.cpp and the turn modules beside it: reply_stream,
// alternatives, proactive_turns, summary_jobs). What every kind of turn reads and the steps they
// share: the store, providers, options and clock; the scene a turn plays in (the conversation, the
// character with its parsed flow and lorebook, the user's name); moving the flow along; choosing
// the stage's provider; reporting events; the runtime's workers and its turn queue. Thread-safe: the
// caches lock themselves, and turns of one conversation are ordered by the queue.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/flow.h"
#include "chat/intents/intent_router.h"
#include "chat/tools/http_tool.h"
#include "chat/lorebook.h"
#include "chat/message_intake.h"
#include "base/task_pool.h"
#include "chat/runtime.h"
#include "chat/turn_events.h"
#include "chat/turn_queue.h"

namespace troupe::chat::internal {

// A JSON object from stored text; anything else (bad JSON, not an object) is an empty object.
nlohmann::json ParseObject(const std::string& text);
// `base` with every field `over` sets taken from it.
llm::Sampling Overlay(llm::Sampling base, const std::optional<llm::Sampling>& over);

// A character's parsed flow and lorebook, and the intent router trained on its catalog, kept
// while its version is unchanged.
struct CharacterParts {
  int64_t version = 0;
  std::shared_ptr<const Flow> flow;
  std::shared_ptr<const Lorebook> lorebook;          // null when the card has none
  std::shared_ptr<const intents::IntentRouter> router;  // null when the character has no intent catalog
  std::string catalog_stamp;  // of its standalone catalog (intents/standalone_catalog.h); "" when none
  std::shared_ptr<const std::vector<tools::HttpTool>> tools;  // the card's (null: none)
};

// Everything a turn reads before it generates.
struct Scene {
  store::Conversation conversation;
  store::Character character;
  std::string user_name;
  CharacterParts parts;
};

void Emit(const TurnSink& sink, const TurnEvent& event);
// The start of message `index` of a reply in the scene's stage and mood.
MessageStartEvent StartOf(const Scene& scene, int index);

struct TurnContext {
  TurnContext(store::Store& store, ProviderResolver providers, RuntimeOptions options);

  store::Store& store;
  ProviderResolver providers;
  RuntimeOptions options;
  const Clock& clock;

  // Hands `task` to the runtime's workers (turn steps: store reads and writes, prompt assembly).
  void Post(std::function<void()> task);
  TaskPool workers;
  // Threads that make reply media and the studio's previews (blocking calls: speech synthesis,
  // image APIs); null without RuntimeOptions::reply_media. False when they are stopping.
  bool PostMedia(std::function<void()> task);
  std::unique_ptr<TaskPool> media_workers;
  TurnQueue turns;
  // Where users' messages are stored, many at once.
  MessageIntake intake;
  // Turns admitted and not yet over, so Shutdown can cancel them.
  void Track(const std::shared_ptr<TurnHandle>& turn);
  void Untrack(const TurnHandle* turn);
  void CancelAll();

  // kFailedPrecondition naming the field when the stored flow or lorebook no longer loads.
  Result<CharacterParts> PartsOf(const store::Character& character);
  Result<Scene> LoadScene(int64_t conversation_id, const TurnOptions& turn);
  // The scene of a conversation the caller has read; an experiment's variant already played.
  Result<Scene> LoadScene(store::Conversation conversation, const TurnOptions& turn);
  // Plays the conversation's experiment variant (experiments.h), if it has one: another flow,
  // system prompt or character. experiment_scene.cpp.
  Status PlayVariant(Scene& scene);
  // The scene a turn admitted with `admitted` plays in when it runs: the conversation as it is now
  // (earlier turns and the user's message changed it), the character and names as admitted.
  Result<Scene> RefreshScene(const Scene& admitted);
  // kFailedPrecondition for a conversation handed to a human or closed.
  static Status RequireActive(const store::Conversation& conversation);
  // The signals the flow's transitions read, from the recent history.
  ConversationSignals SignalsOf(const store::Conversation& conversation, const std::vector<store::Message>& history,
                                int64_t idle_ms);
  // Moves the scene's conversation along its flow, in memory only; true when the stage or mood
  // changed.
  bool MoveFlow(Scene& scene, const std::vector<store::Message>& history, int64_t idle_ms);
  // MoveFlow, and writes the state when it changed.
  Result<store::Conversation> AdvanceFlow(Scene& scene, const std::vector<store::Message>& history, int64_t idle_ms);
  // The conversation's stage, or the flow's start when it has none the flow knows.
  const Stage* StageOf(const Scene& scene);
  // The turn's, else the stage's, else the character's provider (extensions.troupe.provider).
  Result<llm::Provider*> ProviderFor(const Scene& scene, const Stage& stage, const TurnOptions& turn);
  // The most recent messages a prompt may use, oldest first.
  Result<std::vector<store::Message>> History(int64_t conversation_id);
  // After a turn stored its messages: the conversation as stored now, and the summary job when due.
  void AfterTurn(Scene& scene);

 private:
  std::mutex live_mutex_;
  std::map<const TurnHandle*, std::weak_ptr<TurnHandle>> live_;  // guarded by live_mutex_
  std::mutex parts_mutex_;
  std::map<int64_t, CharacterParts> parts_;  // guarded by parts_mutex_
  // Experiments by id with their variants parsed: variants never change once stored, and ids are
  // never reused, so an entry stays true.
  struct PlayedExperiment;
  Result<std::shared_ptr<const PlayedExperiment>> ExperimentOf(int64_t experiment_id);
  std::mutex experiments_mutex_;
  std::map<int64_t, std::shared_ptr<const PlayedExperiment>> experiments_;  // guarded by experiments_mutex_
};

}  // namespace troupe::chat::internal
