// Internal to the chat runtime: how the character's reply is generated, streamed, split into
// messages like a person's and stored. The first message streams as the model writes it; later
// ones are announced (TypingEvent) as soon as they begin and shown after a pause proportional to
// their length; each is stored as it completes, with what went into its prompt. A provider that
// fails or a client that leaves keeps what was written, the last part marked incomplete.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/prompt.h"
#include "chat/turn_context.h"

namespace troupe::chat::internal {

// What one generation needs beyond the scene.
struct Plan {
  std::vector<store::Message> history;  // oldest first; may be empty (an opening message)
  bool history_is_whole = false;        // the conversation has no message older than `history`
  std::optional<int64_t> parent_id;
  std::string closing_instruction;
  bool split = true;
  bool tools = true;  // false: the reply calls no tools (it tells the user a human takes over)
  std::optional<double> predicted_handoff;  // the outcome predictor's, when it ran
  nlohmann::json metadata = nlohmann::json::object();  // stored with every part
};

struct Generated {
  std::vector<store::Message> messages;
  llm::Usage usage;
  bool incomplete = false;
  std::string text;  // every part, joined by blank lines
};

// The prompt's inputs for the scene's stage: card, stage and mood, pinned memories and the newest
// summary (the messages it covers leave the history), recalled messages, lorebook hits.
Result<PromptInputs> BuildInputs(TurnContext& context, const Scene& scene, const Stage& stage, const Plan& plan,
                                 const llm::Provider& provider, int64_t reply_tokens);

// What a reply sends: the scene's stage, its provider, the sampling (the turn's over the stage's,
// max_tokens defaulting to the runtime's reply_tokens), the assembled prompt and the stop strings.
struct PreparedReply {
  const Stage* stage = nullptr;
  llm::Provider* provider = nullptr;
  llm::ChatRequest request;  // everything but `cancel`
  PromptInputs inputs;
  AssembledPrompt prompt;    // its messages are moved into `request`; the counts stay
};
// kInternal for a flow without stages; the provider's and prompt assembly's errors.
Result<PreparedReply> PrepareReply(TurnContext& context, const Scene& scene, const Plan& plan, const TurnOptions& turn);

// Stores part `index` of a reply, reports MessageEndEvent and tells RuntimeOptions::on_message_stored.
Result<store::Message> StorePart(TurnContext& context, const Scene& scene, const Plan& plan, const std::string& text,
                                 size_t index, bool incomplete, int64_t started_ms, const TurnSink& sink,
                                 const llm::Usage& usage = {});

class TurnControl;  // chat/turn_control.h
using GeneratedHandler = std::function<void(Result<Generated>)>;

// Generates, streams, splits and stores the character's reply; returns at once, and `done` runs
// once, on a worker, when every part is stored. On a provider's failure the parts written are
// stored (the last marked incomplete), an ErrorEvent is reported and `done` gets the error. A
// cancelled turn stops the provider, skips the remaining typing pauses and stores what was written,
// marked incomplete. The scene must stay unchanged by others until `done`.
void GenerateReply(TurnContext& context, std::shared_ptr<Scene> scene, Plan plan, TurnOptions turn, TurnSink sink,
                   std::shared_ptr<TurnControl> control, GeneratedHandler done);
// The same, waiting on the calling thread (a job's, never a worker's); `scene` is updated.
Result<Generated> GenerateReplyAndWait(TurnContext& context, Scene& scene, const Plan& plan, const TurnOptions& turn,
                                       const TurnSink& sink);

}  // namespace troupe::chat::internal
