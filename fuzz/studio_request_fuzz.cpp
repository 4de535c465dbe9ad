// What the studio's API takes from outside: a character draft (POST /studio/drafts) and the
// generation, step, flow and optimization requests. The first byte picks which; the rest is the
// JSON body. Any input must be read or refused with a message (and a field for a draft), and a
// draft that reads must write back to JSON that reads to the same draft.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "studio/draft_json.h"
#include "studio/flow_jobs.h"
#include "studio/generation_job.h"

using namespace troupe::studio;

namespace {

void CheckDraft(const nlohmann::ordered_json& body) {
  troupe::Result<CharacterDraft> draft = DraftFromJson(body, EditedDraftLimits());
  if (!draft.ok()) {
    if (draft.status().message().empty() || draft.status().field().empty()) std::abort();
    return;
  }
  troupe::Result<CharacterDraft> again = DraftFromJson(DraftToJson(*draft), EditedDraftLimits());
  if (!again.ok() || again->replies != draft->replies || again->stale != draft->stale) std::abort();
}

template <typename Check>
void CheckRequest(const Check& check) {
  auto result = check();
  if (!result.ok() && result.status().message().empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const nlohmann::ordered_json body = nlohmann::ordered_json::parse(text, nullptr, false);
  if (body.is_discarded()) return 0;
  const nlohmann::json plain = nlohmann::json::parse(text, nullptr, false);
  switch (data[0] % 5) {
    case 0: CheckDraft(body); break;
    case 1: CheckRequest([&] { return ParseGenerateCharactersRequest(plain); }); break;
    case 2: CheckRequest([&] { return CheckCharacterStepPayload(plain); }); break;
    case 3: CheckRequest([&] { return CheckGenerateFlowPayload(plain); }); break;
    default: CheckRequest([&] { return CheckOptimizeFlowPayload(plain, 1'796'601'600'000); }); break;
  }
  return 0;
}
