// The model chooses what it is good at (names, prompts, pacing from fixed menus); the structure
// that must hold for the validator (a start, reachable stages, no cycles, no romance) is built
// here, so a small model cannot produce a flow that breaks it.
#include "studio/flow_generation.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>

#include <nlohmann/json.hpp>

#include "chat/flow.h"
#include "llm/json_schema_check.h"
#include "studio/structured_reply.h"

namespace troupe::studio {
namespace {

using FlowJson = nlohmann::ordered_json;

constexpr int kFlowMinStagesBound = 2;
constexpr int kFlowMaxStagesBound = 12;
constexpr size_t kStageNameChars = 40;
// The menus the model picks pacing from: messages a stage lasts, and the affinity it needs.
const std::vector<int64_t> kStageMessageChoices = {2, 4, 6, 8, 10, 12, 15, 20, 25, 30, 40};
const std::vector<double> kStageAffinityChoices = {0, 0.1, 0.2, 0.3, 0.4, 0.5};

FlowJson FlowText(int max_chars) { return FlowJson{{"type", "string"}, {"minLength", 1}, {"maxLength", max_chars}}; }

// Names as short as the model's other short texts: a small context holds them.
int StageNameChars(const TextLimits& limits) { return std::clamp(limits.short_text, 8, static_cast<int>(kStageNameChars)); }

Status CheckBriefText(const std::string& text, const char* field) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return InvalidArgument(std::string(field) + " must not be blank", field);
  }
  if (text.size() > kMaxBriefTextChars) {
    return InvalidArgument(std::string(field) + " must be at most " + std::to_string(kMaxBriefTextChars) + " characters",
                           field);
  }
  return Status::Ok();
}

FlowJson StageObjectSchema(const TextLimits& limits, bool with_name) {
  FlowJson properties = FlowJson::object();
  FlowJson required = FlowJson::array();
  if (with_name) {
    properties["name"] = FlowText(StageNameChars(limits));
    required.push_back("name");
  }
  properties["prompt"] = FlowText(limits.long_text);
  properties["messages"] = {{"type", "integer"}, {"enum", kStageMessageChoices}};
  properties["affinity"] = {{"type", "number"}, {"enum", kStageAffinityChoices}};
  for (const char* key : {"prompt", "messages", "affinity"}) required.push_back(key);
  return {{"type", "object"}, {"properties", properties}, {"required", required}, {"additionalProperties", false}};
}

FlowJson FlowObjectSchema(const FlowBrief& brief, const TextLimits& limits, const FlowJson& stage_items) {
  const FlowJson stages = {
      {"type", "array"}, {"items", stage_items}, {"minItems", brief.min_stages}, {"maxItems", brief.max_stages}};
  return {{"type", "object"},
          {"properties", {{"name", FlowText(StageNameChars(limits))}, {"stages", stages}}},
          {"required", {"name", "stages"}},
          {"additionalProperties", false}};
}

std::vector<llm::ChatMessage> Messages(std::string system, std::string user) {
  return std::vector<llm::ChatMessage>{{"system", std::move(system), "", {}, ""}, {"user", std::move(user), "", {}, ""}};
}

std::string UnderEighteenNote(const FlowBrief& brief) {
  return brief.minor ? " The character is under 18: friendly and age-appropriate, never romantic." : "";
}

// The stages' names made valid and unique (a repeat gets _2, _3, ...).
std::vector<std::string> UniqueStageNames(const FlowJson& stages) {
  std::vector<std::string> names;
  std::set<std::string> taken;
  for (size_t i = 0; i < stages.size(); ++i) {
    const std::string base = StageNameFrom(stages[i]["name"].get<std::string>(), i);
    std::string unique = base;
    for (int n = 2; taken.count(unique) > 0; ++n) unique = base + "_" + std::to_string(n);
    taken.insert(unique);
    names.push_back(unique);
  }
  return names;
}

