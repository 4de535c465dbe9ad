// Internal to the chat runtime: a reply answered from a response template (templates/). When the
// user's message matches a template of the character's catalog (templates/template_match.h), the
// reply runs the intent's tools as usual but shows nothing of those steps; then the template's
// slots are filled (this turn's tool results, the customer's profile, the model for the rest,
// template_values.h) and the model is asked to say the rendered template in the conversation's
// tone. The reply shown and stored keeps every fact and value of the template (CheckFacts), or it
// is the rendered template itself. The outcome is kept in the reply's metadata under "template".
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/reply_stream.h"
#include "chat/templates/response_template.h"
#include "chat/turn_context.h"
#include "chat/turn_control.h"

namespace troupe::chat::internal {

struct TemplatedReply {
  std::string intent;
  templates::ResponseTemplate response;
  std::string matched_by;  // "intent" | "similarity"
  double score = 0;
  templates::SlotValues values;
  std::string rendered;
  bool facts_kept = false;
  bool fallback = false;   // the reply is the rendered template, the model's text having lost a fact

  // {name, intent, matched_by, score, values, facts_kept, fallback}
  nlohmann::json ToJson() const;
};

// The template answering the plan's last message (a user's, routed), if any matches.
std::optional<TemplatedReply> MatchTemplate(const Scene& scene, const Plan& plan);

// Fills what the profile and `tool_results` (JSON texts) can; nothing else.
void FillKnownValues(TurnContext& context, const Scene& scene, const std::vector<std::string>& tool_results,
                     TemplatedReply& reply);

// Asks `provider` for the slots still unfilled (at once when none are), with `prompt` as what the
// model knows; `done` runs once, on a worker, with the reply rendered. A failed or cancelled call
// leaves those slots unfilled ("{slot}" in the rendered text).
void FillWithModel(TurnContext& context, llm::Provider& provider, std::vector<llm::ChatMessage> prompt,
                   const std::shared_ptr<TurnControl>& control, TemplatedReply reply,
                   std::function<void(TemplatedReply)> done);

// The instruction that asks the model to say the rendered template in its own tone.
std::string TemplateInstruction(const TemplatedReply& reply);

// The model's reply checked: `written` when it keeps every fact and value, else the rendered
// template; `reply` records which.
std::string CheckedReplyText(TemplatedReply& reply, const std::string& written);

// The scalar fields of the tool results a reply got, to keep with it ("tool_values") so a later
// render for an agent finds them; `tool_messages` are the rounds' messages, `calls` their outcomes.
nlohmann::json ToolValues(const std::vector<llm::ChatMessage>& tool_messages, const nlohmann::json& calls);

// The results of the ok calls among `tool_messages` (JSON texts).
std::vector<std::string> OkToolResults(const std::vector<llm::ChatMessage>& tool_messages,
                                       const nlohmann::json& calls);

}  // namespace troupe::chat::internal
