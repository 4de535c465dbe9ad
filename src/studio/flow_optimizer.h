// Proposals to improve a flow from how its stages perform. The model sees the stages with their
// prompts and, per stage,
// how many conversations reached it, how many were lost before the next, and the mean sentiment
// and rating there (stage_funnel.h, from the stored conversations), and answers with edits (a
// stage's new prompt, a new message count for leaving it, and why) chosen from the flow's own
// stage names. The edits are applied to the flow's YAML (every other field kept), the result must
// pass the flow validator (the minors' safety gate included), and the proposal carries the flow
// before and after with a unified diff, for an operator to review and apply.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "chat/flow.h"
#include "llm/provider.h"
#include "studio/character_steps.h"
#include "studio/stage_funnel.h"

namespace troupe::studio {

struct FlowEdit {
  std::string stage;
  std::string prompt;                        // the stage's new prompt; "" = keep
  std::optional<int64_t> messages_at_least;  // for the stage's first transition on a message count
  std::string reason;
};

struct FlowProposal {
  std::vector<FlowEdit> edits;
  std::string yaml_before;  // the flow as written back (comments and layout normalized)
  std::string yaml_after;   // validated
  std::string diff;         // line_diff.h, yaml_before → yaml_after
};

// The figures the model sees, one line per stage in the flow's order: reach, loss, sentiment,
// rating, and the share of replies users regenerated when any stage has replies.
std::string PerformanceSummary(const StageFunnel& funnel);

// The reply's schema: 1..max_edits edits whose `stage` is one of the flow's stage names.
std::string FlowEditSchema(const chat::Flow& flow, const TextLimits& limits, int max_edits = 3);
// The stages (each prompt cut to its share of limits.context_chars) and PerformanceSummary.
std::vector<llm::ChatMessage> FlowEditPrompt(const chat::Flow& flow, const StageFunnel& funnel, const TextLimits& limits);

// Reads a reply (kInvalidArgument naming "edits" or where it breaks the schema).
Result<std::vector<FlowEdit>> ReadFlowEdits(std::string_view reply, const chat::Flow& flow, const TextLimits& limits,
                                            int max_edits = 3);

// The flow's YAML with the edits made. A message count for a stage without a transition on one is
// dropped. kInvalidArgument naming "edits[i].stage" for a stage the flow lacks, or the validator's
// error prefixed "flow" when the edited flow fails it.
Result<std::string> ApplyFlowEdits(std::string_view flow_yaml, const std::vector<FlowEdit>& edits,
                                   const chat::CharacterTraits& traits);

struct FlowOptimizerOptions {
  TextLimits limits;
  uint64_t seed = 1;
  double temperature = 0.7;
  int attempts = 3;
  int max_edits = 3;
  int max_tokens = 2048;
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(int attempt)> on_attempt;
};

// Errors: the flow's own (kInvalidArgument "flow..." when it does not parse or validate);
// AskForJson's (what = "edits").
Result<FlowProposal> ProposeFlowEdits(llm::Provider& provider, std::string_view flow_yaml,
                                      const chat::CharacterTraits& traits, const StageFunnel& funnel,
                                      const FlowOptimizerOptions& options);

}  // namespace troupe::studio
