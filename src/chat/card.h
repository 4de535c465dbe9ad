// Character Cards as JSON: the SillyTavern ecosystem's exchange format. Reads V1 (a flat object,
// including the older Pygmalion names char_name/char_persona/...), V2 (`spec: chara_card_v2`)
// and V3 (`spec: chara_card_v3`) into a store::Character; writes V2 and V3. PNG cards are in
// card_png.h, cards in and out of the store (avatars included) in card_store.h.
//
// Troupe's own data travels in `data.extensions.troupe`:
//   - `flow`: the flow YAML, as a string. On import it moves to store::Character::flow and leaves
//     extensions_json; on export it is put back.
//   - `minor` (true/false) and `age` (a number): stay in extensions_json as they are; the flow
//     validator (flow.h CheckCharacterFlow) reads them from there for the safety gate, so import
//     refuses them with another type rather than let a "yes" slip past it.
//   - anything else (`provider`, ...) stays in extensions_json untouched.
// Every other `extensions` key round-trips with the same JSON value (V2 spec: "must never destroy
// unknown key-value pairs"); key order and number spelling may change.
//
// Reading is strict about types: a present field of the wrong type is kInvalidArgument naming its
// JSON path ("data.alternate_greetings[2]: expected a string, got number", field() = the path);
// null counts as absent. `name` is required (and `data` for V2/V3). Fields outside the spec
// (create_date, a V2 card's copy of its fields at the top level, ...) are ignored. The lorebook
// (`character_book`) is validated as lorebook.h reads it, errors under "data.character_book".
// V3 dates may be seconds since the epoch (the spec) or ISO 8601 text (what some editors write).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "store/records.h"

namespace troupe::chat {

enum class CardSpec { kV1, kV2, kV3 };

// "v1", "v2", "v3".
std::string_view CardSpecName(CardSpec spec);

struct ImportedCard {
  store::Character character;  // id, slug, avatar and record times unset
  CardSpec spec = CardSpec::kV2;
  std::string avatar_png;  // a PNG card's image without its card chunks; "" for JSON
};

// True when a JSON object is a card rather than Troupe's own character record: it has a `spec`,
// or a V1 card's shape (`char_name`, or `first_mes` and `mes_example` without Troupe's `flow` or
// `published`). False for anything that is not a JSON object.
bool LooksLikeCardJson(std::string_view json_text);

Result<ImportedCard> ParseCardJson(std::string_view json_text);

// A PNG card when `bytes` starts with PNG's signature (card_png.h ParseCardPng), else card JSON.
Result<ImportedCard> ParseCard(std::string_view bytes);

// A card document for `character`: V2 or V3 (V1 is read-only). The lorebook gets the fields its
// spec requires when they are missing (`extensions`, `enabled`, `insertion_order`, and V3's
// `use_regex`); V3 carries every V2 field too, as the V3 spec requires. V3's creation_date is the
// card's own or the record's creation, modification_date the record's last change.
std::string CardJson(const store::Character& character, CardSpec spec);

// The V3 spec asks that a V2 `chara` chunk written beside `ccv3` say so in its creator notes;
// CardPng appends this, and import removes it again.
inline constexpr std::string_view kV3BackfillNote =
    "This character card is Character Card V3, but it is loaded as a Character Card V2. Please use a "
    "Character Card V3 compatible application to use this character card properly.";

}  // namespace troupe::chat
