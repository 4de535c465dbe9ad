// A model's reply to a character generation step, from outside (a remote endpoint, or a draft an
// operator edits): the first byte picks the step, the rest is the reply. Any input must either
// enter the draft, valid against the step's schema, or be refused with a message and a field and
// leave the draft as it was; the consistency check then reads whatever the draft holds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "llm/json_schema_check.h"
#include "studio/character_steps.h"
#include "studio/consistency_check.h"

using namespace troupe::studio;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const CharacterStep step = kCharacterSteps[data[0] % kCharacterSteps.size()];
  const std::string_view reply(reinterpret_cast<const char*>(data) + 1, size - 1);
  const TextLimits limits = (data[0] & 0x80) != 0 ? LimitsForContext(512) : TextLimits{};
  CharacterDraft draft;
  draft.brief.theme = "fuzz";
  draft.brief.audience = "fuzz";
  troupe::Status applied = ApplyStepReply(draft, step, reply, limits);
  if (applied.ok()) {
    if (!draft.Has(step) || draft.stale.count(step) != 0) std::abort();
    const std::string& stored = draft.replies[static_cast<size_t>(step)];
    if (!troupe::llm::CheckAgainstSchema(StepSchema(step, limits), stored, "fuzz").ok()) std::abort();
  } else {
    if (applied.message().empty() || applied.field().empty() || draft.Has(step)) std::abort();
  }
  (void)CheckConsistency(draft);
  return 0;
}
