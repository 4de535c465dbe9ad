// Internal to the chat runtime: the tools a reply offers and the rounds of calls it makes between
// its steps (reply_stream.cpp runs the loop: the model asks, the calls run, their results go back
// as `tool` messages, the model goes on, up to RuntimeOptions::max_tool_steps rounds).
//
// Which tools: with an intent catalog, those of the intent the user's message was routed to (none
// for chit-chat, for a human's message or for an unrouted one); without one, every tool the card
// defines. A call of a tool not offered is refused and the model told so.
//
// Tools that change something (`confirm: true`) never run on the model's word alone: the call is
// not made, the model is told to ask, and the call is kept in the reply's metadata
// ("tool_confirmation"). The user's next message answers it: yes runs it before that reply is
// generated, no declines it; anything unclear leaves it unanswered (it lapses). A call runs once:
// a reply regenerated after a yes finds its outcome in the audit and does not call again.
//
// Every call is reported (ToolCallEvent, ToolResultEvent) and audited in the store.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/reply_stream.h"
#include "chat/tools/confirmation.h"
#include "chat/tools/http_tool.h"
#include "chat/turn_context.h"
#include "llm/provider.h"

namespace troupe::chat::internal {

// A confirm-first call waiting for the user's answer.
struct PendingCall {
  llm::ToolCall call;
  std::string intent;
  int64_t asked_on = 0;  // the user's message whose reply asked (call ids are unique only per turn)
  nlohmann::json ToJson() const;
  static std::optional<PendingCall> FromJson(const nlohmann::json& json);
};

struct ToolOffer {
  std::vector<tools::HttpTool> tools;
  std::string first_choice = "auto";  // the first step's tool_choice: "auto" or "required"
  std::string intent;                 // the routed intent ("" when none)
  std::optional<int64_t> answered_message_id;  // the user's message the reply answers
  std::map<std::string, std::string> caller;   // {caller.NAME} in the tools' URLs and headers
  // A confirm-first call the user's message answers, and how.
  std::optional<PendingCall> pending;
  tools::ConfirmationAnswer answer = tools::ConfirmationAnswer::kUnclear;

  std::vector<llm::ToolDefinition> Definitions() const;
  const tools::HttpTool* Find(const std::string& name) const;
};

// What the reply may call, from the scene and the history it answers. Empty without a runner.
ToolOffer OfferTools(const TurnContext& context, const Scene& scene, const Plan& plan);

// What one round adds: to the request, the assistant's turn with its calls and a `tool` message
// per call; to the reply's metadata, a line per call; and a call now waiting for the user's yes.
struct ToolRound {
  std::vector<llm::ChatMessage> messages;
  nlohmann::json calls = nlohmann::json::array();  // [{"call_id", "tool", "outcome"}]
  std::optional<PendingCall> pending;
};

// Carries out `calls` one after another on the runtime's workers and the runner's loop; `done`
// runs once, on a worker. `assistant_text` is what the model wrote before calling.
void RunToolRound(TurnContext& context, int64_t conversation_id, const ToolOffer& offer, std::string assistant_text,
                  std::vector<llm::ToolCall> calls, TurnSink sink, std::function<void(ToolRound)> done);

// The pending call the user's message answered: run (yes) or declined (no), as a round of one,
// `done` on a worker. False, and `done` never runs, when there is nothing to resolve (no pending
// call, or an unclear answer).
bool ResolvePendingCall(TurnContext& context, int64_t conversation_id, const ToolOffer& offer, TurnSink sink,
                        std::function<void(ToolRound)> done);

}  // namespace troupe::chat::internal
