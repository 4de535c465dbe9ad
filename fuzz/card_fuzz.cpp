// Character Cards from outside: JSON (V1/V2/V3, with lorebooks) and PNGs carrying them. Any input
// must give a card or a clear error, never a crash; an accepted card must survive export and
// re-import with its fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "chat/card.h"
#include "chat/lorebook.h"

using namespace troupe::chat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  troupe::Result<ImportedCard> card = IsPng(bytes) ? ParseCardPng(bytes) : ParseCardJson(bytes);
  if (!card.ok()) {
    if (card.status().message().empty()) std::abort();
    return 0;
  }
  for (CardSpec spec : {CardSpec::kV2, CardSpec::kV3}) {
    troupe::Result<ImportedCard> again = ParseCardJson(CardJson(card->character, spec));
    if (!again.ok() || again->character.name != card->character.name ||
        again->character.description != card->character.description ||
        again->character.flow != card->character.flow) {
      std::abort();
    }
  }
  if (!card->character.character_book_json.empty()) {
    troupe::Result<Lorebook> book = ParseCharacterBook(card->character.character_book_json);
    if (book.ok()) {
      auto count = [](std::string_view text) { return static_cast<int64_t>(text.size()); };
      int64_t used = 0;
      for (const ActivatedEntry& entry : ActivateLorebook(*book, {card->character.first_mes}, count, 512)) {
        used += entry.tokens;
      }
      if (used > (book->token_budget > 0 ? book->token_budget : 512)) std::abort();
    }
  }
  return 0;
}
