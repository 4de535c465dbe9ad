// Lorebooks: which entries the recent messages activate, within the budget, from hand-made books,
// real card books and real SillyTavern World Info files (shared/testdata/cards).
#include "chat/lorebook.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chat/card.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

using ::troupe::testing::ReadSharedFile;

using nlohmann::json;

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

Lorebook Book(const std::string& text) {
  Result<Lorebook> book = ParseCharacterBook(text);
  EXPECT_TRUE(book.ok()) << book.status().ToString();
  return book.ok() ? *book : Lorebook{};
}

std::vector<std::string> Activate(const Lorebook& book, const std::vector<std::string>& messages, int64_t budget = 1000) {
  return Contents(ActivateLorebook(book, messages, Words, budget));
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
  const Lorebook book = Book(kBook);
  EXPECT_EQ(Activate(book, {"I saw a DRAGON", "near the Castle"}),
            (std::vector<std::string>{"The castle is old.", "Dragons guard the pass.", "Always here."}));
  // Case-sensitive key, whole words only, disabled entries never.
  EXPECT_EQ(Activate(book, {"the castle", "dragonfly ghost"}), (std::vector<std::string>{"Always here."}));
  // Selective: the secondary key must match too.
  EXPECT_EQ(Activate(book, {"a sword"}), (std::vector<std::string>{"Always here."}));
  EXPECT_EQ(Activate(book, {"the king's sword"}), (std::vector<std::string>{"The king's sword.", "Always here."}));
  // Only the last scan_depth (2) messages count.
  EXPECT_EQ(Activate(book, {"dragon", "hello", "there"}), (std::vector<std::string>{"Always here."}));
  EXPECT_EQ(Activate(book, {"hello", "dragon", "there"}),
            (std::vector<std::string>{"Dragons guard the pass.", "Always here."}));
  // The position travels with the entry for the prompt assembler.
  const std::vector<ActivatedEntry> castle = ActivateLorebook(book, {"Castle"}, Words, 100);
  ASSERT_EQ(castle.size(), 2u);
  EXPECT_EQ(castle[0].position, LorebookPosition::kAfterCharacter);
  EXPECT_EQ(castle[0].entry_index, 1u);
  EXPECT_EQ(castle[0].tokens, 4);
  EXPECT_EQ(castle[1].position, LorebookPosition::kBeforeCharacter);
}

TEST(LorebookTest, TheBudgetIsNeverExceeded) {
  const Lorebook book = Book(kBook);
  // Three entries of 4, 4 and 2 words activate; a budget of 6 keeps the constant one and one more.
  std::vector<ActivatedEntry> kept = ActivateLorebook(book, {"dragon and Castle"}, Words, 6);
  int64_t used = 0;
  for (const ActivatedEntry& entry : kept) used += entry.tokens;
  EXPECT_LE(used, 6);
  // Constant first, then the higher insertion order (no priorities given).
  EXPECT_EQ(Contents(kept), (std::vector<std::string>{"Dragons guard the pass.", "Always here."}));
  // Nothing fits: nothing is added.
  EXPECT_TRUE(ActivateLorebook(book, {"dragon"}, Words, 1).empty());
  // An entry that does not fit is skipped; a smaller one after it may still fit.
  const Lorebook sizes = Book(R"({"entries": [
      {"keys": ["a"], "content": "one two three four five", "priority": 9},
      {"keys": ["a"], "content": "six seven", "priority": 5},
      {"keys": ["a"], "content": "eight", "priority": 1}]})");
  EXPECT_EQ(Activate(sizes, {"a"}, 3), (std::vector<std::string>{"six seven", "eight"}));
  EXPECT_EQ(Activate(sizes, {"a"}, 5), (std::vector<std::string>{"one two three four five"}));
  // The book's budget wins over the caller's default.
  const Lorebook budgeted = Book(R"({"token_budget": 2, "entries": [
      {"keys": ["a"], "content": "one two three"}, {"keys": ["a"], "content": "four"}]})");
  EXPECT_EQ(Activate(budgeted, {"a"}, 100), (std::vector<std::string>{"four"}));
}

