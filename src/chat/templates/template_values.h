// Where a response template's slot values come from, in this order: the turn's tool results (a
// field named like the slot, at any depth, the shallowest first), the customer's profile
// (display_name for "name"/"customer_name"/"display_name", segment for "segment", and any
// scalar field of the profile's metadata named like the slot), and the LLM for the rest, asked for
// a JSON object whose properties are exactly the unfilled slots (a JSON-Schema-constrained answer).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chat/templates/response_template.h"
#include "llm/provider.h"
#include "store/records.h"

namespace troupe::chat::templates {

// Fills the slots of `response` not yet in `values` from tool results (each a JSON text; others
// are skipped), newest last: a later result wins.
void FillFromToolResults(const ResponseTemplate& response, const std::vector<std::string>& results_json,
                         SlotValues& values);

// Fills the slots not yet in `values` from the customer's profile.
void FillFromProfile(const ResponseTemplate& response, const store::User& user, SlotValues& values);

// The flat scalar fields of a tool's JSON result, by name ("a.b" for nested objects too, and the
// last part alone); lists are skipped. What the runtime keeps of a turn's tool results so an
// agent's render later finds them. Empty for text that is not a JSON object.
SlotValues ScalarFields(std::string_view result_json);

// The request asking the model to fill `unfilled` of `response`, given `context` (the
// conversation so far as the model saw it). The answer is constrained to a JSON object with one
// non-empty string per slot.
llm::ChatRequest FillRequest(const ResponseTemplate& response, const std::vector<std::string>& unfilled,
                             std::vector<llm::ChatMessage> context);

// The values of the model's answer to FillRequest added to `values` (those it left empty are not);
// an answer that is not such a JSON object adds nothing.
void AddModelValues(std::string_view answer_json, const std::vector<std::string>& unfilled, SlotValues& values);

}  // namespace troupe::chat::templates
