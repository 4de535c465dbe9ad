// Edits go onto the YAML tree rather than through chat::Flow so that every field the flow has
// (sampling, reply style, moods, proactive breaks) survives; only what an edit names changes.
#include "studio/flow_optimizer.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "llm/json_schema_check.h"
#include "studio/line_diff.h"
#include "studio/structured_reply.h"

namespace troupe::studio {
namespace {

using EditJson = nlohmann::ordered_json;

// 0 keeps the stage's message count; the rest are what the model may choose from.
const std::vector<int64_t> kEditMessageChoices = {0, 2, 4, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100};

std::string Figure(const std::optional<double>& value, const char* format, double scale = 1) {
  if (!value) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), format, *value * scale);
  return text;
}

Result<std::string> Normalized(std::string_view flow_yaml) {
  try {
    YAML::Emitter out;
    out.SetDoublePrecision(6);
    out << YAML::Load(std::string(flow_yaml));
    return std::string(out.c_str()) + "\n";
  } catch (const YAML::Exception& error) {
    return InvalidArgument(std::string("flow: ") + error.what(), "flow");
  }
}

// The first transition of `stage` whose `when` has messages_at_least, or a null node.
YAML::Node MessageTransition(YAML::Node stage) {
  YAML::Node transitions = stage["transitions"];
  if (!transitions || !transitions.IsSequence()) return YAML::Node();
  for (YAML::Node transition : transitions) {
    YAML::Node when = transition["when"];
    if (when && when.IsMap() && when["messages_at_least"]) return when;
  }
  return YAML::Node();
}

Status CheckEditedFlow(std::string_view yaml, const chat::CharacterTraits& traits) {
  Result<chat::Flow> flow = chat::ParseFlow(yaml);
  Status valid = flow.ok() ? chat::ValidateFlow(*flow, traits) : flow.status();
  if (!valid.ok()) return InvalidArgument("flow: " + valid.message(), "flow." + valid.field());
  return Status::Ok();
}

}  // namespace

std::string PerformanceSummary(const StageFunnel& funnel) {
  // The share of replies users regenerated, when any stage has replies: small models' context is
  // short, so a column of dashes is left out.
  const bool swipes = std::any_of(funnel.stages.begin(), funnel.stages.end(),
                                  [](const FunnelStage& stage) { return stage.regenerated_rate.has_value(); });
  std::string text = swipes ? "stage | reached | lost | sentiment | rating | regenerated\n"
                            : "stage | reached | lost | sentiment | rating\n";
  for (const FunnelStage& stage : funnel.stages) {
    text += stage.name + " | " + std::to_string(stage.reached) + " | " + Figure(stage.drop_off_rate, "%.0f%%", 100) +
            " | " + Figure(stage.sentiment_mean, "%.2f") + " | " + Figure(stage.rating_mean, "%.2f");
    if (swipes) text += " | " + Figure(stage.regenerated_rate, "%.0f%%", 100);
    text += "\n";
  }
  return text;
}

std::string FlowEditSchema(const chat::Flow& flow, const TextLimits& limits, int max_edits) {
  EditJson names = EditJson::array();
  for (const chat::Stage& stage : flow.stages) names.push_back(stage.name);
  const EditJson edit = {{"type", "object"},
                     {"properties",
                      {{"stage", {{"type", "string"}, {"enum", names}}},
                       {"prompt", {{"type", "string"}, {"maxLength", limits.long_text}}},
                       {"messages_at_least", {{"type", "integer"}, {"enum", kEditMessageChoices}}},
                       {"reason", {{"type", "string"}, {"minLength", 1}, {"maxLength", limits.short_text}}}}},
                     {"required", {"stage", "prompt", "messages_at_least", "reason"}},
                     {"additionalProperties", false}};
  return EditJson{{"type", "object"},
              {"properties", {{"edits", {{"type", "array"}, {"items", edit}, {"minItems", 1}, {"maxItems", max_edits}}}}},
              {"required", {"edits"}},
              {"additionalProperties", false}}
      .dump();
}

// The stages as the model sees them: each name with its prompt cut to a share of the budget, so a
// long flow still leaves a small model room to answer.
std::string StageListing(const chat::Flow& flow, const TextLimits& limits) {
  const size_t share = std::max<size_t>(20, static_cast<size_t>(limits.context_chars) / std::max<size_t>(1, flow.stages.size()));
  std::string text;
  for (const chat::Stage& stage : flow.stages) {
    std::string prompt = stage.prompt.size() > share ? stage.prompt.substr(0, share) + "..." : stage.prompt;
    for (char& c : prompt) {
      if (c == '\n') c = ' ';
    }
    text += "- " + stage.name + ": " + prompt + "\n";
  }
  return text;
}