TEST(LorebookTest, PriorityDecidesUnderTheBudgetAndInsertionOrderThePlace) {
  const Lorebook book = Book(R"({"entries": [
      {"keys": ["x"], "content": "low", "priority": 1, "insertion_order": 1},
      {"keys": ["x"], "content": "high", "priority": 50, "insertion_order": 30},
      {"keys": ["x"], "content": "middle", "priority": 20, "insertion_order": 2}]})");
  EXPECT_EQ(Activate(book, {"x"}, 2), (std::vector<std::string>{"middle", "high"}));
  EXPECT_EQ(Activate(book, {"x"}, 3), (std::vector<std::string>{"low", "middle", "high"}));
}

TEST(LorebookTest, KeysMatchWholeWordsInAnyScript) {
  const Lorebook book = Book(R"({"entries": [
      {"keys": ["Ōsaka"], "content": "city"},
      {"keys": ["崩坏"], "content": "game"},
      {"keys": ["dragon"], "content": "dragon"},
      {"keys": ["tea"], "content": "tea", "extensions": {"match_whole_words": false}},
      {"keys": ["/drag(on)?/i"], "content": "regex"},
      {"keys": ["ice"], "content": ""}]})");
  EXPECT_EQ(Activate(book, {"I went to ōsaka"}), (std::vector<std::string>{}));  // ASCII case folding only
  EXPECT_EQ(Activate(book, {"Ōsaka!"}), (std::vector<std::string>{"city"}));
  EXPECT_EQ(Activate(book, {"Ōsakan"}), (std::vector<std::string>{}));
  EXPECT_EQ(Activate(book, {"我喜欢崩坏三"}), (std::vector<std::string>{"game"}));
  EXPECT_EQ(Activate(book, {"the dragon’s lair"}), (std::vector<std::string>{"dragon"}));  // U+2019 ends a word
  EXPECT_EQ(Activate(book, {"dragonés"}), (std::vector<std::string>{}));
  EXPECT_EQ(Activate(book, {"steam"}), (std::vector<std::string>{"tea"}));
  // Regex keys are never run, and an empty entry adds nothing.
  EXPECT_EQ(Activate(book, {"/drag(on)?/i ice"}), (std::vector<std::string>{}));
}

TEST(LorebookTest, SecondaryKeyLogic) {
  auto book_with = [](const std::string& logic) {
    return Book(R"({"entries": [{"keys": ["sword"], "secondary_keys": ["king", "queen"], "selective": true,
                   "content": "hit", "extensions": {"selectiveLogic": )" + logic + "}}]}");
  };
  const std::vector<std::string> none = {"a sword"}, one = {"the king's sword"}, both = {"king, queen, sword"};
  const std::vector<std::string> hit = {"hit"}, miss = {};
  EXPECT_EQ(Activate(book_with("0"), none), miss);  // AND ANY
  EXPECT_EQ(Activate(book_with("0"), one), hit);
  EXPECT_EQ(Activate(book_with("1"), one), hit);  // NOT ALL
  EXPECT_EQ(Activate(book_with("1"), both), miss);
  EXPECT_EQ(Activate(book_with("2"), none), hit);  // NOT ANY
  EXPECT_EQ(Activate(book_with("2"), one), miss);
  EXPECT_EQ(Activate(book_with("3"), one), miss);  // AND ALL
  EXPECT_EQ(Activate(book_with("3"), both), hit);
  // Not selective: the secondary keys are ignored.
  EXPECT_EQ(Activate(Book(R"({"entries": [{"keys": ["sword"], "secondary_keys": ["king"], "content": "hit"}]})"), none),
            hit);
}

