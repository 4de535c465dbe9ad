#include "chat/lorebook.h"

#include <gtest/gtest.h>


namespace troupe::chat {
namespace {

int64_t Words(std::string_view text) {
  int64_t words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::vector<std::string> Contents(const std::vector<ActivatedEntry>& entries) {
  std::vector<std::string> out;
  for (const ActivatedEntry& entry : entries) out.push_back(entry.content);
  return out;
}

constexpr char kBook[] = R"({"scan_depth": 2, "entries": [
  {"keys": ["dragon", "wyrm"], "content": "Dragons guard the pass.", "insertion_order": 5},
  {"keys": ["Castle"], "content": "The castle is old.", "case_sensitive": true, "insertion_order": 1,
   "position": "after_char"},
  {"keys": ["sword"], "secondary_keys": ["king"], "selective": true, "content": "The king's sword.",
   "insertion_order": 3},
  {"keys": [], "constant": true, "content": "Always here.", "insertion_order": 9},
  {"keys": ["ghost"], "enabled": false, "content": "Never here."}
]})";

TEST(LorebookTest, KeywordsInRecentMessagesActivateEntriesInInsertionOrder) {
  Result<Lorebook> book = ParseCharacterBook(kBook);
  ASSERT_TRUE(book.ok()) << book.status().ToString();
  EXPECT_EQ(Contents(ActivateLorebook(*book, {"I saw a DRAGON", "near the Castle"}, Words, 100)),
            (std::vector<std::string>{"The castle is old.", "Dragons guard the pass.", "Always here."}));
  // Case-sensitive key, whole words only, disabled entries never.
  EXPECT_EQ(Contents(ActivateLorebook(*book, {"the castle", "dragonfly ghost"}, Words, 100)),
            (std::vector<std::string>{"Always here."}));
  // Selective: the secondary key must match too.
  EXPECT_EQ(Contents(ActivateLorebook(*book, {"a sword"}, Words, 100)), (std::vector<std::string>{"Always here."}));
  EXPECT_EQ(Contents(ActivateLorebook(*book, {"the king's sword"}, Words, 100)),
            (std::vector<std::string>{"The king's sword.", "Always here."}));
  // Only the last scan_depth (2) messages count.
  EXPECT_EQ(Contents(ActivateLorebook(*book, {"dragon", "hello", "there"}, Words, 100)),
            (std::vector<std::string>{"Always here."}));
  EXPECT_EQ(ActivateLorebook(*book, {"Castle"}, Words, 100).front().position, LorebookPosition::kAfterCharacter);
}

TEST(LorebookTest, TheBudgetIsNeverExceeded) {
  Result<Lorebook> book = ParseCharacterBook(kBook);
  ASSERT_TRUE(book.ok());
  // 2 words each; a budget of 5 keeps the constant entry and one more.
  std::vector<ActivatedEntry> kept = ActivateLorebook(*book, {"dragon and Castle"}, Words, 6);
  int64_t used = 0;
  for (const ActivatedEntry& entry : kept) used += entry.tokens;
  EXPECT_LE(used, 6);
  EXPECT_EQ(kept.size(), 2u);
  EXPECT_EQ(Contents(kept).back(), "Always here.");
}

TEST(LorebookTest, BadBooksAreRefusedNamingThePath) {
  EXPECT_EQ(ParseCharacterBook(R"({"entries": [{"keys": ["a", 3], "content": "x"}]})").status().message(),
            "character_book.entries[0].keys[1]: expected a string, got number");
  EXPECT_EQ(ParseCharacterBook(R"({"entries": [{"keys": []}]})").status().message(),
            "character_book.entries[0].content: expected a string");
  EXPECT_EQ(ParseCharacterBook(R"({"entries": {}})").status().message(),
            "character_book.entries: expected an array, got object");
  EXPECT_EQ(ParseCharacterBook("[").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace troupe::chat
