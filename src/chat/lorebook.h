// Lorebooks (a card's character_book, Character Card V2/V3; SillyTavern World Info files): entries
// whose text is added to the prompt when one of their keywords appears in the recent messages,
// within a token budget, so a character knows its world without carrying all of it in every prompt.
//
// Matching, as ActivateLorebook does it:
//   - a key matches where it occurs in the last `scan_depth` messages (the entry's own depth, else
//     the book's); ASCII letters compare case-insensitively unless the entry is case-sensitive
//     (other scripts compare as written);
//   - keys that begin or end with a letter or digit match whole words only ("sword" not in
//     "swordfish"), unless the entry turns whole words off; keys of scripts written without spaces
//     (CJK) match anywhere;
//   - regular-expression keys ("/pattern/flags") never match: Troupe does not run regexes from
//     cards (std::regex recurses on long input; PCRE2 is the engine's alone). Plain keys of entries
//     marked `use_regex` (SillyTavern marks every entry) still match as text;
//   - selective entries also need their secondary keys, by the entry's logic (SillyTavern's
//     AND ANY, NOT ALL, NOT ANY, AND ALL; AND ANY by default); constant entries always match;
//   - with recursive scanning, activated entries' text can activate others (entries may opt out
//     either way);
//   - V3 decorators (leading "@@name value" lines) are removed from the content and not obeyed;
//     probability, groups, sticky/cooldown/delay and @depth positions are not modelled (SillyTavern
//     positions other than "before the character" are placed after it).
// Under the budget, constant entries come first, then higher `priority` (absent: the
// `insertion_order`, as the V3 spec suggests); an entry that does not fit is skipped and smaller
// ones may still fit, so the budget is never exceeded. Activated entries are returned in
// insertion order (lower first); the caller expands macros in them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace troupe::chat {

enum class LorebookPosition { kBeforeCharacter, kAfterCharacter };

// How secondary keys combine with the primary match (SillyTavern's selectiveLogic 0..3).
enum class SecondaryKeyLogic { kAndAny, kNotAll, kNotAny, kAndAll };

struct LorebookEntry {
  std::vector<std::string> keys;
  std::vector<std::string> secondary_keys;  // with `selective`, checked by `secondary_logic`
  SecondaryKeyLogic secondary_logic = SecondaryKeyLogic::kAndAny;
  std::string content;
  bool enabled = true;
  bool constant = false;  // always included (within the budget)
  bool selective = false;
  bool case_sensitive = false;
  bool whole_words = true;
  int64_t insertion_order = 100;   // lower is inserted earlier
  std::optional<int64_t> priority;  // higher is kept first when the budget is short
  std::optional<int> scan_depth;    // overrides the book's
  bool exclude_recursion = false;   // only the messages can activate it, not other entries
  bool prevent_recursion = false;   // its text activates no other entry
  LorebookPosition position = LorebookPosition::kBeforeCharacter;
  std::string name;
  std::string id;  // as the book gives it (number or string), "" when absent
  std::string comment;
};

struct Lorebook {
  std::string name;
  int scan_depth = 4;               // recent messages scanned for keys
  int64_t token_budget = 0;         // 0: the caller's default
  bool recursive_scanning = false;  // entries' text can activate other entries
  std::vector<LorebookEntry> entries;
};

// Reads a lorebook in any of the shapes Troupe meets: a card's character_book (entries an array),
// a V3 standalone lorebook ({"spec": "lorebook_v3", "data": {...}}), or a SillyTavern World Info
// file (entries an object keyed by uid, with key/keysecondary/order/disable/...). Types are
// checked: kInvalidArgument naming the path under `path` ("character_book.entries[2].keys[0]:
// expected a string, got number"); unknown fields are ignored.
Result<Lorebook> ParseCharacterBook(std::string_view json_text, std::string_view path = "character_book");

// The lorebook as a card's character_book document: a character_book is returned unchanged
// (unknown fields included) but for an empty `extensions` object added when it has none (the spec
// requires one, so exports write it); a lorebook_v3 file gives its `data`; a World Info file is converted
// the way SillyTavern embeds one in a card (SillyTavern-only fields under each entry's
// `extensions`), so it reads back to the same entries. Errors as ParseCharacterBook's.
Result<std::string> CharacterBookJson(std::string_view json_text, std::string_view path = "character_book");

struct ActivatedEntry {
  std::string content;  // without decorators
  LorebookPosition position = LorebookPosition::kBeforeCharacter;
  int64_t tokens = 0;
  size_t entry_index = 0;  // into Lorebook::entries
};

// The entries activated by `recent_messages` (oldest first), within the book's token budget (else
// `default_budget`); see the top of this file. `count_tokens` is called once per activated entry.
std::vector<ActivatedEntry> ActivateLorebook(const Lorebook& book, const std::vector<std::string>& recent_messages,
                                             const std::function<int64_t(std::string_view)>& count_tokens,
                                             int64_t default_budget);

}  // namespace troupe::chat