TEST(LorebookTest, EntryScanDepthRecursionAndDecorators) {
  const Lorebook book = Book(R"({"scan_depth": 1, "recursive_scanning": true, "entries": [
      {"keys": ["old"], "content": "remembered", "extensions": {"scan_depth": 3}},
      {"keys": ["tower"], "content": "The tower belongs to the wizard."},
      {"keys": ["wizard"], "content": "@@depth 4\n@@activate_only_after 2\n\nThe wizard is old."},
      {"keys": ["wizard"], "content": "Quiet wizard.", "extensions": {"exclude_recursion": true}},
      {"keys": ["belongs"], "content": "Nothing follows me.", "extensions": {"prevent_recursion": true}},
      {"keys": ["follows"], "content": "never"}]})");
  // "old" three messages back is seen by the entry with depth 3 only.
  EXPECT_EQ(Activate(book, {"old", "x", "y"}), (std::vector<std::string>{"remembered"}));
  EXPECT_EQ(Activate(book, {"old", "x", "y", "z"}), (std::vector<std::string>{}));
  // tower -> wizard (by its text) -> old (by the wizard's text); the quiet wizard only answers the
  // messages, and what the "belongs" entry says activates nothing.
  EXPECT_EQ(Activate(book, {"the tower"}),
            (std::vector<std::string>{"remembered", "The tower belongs to the wizard.", "The wizard is old.",
                                      "Nothing follows me."}));
  EXPECT_EQ(Activate(book, {"a wizard"}), (std::vector<std::string>{"remembered", "The wizard is old.", "Quiet wizard."}));
  // Without recursive scanning only the messages count.
  Lorebook flat = book;
  flat.recursive_scanning = false;
  EXPECT_EQ(Activate(flat, {"the tower"}), (std::vector<std::string>{"The tower belongs to the wizard."}));
}

TEST(LorebookTest, RealCardBooksActivateByTheirOwnKeys) {
  for (const std::string file : {"v2_arleigh_lorebook34.png", "v2v3_seraphina_chara_and_ccv3.png"}) {
    Result<ImportedCard> card = ParseCard(ReadSharedFile(std::filesystem::path("testdata/cards") / file));
    ASSERT_TRUE(card.ok()) << file;
    const Lorebook book = Book(card->character.character_book_json);
    int checked = 0;
    for (size_t i = 0; i < book.entries.size(); ++i) {
      const LorebookEntry& entry = book.entries[i];
      if (entry.keys.empty() || entry.keys[0].empty() || !entry.enabled || entry.constant) continue;
      if (entry.selective && !entry.secondary_keys.empty()) continue;
      bool found = false;
      for (const ActivatedEntry& hit : ActivateLorebook(book, {"tell me about " + entry.keys[0] + " please"}, Words, 1 << 20)) {
        found = found || hit.entry_index == i;
      }
      EXPECT_TRUE(found) << file << ": " << entry.keys[0];
      ++checked;
    }
    EXPECT_GE(checked, 4) << file;
  }
}

