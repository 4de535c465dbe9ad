// A finished draft as a Character Card V3 and a draft character in the store. The card takes the
// steps' fields (description = backstory, scenario = setting, mes_example = the example exchanges
// as `<START>` blocks, tags = role and traits, creator_notes = theme, audience and pitch) and a
// flow for the role (role_flows.h); `extensions.troupe` carries the image prompts, and for a
// character under 18 `minor: true` and `age`, which make the flow validator's safety gate apply.
#pragma once

#include <filesystem>

#include "base/status.h"
#include "chat/card.h"
#include "store/records.h"
#include "store/store.h"
#include "studio/character_steps.h"

namespace troupe::studio {

inline constexpr int64_t kAdultAge = 18;

// The card (spec V3) for a complete draft, its flow already checked with chat::CheckCharacterFlow.
// kFailedPrecondition naming the first step that is missing or stale; the flow check's
// kInvalidArgument (field "flow...") if a template ever failed it.
Result<chat::ImportedCard> AssembleCard(const CharacterDraft& draft);

// Stores the assembled card as an unpublished character (chat/card_store.h's import path, flow
// check included) and returns it as stored. Errors: AssembleCard's, then the store's.
Result<store::Character> SaveDraftCharacter(store::Store& store, const CharacterDraft& draft);

}  // namespace troupe::studio
