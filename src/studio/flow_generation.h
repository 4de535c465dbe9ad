// A flow from a topic and a goal: the model is asked (structured_reply.h) for an outline (the flow's
// name and 5 to 7 stage names), then for each stage in turn its prompt, how many messages it lasts
// and the affinity it needs before the next (small questions, so a small model's context holds
// each); the parts become a linear flow (each stage leads to the next once the conversation's message count
// passes the stages' running total, and the affinity when one is asked for; the first stage opens
// the conversation; no stage is romantic) written as YAML and checked by the flow validator,
// including the minors' safety gate when the brief is for a minor. A reply that fails is asked for
// again. Everything but GenerateFlow is pure and thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "llm/provider.h"
#include "studio/character_steps.h"

namespace troupe::studio {

struct FlowBrief {
  std::string topic;  // "learning Spanish with a patient tutor"
  std::string goal;   // "the user holds a five-minute conversation in Spanish"
  bool minor = false; // the flow is for a character under 18: the safety gate applies
  int min_stages = 5;
  int max_stages = 7;
};
// kInvalidArgument naming "topic" or "goal" when blank or longer than kMaxBriefTextChars, or
// "stages" when min_stages..max_stages is not within 2..12 and ordered.
Status CheckFlowBrief(const FlowBrief& brief);

// JSON Schemas (within the engine's subset; bounds from `limits`): the whole flow {"name", "stages":
// [{"name", "prompt", "messages", "affinity"}]}, the outline {"name", "stages": [names]}, and one
// stage {"prompt", "messages", "affinity"}.
std::string FlowSchema(const FlowBrief& brief, const TextLimits& limits);
std::string OutlineSchema(const FlowBrief& brief, const TextLimits& limits);
std::string StageSchema(const TextLimits& limits);
std::vector<llm::ChatMessage> OutlinePrompt(const FlowBrief& brief);
// The question for stage `index` of the outline's `stage_names`.
std::vector<llm::ChatMessage> StagePrompt(const FlowBrief& brief, const std::vector<std::string>& stage_names,
                                          size_t index);

// A stage name from whatever the model wrote: lower-case letters, digits and '_' (runs of anything
// else become one '_'), at most 40 characters, "stage_N" (N from 1) when nothing is left.
std::string StageNameFrom(std::string_view text, size_t index);

// The flow's YAML for the whole flow's JSON (FlowSchema), or kInvalidArgument naming "flow" or
// "flow.<path>" for JSON that breaks the schema or whose flow the validator refuses.
Result<std::string> FlowYamlFromReply(std::string_view reply, const FlowBrief& brief, const TextLimits& limits);

struct FlowGeneratorOptions {
  TextLimits limits;
  uint64_t seed = 1;
  double temperature = 0.9;
  int attempts = 3;
  int max_tokens = 2048;
  const std::atomic<bool>* cancel = nullptr;
  // Before each attempt of each question (1..questions: the outline, then each stage).
  std::function<void(int question, int questions, int attempt)> on_progress;
};

struct GeneratedFlow {
  std::string yaml;        // validated
  std::string reply_json;  // the model's answers as one whole-flow JSON (FlowSchema)
};

// Errors: CheckFlowBrief's; AskForJson's (what = "flow.outline", "flow.stages[i]"); the validator's
// for the assembled flow.
Result<GeneratedFlow> GenerateFlow(llm::Provider& provider, const FlowBrief& brief, const FlowGeneratorOptions& options);

}  // namespace troupe::studio