std::string FlowYaml(const FlowJson& flow) {
  const FlowJson& stages = flow["stages"];
  const std::vector<std::string> names = UniqueStageNames(stages);
  YAML::Emitter out;
  out.SetDoublePrecision(6);  // 0.1, not 0.10000000000000001
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << StageNameFrom(flow["name"].get<std::string>(), 0)
      << YAML::Key << "start" << YAML::Value << names.front() << YAML::Key << "stages" << YAML::Value << YAML::BeginMap;
  int64_t total = 0;
  for (size_t i = 0; i < stages.size(); ++i) {
    total += stages[i]["messages"].get<int64_t>();
    out << YAML::Key << names[i] << YAML::Value << YAML::BeginMap << YAML::Key << "prompt" << YAML::Value
        << stages[i]["prompt"].get<std::string>();
    if (i == 0) out << YAML::Key << "opens_conversation" << YAML::Value << true;
    if (i + 1 < stages.size()) {
      out << YAML::Key << "transitions" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "to"
          << YAML::Value << names[i + 1] << YAML::Key << "when" << YAML::Value << YAML::Flow << YAML::BeginMap
          << YAML::Key << "messages_at_least" << YAML::Value << total;
      const double affinity = stages[i]["affinity"].get<double>();
      if (affinity > 0) out << YAML::Key << "affinity_at_least" << YAML::Value << affinity;
      out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

// A stage's prompt that the safety gate would refuse for a minor (checked as a one-stage flow).
Status CheckStageForMinor(const std::string& prompt) {
  chat::Flow flow;
  flow.start = "stage";
  chat::Stage stage;
  stage.name = "stage";
  stage.prompt = prompt;
  flow.stages.push_back(std::move(stage));
  return chat::ValidateFlow(flow, chat::CharacterTraits{true});
}

StructuredQuestion Question(const FlowGeneratorOptions& options, std::string what, std::string schema_name,
                            std::vector<llm::ChatMessage> messages, std::string schema, uint64_t seed_offset) {
  StructuredQuestion question;
  question.what = std::move(what);
  question.messages = std::move(messages);
  question.schema_name = std::move(schema_name);
  question.schema_json = std::move(schema);
  question.temperature = options.temperature;
  question.seed = options.seed * 1000003ULL + seed_offset * 101ULL;
  question.max_tokens = options.max_tokens;
  question.attempts = options.attempts;
  question.cancel = options.cancel;
  return question;
}

}  // namespace

Status CheckFlowBrief(const FlowBrief& brief) {
  TROUPE_RETURN_IF_ERROR(CheckBriefText(brief.topic, "topic"));
  TROUPE_RETURN_IF_ERROR(CheckBriefText(brief.goal, "goal"));
  if (brief.min_stages < kFlowMinStagesBound || brief.max_stages > kFlowMaxStagesBound ||
      brief.min_stages > brief.max_stages) {
    return InvalidArgument("stages must be a range within " + std::to_string(kFlowMinStagesBound) + ".." +
                               std::to_string(kFlowMaxStagesBound) + ", got " + std::to_string(brief.min_stages) +
                               ".." + std::to_string(brief.max_stages),
                           "stages");
  }
  return Status::Ok();
}

std::string FlowSchema(const FlowBrief& brief, const TextLimits& limits) {
  return FlowObjectSchema(brief, limits, StageObjectSchema(limits, true)).dump();
}

std::string OutlineSchema(const FlowBrief& brief, const TextLimits& limits) {
  return FlowObjectSchema(brief, limits, FlowText(StageNameChars(limits))).dump();
}

std::string StageSchema(const TextLimits& limits) { return StageObjectSchema(limits, false).dump(); }

// Short on purpose: a small model's context must hold the prompt and the reply.
std::vector<llm::ChatMessage> OutlinePrompt(const FlowBrief& brief) {
  return Messages("Design a chat character's conversation flow: the stages a relationship with the user goes "
                  "through, from a first hello to the goal. Answer with JSON: the flow's name and each stage's "
                  "short snake_case name, in order." +
                      UnderEighteenNote(brief),
                  "Topic: " + brief.topic + "\nGoal: " + brief.goal + "\nStages: " + std::to_string(brief.min_stages) +
                      " to " + std::to_string(brief.max_stages) + ".");
}

std::vector<llm::ChatMessage> StagePrompt(const FlowBrief& brief, const std::vector<std::string>& stage_names,
                                          size_t index) {
  std::string stages;
  for (size_t i = 0; i < stage_names.size(); ++i) stages += (i > 0 ? ", " : "") + stage_names[i];
  return Messages("Write one stage of a chat character's conversation flow as JSON: a prompt telling {{char}} how "
                  "to act with {{user}} at this stage, how many messages it lasts, and the affinity (0 to 0.5) "
                  "needed to move on." +
                      UnderEighteenNote(brief),
                  "Topic: " + brief.topic + "\nGoal: " + brief.goal + "\nStages: " + stages + "\nThis stage: " +
                      stage_names[index] + " (" + std::to_string(index + 1) + " of " +
                      std::to_string(stage_names.size()) + ")");
}

std::string StageNameFrom(std::string_view text, size_t index) {
  std::string name;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) && u < 128) {
      name.push_back(static_cast<char>(std::tolower(u)));
    } else if (!name.empty() && name.back() != '_') {
      name.push_back('_');
    }
    if (name.size() >= kStageNameChars) break;
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  if (name.empty()) name = "stage_" + std::to_string(index + 1);
  return name;
}

