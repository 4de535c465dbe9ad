// A model's reply to the flow pipelines, from outside (a remote endpoint): the first byte picks
// the whole-flow reply of flow generation or the edits of flow optimization, the rest is the reply.
// Any reply must become a flow the validator accepts, or be refused with a message and a field;
// edits that read must apply to a valid flow or be refused the same way, never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "chat/flow.h"
#include "studio/flow_generation.h"
#include "studio/flow_optimizer.h"

using namespace troupe::studio;

namespace {

constexpr std::string_view kFuzzFlow = R"(name: steps
start: intro
stages:
  intro:
    prompt: Say hello.
    transitions:
      - to: friendly
        when: {messages_at_least: 2}
  friendly:
    prompt: Be friendly.
)";

void CheckRefusal(const troupe::Status& status) {
  if (status.message().empty() || status.field().empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view reply(reinterpret_cast<const char*>(data) + 1, size - 1);
  const TextLimits limits = (data[0] & 0x80) != 0 ? LimitsForContext(512) : TextLimits{};
  const bool minor = (data[0] & 0x40) != 0;
  if ((data[0] & 1) == 0) {
    FlowBrief brief;
    brief.topic = "fuzz";
    brief.goal = "fuzz";
    brief.minor = minor;
    troupe::Result<std::string> yaml = FlowYamlFromReply(reply, brief, limits);
    if (!yaml.ok()) {
      CheckRefusal(yaml.status());
      return 0;
    }
    troupe::Result<troupe::chat::Flow> flow = troupe::chat::ParseFlow(*yaml);
    if (!flow.ok() || !troupe::chat::ValidateFlow(*flow, {minor}).ok()) std::abort();
    return 0;
  }
  const troupe::chat::Flow flow = troupe::chat::ParseFlow(kFuzzFlow).value();
  troupe::Result<std::vector<FlowEdit>> edits = ReadFlowEdits(reply, flow, limits, 3);
  if (!edits.ok()) {
    CheckRefusal(edits.status());
    return 0;
  }
  troupe::Result<std::string> edited = ApplyFlowEdits(kFuzzFlow, *edits, {minor});
  if (!edited.ok()) {
    CheckRefusal(edited.status());
    return 0;
  }
  if (!troupe::chat::ParseFlow(*edited).ok()) std::abort();
  return 0;
}
