// A character draft as JSON and back: the brief, each step's output as the object its schema
// describes, and which steps are stale. This is what a generation job's checkpoint and result, the
// API and the web wizard carry between calls. Reading puts every step through ApplyStepReply, so
// a draft edited by hand is checked exactly as a generated one is.
//
//   {"brief": {"theme": "...", "audience": "...", "role": "companion"},
//    "steps": {"concept": {...}, "background": {...}, ...},   // the steps present
//    "stale": ["speech"]}
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "studio/character_steps.h"

namespace troupe::studio {

// Ordered: each step keeps its properties in the order generated, which later prompts quote, so a
// draft read back prompts exactly as the original.
nlohmann::ordered_json DraftToJson(const CharacterDraft& draft);

// The bounds a draft edited by an operator is held to: the generous ones (a large model's), since
// what a person writes is not limited by the context of the model that drafted it.
TextLimits EditedDraftLimits();

// kInvalidArgument whose field starts with `field` ("draft.brief.theme", "draft.steps.concept.age",
// "draft.stale[0]") saying what is wrong: a missing or blank brief, an unknown step, a step whose
// output breaks its schema or `limits`.
Result<CharacterDraft> DraftFromJson(const nlohmann::ordered_json& json, const TextLimits& limits,
                                     std::string_view field = "draft");

}  // namespace troupe::studio