TEST(LorebookTest, WorldInfoFilesReadAndBecomeCardBooks) {
  struct Expected {
    std::string file;
    size_t entries;
    std::string name;
  };
  for (const Expected& expected : {Expected{"worldinfo_eldoria.json", 4, ""}, Expected{"worldinfo_toaru_2023.json", 18, ""},
                                   Expected{"worldinfo_honkai_impact.json", 34, "Honkai Impact RPG"}}) {
    SCOPED_TRACE(expected.file);
    const std::string text = ReadSharedFile(std::filesystem::path("testdata/cards") / expected.file);
    const Lorebook book = Book(text);
    ASSERT_EQ(book.entries.size(), expected.entries);
    EXPECT_EQ(book.name, expected.name);
    // Entries come in the numeric order of their keys (a JSON object would sort "10" before "2").
    const json raw = json::parse(text)["entries"];
    std::vector<int> uids;
    for (auto it = raw.begin(); it != raw.end(); ++it) uids.push_back(std::stoi(it.key()));
    std::sort(uids.begin(), uids.end());
    for (size_t i = 0; i < book.entries.size(); ++i) {
      const json& source = raw[std::to_string(uids[i])];
      EXPECT_EQ(book.entries[i].content, source["content"]) << i;
      EXPECT_EQ(book.entries[i].keys, source["key"].get<std::vector<std::string>>()) << i;
    }

    // As a card's character_book: an entries array that reads back to the same entries.
    Result<std::string> card_book = CharacterBookJson(text);
    ASSERT_TRUE(card_book.ok()) << card_book.status().ToString();
    const json converted = json::parse(*card_book);
    ASSERT_TRUE(converted["entries"].is_array());
    EXPECT_TRUE(converted["extensions"].is_object());
    const Lorebook again = Book(*card_book);
    ASSERT_EQ(again.entries.size(), book.entries.size());
    for (size_t i = 0; i < book.entries.size(); ++i) {
      const LorebookEntry& a = book.entries[i];
      const LorebookEntry& b = again.entries[i];
      EXPECT_EQ(a.keys, b.keys);
      EXPECT_EQ(a.secondary_keys, b.secondary_keys);
      EXPECT_EQ(a.content, b.content);
      EXPECT_EQ(a.constant, b.constant);
      EXPECT_EQ(a.selective, b.selective);
      EXPECT_EQ(a.secondary_logic, b.secondary_logic);
      EXPECT_EQ(a.enabled, b.enabled);
      EXPECT_EQ(a.case_sensitive, b.case_sensitive);
      EXPECT_EQ(a.whole_words, b.whole_words);
      EXPECT_EQ(a.insertion_order, b.insertion_order);
      EXPECT_EQ(a.priority, b.priority);
      EXPECT_EQ(a.position, b.position);
      EXPECT_EQ(a.scan_depth, b.scan_depth);
      EXPECT_EQ(a.id, b.id);
    }
    // A card book is its own character_book.
    EXPECT_EQ(json::parse(*CharacterBookJson(*card_book)), converted);
  }
  // The 2023 file's defaults: enabled, before the character; its keys activate it.
  const Lorebook toaru = Book(ReadSharedFile("testdata/cards/worldinfo_toaru_2023.json"));
  EXPECT_TRUE(toaru.entries[0].enabled);
  EXPECT_EQ(toaru.entries[0].position, LorebookPosition::kBeforeCharacter);
  EXPECT_EQ(toaru.entries[0].insertion_order, 8);
  bool found = false;
  for (const ActivatedEntry& hit : ActivateLorebook(toaru, {"She studies at Tokiwadai."}, Words, 1000)) {
    found = found || hit.entry_index == 0;
  }
  EXPECT_TRUE(found);
}

TEST(LorebookTest, WorldInfoFieldsAreHonoured) {
  const Lorebook book = Book(R"({"entries": {
      "2": {"uid": 2, "key": ["moon"], "content": "second", "order": 1, "position": 1},
      "10": {"uid": 10, "key": ["moon"], "content": "off", "disable": true},
      "1": {"uid": 1, "key": ["Moon"], "keysecondary": ["sun"], "selective": true, "selectiveLogic": 2,
            "caseSensitive": true, "content": "first", "order": 5},
      "3": {"uid": 3, "key": ["moo"], "matchWholeWords": false, "scanDepth": 1, "content": "moo"}}})");
  ASSERT_EQ(book.entries.size(), 4u);
  EXPECT_EQ(book.entries[0].id, "1");
  EXPECT_EQ(book.entries[3].id, "10");
  EXPECT_EQ(book.entries[1].position, LorebookPosition::kAfterCharacter);
  EXPECT_EQ(Activate(book, {"Moon"}), (std::vector<std::string>{"second", "first", "moo"}));
  EXPECT_EQ(Activate(book, {"Moon and sun"}), (std::vector<std::string>{"second", "moo"}));
  EXPECT_EQ(Activate(book, {"moon", "x"}), (std::vector<std::string>{"second"}));
}