Result<std::string> FlowYamlFromReply(std::string_view reply, const FlowBrief& brief, const TextLimits& limits) {
  TROUPE_RETURN_IF_ERROR(llm::CheckAgainstSchema(FlowSchema(brief, limits), reply, "flow"));
  const std::string yaml = FlowYaml(FlowJson::parse(reply));
  Result<chat::Flow> flow = chat::ParseFlow(yaml);
  Status valid = flow.ok() ? chat::ValidateFlow(*flow, chat::CharacterTraits{brief.minor}) : flow.status();
  if (!valid.ok()) return InvalidArgument("flow: " + valid.message(), "flow." + valid.field());
  return yaml;
}

Result<GeneratedFlow> GenerateFlow(llm::Provider& provider, const FlowBrief& brief, const FlowGeneratorOptions& options) {
  TROUPE_RETURN_IF_ERROR(CheckFlowBrief(brief));
  StructuredQuestion outline_question = Question(options, "flow.outline", "flow_outline", OutlinePrompt(brief),
                                                 OutlineSchema(brief, options.limits), 0);
  int questions = 1 + brief.max_stages;  // known once the outline is in
  if (options.on_progress) outline_question.on_attempt = [&](int attempt) { options.on_progress(1, questions, attempt); };
  FlowJson flow;
  TROUPE_RETURN_IF_ERROR(AskForJson(provider, outline_question, [&](std::string_view reply) -> Status {
                           TROUPE_RETURN_IF_ERROR(llm::CheckAgainstSchema(outline_question.schema_json, reply,
                                                                          "flow.outline"));
                           flow = FlowJson::parse(reply);
                           return Status::Ok();
                         }).status());
  std::vector<std::string> names;
  for (const FlowJson& name : flow["stages"]) names.push_back(name.get<std::string>());
  questions = 1 + static_cast<int>(names.size());
  FlowJson stages = FlowJson::array();
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string what = "flow.stages[" + std::to_string(i) + "]";
    StructuredQuestion question =
        Question(options, what, "flow_stage", StagePrompt(brief, names, i), StageSchema(options.limits), i + 1);
    if (options.on_progress) {
      question.on_attempt = [&, i](int attempt) { options.on_progress(static_cast<int>(i) + 2, questions, attempt); };
    }
    FlowJson stage;
    TROUPE_RETURN_IF_ERROR(AskForJson(provider, question, [&](std::string_view reply) -> Status {
                             TROUPE_RETURN_IF_ERROR(llm::CheckAgainstSchema(question.schema_json, reply, what));
                             stage = FlowJson::parse(reply);
                             if (!brief.minor) return Status::Ok();
                             Status gate = CheckStageForMinor(stage["prompt"].get<std::string>());
                             return gate.ok() ? gate : InvalidArgument(what + ": " + gate.message(), what);
                           }).status());
    stages.push_back(FlowJson{{"name", names[i]},
                              {"prompt", stage["prompt"]},
                              {"messages", stage["messages"]},
                              {"affinity", stage["affinity"]}});
  }
  flow["stages"] = stages;
  GeneratedFlow generated;
  generated.reply_json = flow.dump();
  TROUPE_ASSIGN_OR_RETURN(generated.yaml, FlowYamlFromReply(generated.reply_json, brief, options.limits));
  return generated;
}

}  // namespace troupe::studio
