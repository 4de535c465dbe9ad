// Lorebooks (a card's character_book, Character Card V2): entries whose text is added to the prompt
// when one of their keywords appears in the recent messages, within a token budget, so a character
// knows its world without carrying all of it in every prompt.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace troupe::chat {

enum class LorebookPosition { kBeforeCharacter, kAfterCharacter };

struct LorebookEntry {
  std::vector<std::string> keys;
  std::vector<std::string> secondary_keys;  // with `selective`, one of these must match too
  std::string content;
  bool enabled = true;
  bool constant = false;  // always included
  bool selective = false;
  bool case_sensitive = false;
  int64_t insertion_order = 100;  // lower is inserted earlier (and kept first under the budget)
  int64_t priority = 10;          // higher is kept first when the budget is short
  LorebookPosition position = LorebookPosition::kBeforeCharacter;
  std::string name;
};

struct Lorebook {
  std::string name;
  int scan_depth = 4;      // recent messages scanned for keys
  int64_t token_budget = 0;  // 0: the caller's default
  bool recursive_scanning = false;  // entries' text can activate other entries
  std::vector<LorebookEntry> entries;
};

// From a card's character_book JSON; kInvalidArgument naming the path ("entries[2].keys[0]").
Result<Lorebook> ParseCharacterBook(std::string_view json_text);

struct ActivatedEntry {
  std::string content;
  LorebookPosition position = LorebookPosition::kBeforeCharacter;
  int64_t tokens = 0;
};

// The entries activated by `recent_messages` (oldest first; the last `scan_depth` are scanned):
// constant ones and those whose keys appear as whole words; highest priority first while the
// budget (the book's, else `default_budget`) lasts; returned in insertion order.
std::vector<ActivatedEntry> ActivateLorebook(const Lorebook& book, const std::vector<std::string>& recent_messages,
                                             const std::function<int64_t(std::string_view)>& count_tokens,
                                             int64_t default_budget);

}  // namespace troupe::chat
