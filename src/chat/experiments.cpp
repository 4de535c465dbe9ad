// Experiment variants, the split of users over them, and conversations started with one
// (experiments.h).
#include "chat/experiments.h"

#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/split_mix64.h"
#include "chat/flow.h"

namespace troupe::chat {

namespace {

using ExperimentJson = nlohmann::json;

constexpr int64_t kMaxReturnDays = 365;

std::string VariantField(size_t index, std::string_view field) {
  return "variants[" + std::to_string(index) + "]" + (field.empty() ? "" : "." + std::string(field));
}

// The one field a variant of `kind` may carry.
std::string_view PayloadField(ExperimentKind kind) {
  switch (kind) {
    case ExperimentKind::kFlow:
      return "flow";
    case ExperimentKind::kPrompt:
      return "system_prompt";
    case ExperimentKind::kCharacter:
      return "character_id";
  }
  return "";
}

Result<ExperimentVariant> ParseVariant(ExperimentKind kind, const ExperimentJson& item, size_t index) {
  if (!item.is_object()) return InvalidArgument("a variant is an object", VariantField(index, ""));
  ExperimentVariant variant;
  for (const auto& [key, value] : item.items()) {
    const std::string field = VariantField(index, key);
    if (key == "name") {
      if (!value.is_string() || value.get<std::string>().empty() || value.get<std::string>().size() > 80) {
        return InvalidArgument("a variant's name is a string of 1 to 80 characters", field);
      }
      variant.name = value.get<std::string>();
    } else if (key == "weight") {
      if (!value.is_number() || !(value.get<double>() > 0) || value.get<double>() > 1000) {
        return InvalidArgument("a variant's weight is a number above 0 and at most 1000", field);
      }
      variant.weight = value.get<double>();
    } else if (key != PayloadField(kind)) {
      return InvalidArgument("a variant of a " + std::string(NameOf(kind)) + " experiment has no field '" + key +
                                 "' (it takes name, weight and " + std::string(PayloadField(kind)) + ")",
                             field);
    } else if (kind == ExperimentKind::kCharacter) {
      if (!value.is_number_integer() || value.get<int64_t>() < 1) {
        return InvalidArgument("character_id is a character's id", field);
      }
      variant.character_id = value.get<int64_t>();
    } else {
      if (!value.is_string() || value.get<std::string>().empty()) {
        return InvalidArgument(key + " is non-empty text (leave it out to play the character as it is)", field);
      }
      (kind == ExperimentKind::kFlow ? variant.flow : variant.system_prompt) = value.get<std::string>();
    }
  }
  if (variant.name.empty()) return InvalidArgument("every variant needs a name", VariantField(index, "name"));
  return variant;
}

bool KnownMetric(std::string_view metric) {
  return metric == "length" || metric == "return" || metric == "rating" || metric == "resolution";
}

}  // namespace

std::optional<ExperimentKind> ParseExperimentKind(std::string_view text) {
  if (text == "flow") return ExperimentKind::kFlow;
  if (text == "prompt") return ExperimentKind::kPrompt;
  if (text == "character") return ExperimentKind::kCharacter;
  return std::nullopt;
}

std::string_view NameOf(ExperimentKind kind) {
  switch (kind) {
    case ExperimentKind::kFlow:
      return "flow";
    case ExperimentKind::kPrompt:
      return "prompt";
    case ExperimentKind::kCharacter:
      return "character";
  }
  return "flow";
}

Result<std::vector<ExperimentVariant>> ParseVariants(ExperimentKind kind, std::string_view variants_json) {
  const ExperimentJson parsed = ExperimentJson::parse(variants_json, nullptr, false);
  if (!parsed.is_array()) return InvalidArgument("variants are a JSON array of objects", "variants");
  if (parsed.size() < 2 || parsed.size() > kMaxExperimentVariants) {
    return InvalidArgument("an experiment has 2 to " + std::to_string(kMaxExperimentVariants) +
                               " variants (the first is the control); got " + std::to_string(parsed.size()),
                           "variants");
  }
  std::vector<ExperimentVariant> variants;
  std::set<std::string, std::less<>> names;
  for (size_t i = 0; i < parsed.size(); ++i) {
    TROUPE_ASSIGN_OR_RETURN(ExperimentVariant variant, ParseVariant(kind, parsed[i], i));
    if (!names.insert(variant.name).second) {
      return InvalidArgument("two variants are named '" + variant.name + "'", VariantField(i, "name"));
    }
    variants.push_back(std::move(variant));
  }
  return variants;
}

std::string VariantsToJson(const std::vector<ExperimentVariant>& variants) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ExperimentVariant& variant : variants) {
    nlohmann::ordered_json item = {{"name", variant.name}, {"weight", variant.weight}};
    if (!variant.flow.empty()) item["flow"] = variant.flow;
    if (!variant.system_prompt.empty()) item["system_prompt"] = variant.system_prompt;
    if (variant.character_id) item["character_id"] = *variant.character_id;
    out.push_back(std::move(item));
  }
  return out.dump();
}

