// Flow YAML from outside (card extensions, the studio's editor): any input parses to a flow or a
// clear error; a flow that validates can be advanced from any state without leaving its stages.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "chat/flow.h"

using namespace troupe::chat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  troupe::Result<Flow> flow = ParseFlow(text);
  if (!flow.ok()) {
    if (flow.status().message().empty()) std::abort();
    return 0;
  }
  for (bool minor : {false, true}) {
    if (!ValidateFlow(*flow, {minor}).ok()) return 0;
  }
  ConversationSignals signals;
  FlowState state;
  for (int step = 0; step < 40; ++step) {
    signals.message_count = step;
    signals.affinity = (step % 7) / 3.0 - 1.0;
    signals.sentiment_trend = (step % 5) / 2.0 - 1.0;
    signals.idle_ms = step * 600'000;
    FlowStep next = Advance(*flow, state, signals, static_cast<uint64_t>(step));
    const Stage* stage = flow->FindStage(next.state.stage);
    if (stage == nullptr || stage->romance != Romance::kNone) std::abort();  // validated for a minor
    if (!flow->moods.empty() && flow->FindMood(next.state.mood) == nullptr) std::abort();
    if (stage->proactive) NextProactiveAt(*stage->proactive, step * 1000, step % 4, step % 3, step * 2000);
    state = next.state;
  }
  return 0;
}