TEST(LorebookTest, AStandaloneV3LorebookReads) {
  const std::string file = R"({"spec": "lorebook_v3", "data": {"name": "w", "extensions": {},
      "entries": [{"keys": ["k"], "content": "c", "extensions": {}, "enabled": true, "insertion_order": 1,
                   "use_regex": false}]}})";
  const Lorebook book = Book(file);
  ASSERT_EQ(book.entries.size(), 1u);
  EXPECT_EQ(book.name, "w");
  EXPECT_EQ(json::parse(*CharacterBookJson(file)), json::parse(file)["data"]);
  EXPECT_EQ(ParseCharacterBook(R"({"spec": "chara_card_v2", "entries": []})").status().message(),
            "character_book.spec: a lorebook file must say lorebook_v3, got \"chara_card_v2\"");
}

TEST(LorebookTest, BadBooksAreRefusedNamingThePath) {
  auto error = [](const std::string& text) { return ParseCharacterBook(text).status().message(); };
  EXPECT_EQ(error(R"({"entries": [{"keys": ["a", 3], "content": "x"}]})"),
            "character_book.entries[0].keys[1]: expected a string, got number");
  EXPECT_EQ(ParseCharacterBook(R"({"entries": [{"keys": ["a", 3], "content": "x"}]})").status().field(),
            "character_book.entries[0].keys[1]");
  EXPECT_EQ(error(R"({"entries": [{"keys": []}]})"), "character_book.entries[0].content: is required");
  EXPECT_EQ(error(R"({"entries": [{"content": "x"}]})"), "character_book.entries[0].keys: is required");
  EXPECT_EQ(error(R"({"entries": [{"keys": [], "content": 1}]})"),
            "character_book.entries[0].content: expected a string, got number");
  EXPECT_EQ(error(R"({"entries": [{"keys": [], "content": "", "enabled": "yes"}]})"),
            "character_book.entries[0].enabled: expected true or false, got string");
  EXPECT_EQ(error(R"({"entries": [{"keys": [], "content": "", "insertion_order": "1"}]})"),
            "character_book.entries[0].insertion_order: expected a number, got string");
  EXPECT_EQ(error(R"({"entries": [{"keys": [], "content": "", "position": "middle"}]})"),
            "character_book.entries[0].position: must be before_char or after_char, got 'middle'");
  EXPECT_EQ(error(R"({"entries": [{"keys": [], "content": "", "id": []}]})"),
            "character_book.entries[0].id: expected a number or a string, got array");
  EXPECT_EQ(error(R"({"entries": [{"keys": [], "content": "", "extensions": 1}]})"),
            "character_book.entries[0].extensions: expected an object, got number");
  EXPECT_EQ(error(R"({"entries": [7]})"), "character_book.entries[0]: expected an object, got number");
  EXPECT_EQ(error(R"({"entries": {"5": {"key": "dragon", "content": "x"}}})"),
            "character_book.entries.5.key: expected an array of strings, got string");
  EXPECT_EQ(error(R"({"entries": 3})"),
            "character_book.entries: expected an array (or World Info's object keyed by uid), got number");
  EXPECT_EQ(error(R"({"scan_depth": -1, "entries": []})"), "character_book.scan_depth: must not be negative");
  EXPECT_EQ(error(R"({"token_budget": "lots", "entries": []})"),
            "character_book.token_budget: expected a number, got string");
  EXPECT_EQ(error("{}"), "character_book.entries: is required");
  EXPECT_EQ(error("["), "character_book: is not valid JSON");
  EXPECT_EQ(error("[]"), "character_book: expected an object, got array");
  EXPECT_EQ(ParseCharacterBook(R"({"entries": 3})", "data.character_book").status().field(),
            "data.character_book.entries");
}

}  // namespace
}  // namespace troupe::chat
