// Experiments in the runtime: what each kind of variant changes, which variant a new conversation
// plays, and the checks an experiment passes before it is stored.
//
// Kinds: "flow" (a variant's flow YAML replaces the character's), "prompt" (its system prompt
// replaces the card's) and "character" (another stored character plays the conversation). A
// variant without its field plays the character as it is, which is what a control usually does.
// The split is by end user: the same user always gets the same variant of an experiment, so a
// returning user's experience does not change under them and "came back" measures one variant;
// the shares follow the variants' weights. A conversation keeps its variant for its whole life,
// also after the experiment stops, until the experiment is deleted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace troupe::chat {

enum class ExperimentKind { kFlow, kPrompt, kCharacter };
std::optional<ExperimentKind> ParseExperimentKind(std::string_view text);  // "flow", "prompt", "character"
std::string_view NameOf(ExperimentKind kind);

struct ExperimentVariant {
  std::string name;
  double weight = 1;
  std::string flow;                     // kFlow: YAML ("" = the character's own)
  std::string system_prompt;            // kPrompt ("" = the card's own)
  std::optional<int64_t> character_id;  // kCharacter (none = the experiment's character)
};

inline constexpr size_t kMaxExperimentVariants = 8;

// The variants of an experiment of `kind`: a JSON array of 2..8 objects with a unique non-empty
// "name", an optional positive "weight" (1), and only the field the kind uses. kInvalidArgument
// naming the field, e.g. "variants[1].system_prompt".
Result<std::vector<ExperimentVariant>> ParseVariants(ExperimentKind kind, std::string_view variants_json);
std::string VariantsToJson(const std::vector<ExperimentVariant>& variants);

// The experiment as a whole, against the store: a known kind and metric ("length", "return",
// "rating", "resolution"), return_days 1..365, variants that parse, each flow valid for the
// character's traits (the minors' safety gate included) and each other character stored.
// kInvalidArgument / kNotFound naming the field.
Status CheckExperiment(store::Store& store, const store::ExperimentRecord& experiment);

// The variant user `user_id` plays in experiment `experiment_id`: a hash of the two, so it never
// changes and users spread over the variants in proportion to their weights.
int PickVariant(int64_t experiment_id, int64_t user_id, const std::vector<ExperimentVariant>& variants);

struct StartedConversation {
  store::Conversation conversation;
  std::optional<store::ExperimentAssignment> assignment;  // none: its character runs no experiment
};
// Creates the conversation and, when its character runs an experiment, assigns its variant. The
// conversation stands even if the assignment fails (the experiment stopped meanwhile): it then
// plays the character as it is and is not counted in the experiment.
Result<StartedConversation> StartConversation(store::Store& store, store::Conversation conversation);

}  // namespace troupe::chat
