// Character Cards: the SillyTavern ecosystem's exchange format. Reads V1 (flat fields, including the
// older Pygmalion names), V2 (`spec: chara_card_v2`) and V3 (`spec: chara_card_v3`) JSON, and PNG
// images carrying a card in a tEXt chunk (`chara`: V2, base64 JSON; `ccv3`: V3; ccv3 preferred);
// writes V2 and V3 JSON and PNGs with both chunks.
//
// Troupe's own data travels in `data.extensions.troupe`: `flow` (the flow YAML, a string) becomes
// store::Character::flow on import and is put back on export; everything else there (`minor`,
// `age`, `provider`, ...) stays in extensions_json with every other extension key, unchanged.
//
// Errors name the JSON path ("data.alternate_greetings[2]: expected a string, got number") or,
// for PNGs, what is wrong with the file.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "store/records.h"

namespace troupe::chat {

enum class CardSpec { kV1, kV2, kV3 };

struct ImportedCard {
  store::Character character;  // id, slug and times unset
  CardSpec spec = CardSpec::kV2;
};

// True when a JSON object is a card rather than Troupe's own character record: it names a card
// `spec`, or has a V1 card's shape (`char_name`, or `first_mes` without Troupe's fields).
bool LooksLikeCardJson(std::string_view json_text);

Result<ImportedCard> ParseCardJson(std::string_view json_text);

// A card document for `character` (V2 or V3; V1 is read-only).
std::string CardJson(const store::Character& character, CardSpec spec);

// The card inside a PNG: kInvalidArgument "not a PNG file", "corrupt PNG: ...", "the PNG holds
// no character card (no chara or ccv3 text chunk)", or the JSON's own errors prefixed by the chunk.
Result<ImportedCard> ParseCardPng(std::string_view png_bytes);
// The image of a card PNG (to keep as the avatar), without its text chunks' card.
bool IsPng(std::string_view bytes);

// `avatar_png` (or, when empty, a generated avatar) with the card embedded as V2 `chara` and V3
// `ccv3` chunks, replacing any card chunks it had. kInvalidArgument for an unreadable avatar.
Result<std::string> CardPng(const store::Character& character, std::string_view avatar_png);

}  // namespace troupe::chat