std::vector<llm::ChatMessage> FlowEditPrompt(const chat::Flow& flow, const StageFunnel& funnel,
                                             const TextLimits& limits) {
  const std::string system =
      "Improve a chat character's conversation flow where users are lost (share lost before the next "
      "stage) or unhappy (sentiment and rating, -1 to 1). Per edit: a stage, a new prompt (\"\" keeps it), "
      "messages before moving on (0 keeps it), a one-line reason. Answer with JSON.";
  const std::string user = "Stages:\n" + StageListing(flow, limits) + "\nPerformance:\n" + PerformanceSummary(funnel);
  return std::vector<llm::ChatMessage>{{"system", system, "", {}, ""}, {"user", user, "", {}, ""}};
}

Result<std::vector<FlowEdit>> ReadFlowEdits(std::string_view reply, const chat::Flow& flow, const TextLimits& limits,
                                            int max_edits) {
  TROUPE_RETURN_IF_ERROR(llm::CheckAgainstSchema(FlowEditSchema(flow, limits, max_edits), reply, "edits"));
  const EditJson value = EditJson::parse(reply, nullptr, false);
  std::vector<FlowEdit> edits;
  for (const EditJson& item : value["edits"]) {
    FlowEdit edit;
    edit.stage = item["stage"].get<std::string>();
    edit.prompt = item["prompt"].get<std::string>();
    if (edit.prompt.find_first_not_of(" \t\r\n") == std::string::npos) edit.prompt.clear();
    if (const int64_t messages = item["messages_at_least"].get<int64_t>(); messages > 0) edit.messages_at_least = messages;
    edit.reason = item["reason"].get<std::string>();
    edits.push_back(std::move(edit));
  }
  return edits;
}

Result<std::string> ApplyFlowEdits(std::string_view flow_yaml, const std::vector<FlowEdit>& edits,
                                   const chat::CharacterTraits& traits) {
  TROUPE_RETURN_IF_ERROR(CheckEditedFlow(flow_yaml, traits));
  YAML::Node root = YAML::Load(std::string(flow_yaml));
  for (size_t i = 0; i < edits.size(); ++i) {
    const FlowEdit& edit = edits[i];
    YAML::Node stage = root["stages"][edit.stage];
    if (!stage || !stage.IsMap()) {
      const std::string field = "edits[" + std::to_string(i) + "].stage";
      return InvalidArgument(field + ": the flow has no stage '" + edit.stage + "'", field);
    }
    if (!edit.prompt.empty()) stage["prompt"] = edit.prompt;
    if (edit.messages_at_least) {
      if (YAML::Node when = MessageTransition(stage)) when["messages_at_least"] = *edit.messages_at_least;
    }
  }
  YAML::Emitter out;
  out.SetDoublePrecision(6);
  out << root;
  std::string edited = std::string(out.c_str()) + "\n";
  TROUPE_RETURN_IF_ERROR(CheckEditedFlow(edited, traits));
  return edited;
}

Result<FlowProposal> ProposeFlowEdits(llm::Provider& provider, std::string_view flow_yaml,
                                      const chat::CharacterTraits& traits, const StageFunnel& funnel,
                                      const FlowOptimizerOptions& options) {
  TROUPE_RETURN_IF_ERROR(CheckEditedFlow(flow_yaml, traits));
  TROUPE_ASSIGN_OR_RETURN(const chat::Flow flow, chat::ParseFlow(flow_yaml));
  FlowProposal proposal;
  TROUPE_ASSIGN_OR_RETURN(proposal.yaml_before, Normalized(flow_yaml));
  StructuredQuestion question;
  question.what = "edits";
  question.messages = FlowEditPrompt(flow, funnel, options.limits);
  question.schema_name = "flow_edits";
  question.schema_json = FlowEditSchema(flow, options.limits, options.max_edits);
  question.temperature = options.temperature;
  question.seed = options.seed * 1000003ULL;
  question.max_tokens = options.max_tokens;
  question.attempts = options.attempts;
  question.cancel = options.cancel;
  question.on_attempt = options.on_attempt;
  TROUPE_RETURN_IF_ERROR(AskForJson(provider, question, [&](std::string_view reply) -> Status {
                           TROUPE_ASSIGN_OR_RETURN(proposal.edits,
                                                   ReadFlowEdits(reply, flow, options.limits, options.max_edits));
                           TROUPE_ASSIGN_OR_RETURN(proposal.yaml_after, ApplyFlowEdits(flow_yaml, proposal.edits, traits));
                           return Status::Ok();
                         }).status());
  proposal.diff = UnifiedDiff(proposal.yaml_before, proposal.yaml_after, "flow", "flow (proposed)");
  return proposal;
}

}  // namespace troupe::studio
