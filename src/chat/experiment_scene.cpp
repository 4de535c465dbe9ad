// The scene of a conversation assigned to an experiment's variant (turn_context.h, PlayVariant).
#include <utility>

#include "chat/experiments.h"
#include "chat/turn_context.h"

namespace troupe::chat::internal {

struct TurnContext::PlayedExperiment {
  ExperimentKind kind = ExperimentKind::kFlow;
  std::vector<ExperimentVariant> variants;
  std::vector<std::shared_ptr<const Flow>> flows;  // per variant; null: the character's own
};

Result<std::shared_ptr<const TurnContext::PlayedExperiment>> TurnContext::ExperimentOf(int64_t experiment_id) {
  {
    std::lock_guard lock(experiments_mutex_);
    auto known = experiments_.find(experiment_id);
    if (known != experiments_.end()) return known->second;
  }
  Result<store::ExperimentRecord> record = store.experiments().Get(experiment_id);
  if (!record.ok()) {
    // Deleted since the assignment was read: the conversation plays the character as it is.
    if (record.status().code() == StatusCode::kNotFound) return std::shared_ptr<const PlayedExperiment>();
    return record.status();
  }
  auto played = std::make_shared<PlayedExperiment>();
  const std::optional<ExperimentKind> kind = ParseExperimentKind(record->kind);
  Result<std::vector<ExperimentVariant>> variants =
      kind ? ParseVariants(*kind, record->variants_json) : Result<std::vector<ExperimentVariant>>(InvalidArgument("kind"));
  if (!variants.ok()) {
    return Status(StatusCode::kFailedPrecondition, "experiment " + std::to_string(experiment_id) +
                                                       "'s variants do not load: " + variants.status().message(),
                  variants.status().field());
  }
  played->kind = *kind;
  played->variants = std::move(variants).value();
  for (const ExperimentVariant& variant : played->variants) {
    std::shared_ptr<const Flow> flow;
    if (!variant.flow.empty()) {
      Result<Flow> parsed = ParseFlow(variant.flow);
      if (!parsed.ok()) {
        return Status(StatusCode::kFailedPrecondition, "experiment " + std::to_string(experiment_id) + "'s variant '" +
                                                           variant.name + "' has a flow that does not load: " +
                                                           parsed.status().message(),
                      "flow");
      }
      flow = std::make_shared<const Flow>(std::move(parsed).value());
    }
    played->flows.push_back(std::move(flow));
  }
  std::lock_guard lock(experiments_mutex_);
  return experiments_.try_emplace(experiment_id, std::move(played)).first->second;
}

Status TurnContext::PlayVariant(Scene& scene) {
  TROUPE_ASSIGN_OR_RETURN(std::optional<store::ExperimentAssignment> assignment,
                          store.experiments().AssignmentOf(scene.conversation.id));
  if (!assignment) return Status::Ok();
  TROUPE_ASSIGN_OR_RETURN(std::shared_ptr<const PlayedExperiment> played, ExperimentOf(assignment->experiment_id));
  if (played == nullptr || assignment->variant < 0 ||
      static_cast<size_t>(assignment->variant) >= played->variants.size()) {
    return Status::Ok();
  }
  const auto index = static_cast<size_t>(assignment->variant);
  const ExperimentVariant& variant = played->variants[index];
  switch (played->kind) {
    case ExperimentKind::kFlow:
      if (played->flows[index] != nullptr) scene.parts.flow = played->flows[index];
      break;
    case ExperimentKind::kPrompt:
      if (!variant.system_prompt.empty()) scene.character.system_prompt = variant.system_prompt;
      break;
    case ExperimentKind::kCharacter:
      if (variant.character_id && *variant.character_id != scene.character.id) {
        TROUPE_ASSIGN_OR_RETURN(scene.character, store.characters().Get(*variant.character_id));
        TROUPE_ASSIGN_OR_RETURN(scene.parts, PartsOf(scene.character));
      }
      break;
  }
  return Status::Ok();
}

}  // namespace troupe::chat::internal
