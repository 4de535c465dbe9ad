// Character Cards and lorebooks from outside: JSON (V1/V2/V3 cards, character_book, lorebook_v3,
// SillyTavern World Info) and PNGs carrying cards (tEXt/zTXt/iTXt). Any input must give a card or
// a clear error, never a crash; an accepted card must survive export and re-import with its
// fields, as JSON and as PNG; an accepted lorebook must convert to a card book that reads back to
// as many entries, and its activation must stay within the budget.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "chat/card.h"
#include "chat/card_png.h"
#include "chat/lorebook.h"

using namespace troupe::chat;

namespace {

void CheckLorebook(const Lorebook& book, const std::string& text) {
  auto count = [](std::string_view content) { return static_cast<int64_t>(content.size()); };
  int64_t used = 0;
  for (const ActivatedEntry& entry : ActivateLorebook(book, {text, "a b c"}, count, 512)) {
    if (entry.entry_index >= book.entries.size() || entry.tokens != count(entry.content)) std::abort();
    used += entry.tokens;
  }
  if (used > (book.token_budget > 0 ? book.token_budget : 512)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // The same bytes as a lorebook file.
  troupe::Result<Lorebook> book = ParseCharacterBook(bytes);
  troupe::Result<std::string> card_book = CharacterBookJson(bytes);
  if (book.ok() != card_book.ok()) std::abort();
  if (!book.ok() && book.status().message().empty()) std::abort();
  if (book.ok()) {
    troupe::Result<Lorebook> again = ParseCharacterBook(*card_book);
    if (!again.ok() || again->entries.size() != book->entries.size()) std::abort();
    CheckLorebook(*book, std::string(bytes.substr(0, 256)));
  }

  troupe::Result<ImportedCard> card = ParseCard(bytes);
  if (!card.ok()) {
    if (card.status().message().empty()) std::abort();
    return 0;
  }
  if (IsPng(bytes) == card->avatar_png.empty()) std::abort();
  for (CardSpec spec : {CardSpec::kV2, CardSpec::kV3}) {
    troupe::Result<ImportedCard> again = ParseCardJson(CardJson(card->character, spec));
    if (!again.ok() || again->character.name != card->character.name ||
        again->character.description != card->character.description ||
        (spec == CardSpec::kV3 && again->character.creator_notes != card->character.creator_notes) ||
        again->character.flow != card->character.flow ||
        again->character.extensions_json != card->character.extensions_json) {
      std::abort();
    }
  }
  if (IsPng(bytes)) {
    troupe::Result<std::string> png = CardPng(card->character, card->avatar_png);
    if (!png.ok()) std::abort();
    troupe::Result<ImportedCard> again = ParseCardPng(*png);
    if (!again.ok() || again->spec != CardSpec::kV3 || again->character.name != card->character.name ||
        again->avatar_png != card->avatar_png) {
      std::abort();
    }
  }
  if (!card->character.character_book_json.empty()) {
    troupe::Result<Lorebook> card_lorebook = ParseCharacterBook(card->character.character_book_json);
    if (!card_lorebook.ok()) std::abort();  // import validated it
    CheckLorebook(*card_lorebook, card->character.first_mes);
  }
  return 0;
}