Status CheckExperiment(store::Store& store, const store::ExperimentRecord& experiment) {
  const std::optional<ExperimentKind> kind = ParseExperimentKind(experiment.kind);
  if (!kind) return InvalidArgument("kind is one of flow, prompt, character; got '" + experiment.kind + "'", "kind");
  if (!KnownMetric(experiment.metric)) {
    return InvalidArgument("metric is one of length, return, rating, resolution; got '" + experiment.metric + "'",
                           "metric");
  }
  if (experiment.return_days < 1 || experiment.return_days > kMaxReturnDays) {
    return InvalidArgument("return_days is a whole number of days from 1 to 365", "return_days");
  }
  if (experiment.planned_trials < 0) return InvalidArgument("planned_trials must not be negative", "planned_trials");
  TROUPE_ASSIGN_OR_RETURN(std::vector<ExperimentVariant> variants, ParseVariants(*kind, experiment.variants_json));
  Result<store::Character> character = store.characters().Get(experiment.character_id);
  if (!character.ok()) {
    if (character.status().code() != StatusCode::kNotFound) return character.status();
    return Status(StatusCode::kNotFound, "character " + std::to_string(experiment.character_id) + " not found",
                  "character_id");
  }
  const CharacterTraits traits = TraitsFromExtensions(character->extensions_json);
  for (size_t i = 0; i < variants.size(); ++i) {
    const ExperimentVariant& variant = variants[i];
    if (!variant.flow.empty()) {
      const std::string field = VariantField(i, "flow");
      Result<Flow> flow = ParseFlow(variant.flow);
      if (!flow.ok()) return InvalidArgument(field + ": " + flow.status().message(), field);
      if (Status valid = ValidateFlow(*flow, traits); !valid.ok()) {
        return InvalidArgument(field + ": " + valid.message(), field);
      }
    }
    if (variant.character_id) {
      Result<store::Character> other = store.characters().Get(*variant.character_id);
      if (!other.ok()) {
        if (other.status().code() != StatusCode::kNotFound) return other.status();
        return Status(StatusCode::kNotFound, "character " + std::to_string(*variant.character_id) + " not found",
                      VariantField(i, "character_id"));
      }
    }
  }
  return Status::Ok();
}

int PickVariant(int64_t experiment_id, int64_t user_id, const std::vector<ExperimentVariant>& variants) {
  if (variants.empty()) return 0;
  uint64_t state = static_cast<uint64_t>(experiment_id);
  state = SplitMix64(state) ^ static_cast<uint64_t>(user_id);
  // A point in [0, 1), then the variant whose share of the weights holds it.
  const double point = UnitInterval(SplitMix64(state));
  double total = 0;
  for (const ExperimentVariant& variant : variants) total += variant.weight;
  double reached = 0;
  for (size_t i = 0; i < variants.size(); ++i) {
    reached += variants[i].weight / total;
    if (point < reached) return static_cast<int>(i);
  }
  return static_cast<int>(variants.size() - 1);
}

Result<StartedConversation> StartConversation(store::Store& store, store::Conversation conversation) {
  StartedConversation started;
  TROUPE_ASSIGN_OR_RETURN(started.conversation, store.conversations().Create(std::move(conversation)));
  Result<std::optional<store::ExperimentRecord>> running = store.experiments().Running(started.conversation.character_id);
  if (!running.ok() || !running->has_value()) return started;
  const store::ExperimentRecord& experiment = **running;
  const std::optional<ExperimentKind> kind = ParseExperimentKind(experiment.kind);
  if (!kind) return started;
  Result<std::vector<ExperimentVariant>> variants = ParseVariants(*kind, experiment.variants_json);
  if (!variants.ok()) return started;
  store::ExperimentAssignment assignment;
  assignment.conversation_id = started.conversation.id;
  assignment.experiment_id = experiment.id;
  assignment.variant = PickVariant(experiment.id, started.conversation.user_id, *variants);
  if (store.experiments().Assign(assignment).ok()) started.assignment = assignment;
  return started;
}

}  // namespace troupe::chat
