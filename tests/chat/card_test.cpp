// Character Cards against real cards from the ecosystem (shared/testdata/cards) and hand-made bad
// ones.
#include "chat/card.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chat/lorebook.h"
#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

using nlohmann::json;

std::string ReadCard(const std::string& name) {
  std::ifstream in(::troupe::testing::SharedDir() / "testdata/cards" / name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

Result<ImportedCard> Import(const std::string& name) {
  const std::string bytes = ReadCard(name);
  return IsPng(bytes) ? ParseCardPng(bytes) : ParseCardJson(bytes);
}

struct Expectation {
  std::string file;
  CardSpec spec;
  std::string name;
  size_t lorebook_entries;  // 0: no book
  size_t alternate_greetings;
};

TEST(CardTest, EveryRealCardImports) {
  const std::vector<Expectation> cards = {
      {"v1_skynet.png", CardSpec::kV1, "Skynet", 0, 0},
      {"v1_grumpy_purrsnatch.json", CardSpec::kV1, "", 0, 0},
      {"v2_coding_sensei.png", CardSpec::kV2, "Coding Sensei", 0, 0},
      {"v2_seraphina_lorebook.png", CardSpec::kV2, "Seraphina", 1, 0},
      {"v2v3_seraphina_chara_and_ccv3.png", CardSpec::kV3, "Seraphina", 1, 0},
      {"v3_default_chan_ccv3_only.png", CardSpec::kV3, "", 0, 0},
      {"v3_savannah_chen.json", CardSpec::kV3, "", 0, 0},
      {"v2_melina_pygmalion.png", CardSpec::kV2, "", 0, 0},
      {"v2_arleigh_lorebook34.png", CardSpec::kV2, "", 34, 2},
      {"v2_dr_light.png", CardSpec::kV2, "", 0, 0},
      {"v2_shodan_chub.png", CardSpec::kV2, "", 0, 0},
  };
  for (const Expectation& expected : cards) {
    Result<ImportedCard> card = Import(expected.file);
    ASSERT_TRUE(card.ok()) << expected.file << ": " << card.status().ToString();
    EXPECT_EQ(card->spec, expected.spec) << expected.file;
    EXPECT_FALSE(card->character.name.empty()) << expected.file;
    if (!expected.name.empty()) {
      EXPECT_EQ(card->character.name, expected.name) << expected.file;
    }
    EXPECT_FALSE(card->character.description.empty() && card->character.first_mes.empty()) << expected.file;
    if (expected.lorebook_entries > 0) {
      Result<Lorebook> book = ParseCharacterBook(card->character.character_book_json);
      ASSERT_TRUE(book.ok()) << expected.file << ": " << book.status().ToString();
      if (expected.lorebook_entries > 1) {
        EXPECT_EQ(book->entries.size(), expected.lorebook_entries) << expected.file;
      } else {
        EXPECT_FALSE(book->entries.empty()) << expected.file;
      }
    }
    if (expected.alternate_greetings > 0) {
      EXPECT_EQ(card->character.alternate_greetings.size(), expected.alternate_greetings) << expected.file;
    }
  }
}

// A real book's entries activate on their own keys.
TEST(CardTest, ARealLorebookActivatesByItsKeys) {
  Result<ImportedCard> card = Import("v2_arleigh_lorebook34.png");
  ASSERT_TRUE(card.ok());
  Result<Lorebook> book = ParseCharacterBook(card->character.character_book_json);
  ASSERT_TRUE(book.ok());
  auto words = [](std::string_view text) { return static_cast<int64_t>(text.size() / 4 + 1); };
  int checked = 0;
  for (const LorebookEntry& entry : book->entries) {
    if (entry.keys.empty() || !entry.enabled || entry.selective || entry.constant) continue;
    bool found = false;
    for (const ActivatedEntry& hit : ActivateLorebook(*book, {"tell me about " + entry.keys[0] + " please"}, words, 1 << 20)) {
      found = found || hit.content == entry.content;
    }
    EXPECT_TRUE(found) << entry.keys[0];
    ++checked;
  }
  EXPECT_GT(checked, 10);
}

TEST(CardTest, JsonRoundTripKeepsEveryFieldAndUnknownExtensions) {
  const std::string original = R"({"spec": "chara_card_v3", "spec_version": "3.0", "data": {
      "name": "Elias", "description": "d", "personality": "p", "scenario": "s", "first_mes": "Hi {{user}}",
      "mes_example": "<START>", "creator_notes": "n", "system_prompt": "sp", "post_history_instructions": "ph",
      "alternate_greetings": ["a", "b"], "tags": ["x"], "creator": "me", "character_version": "1.2",
      "character_book": {"entries": [{"keys": ["k"], "content": "c"}]},
      "extensions": {"depth_prompt": {"depth": 4, "prompt": "deep"}, "chub": {"id": 7},
                     "troupe": {"flow": "stages:\n  a: {}\n", "minor": true}},
      "nickname": "Eli", "creator_notes_multilingual": {"fr": "bonjour"}, "source": ["https://x"],
      "group_only_greetings": ["g"], "assets": [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}],
      "creation_date": 1700000000, "modification_date": 1700000100}})";
  Result<ImportedCard> card = ParseCardJson(original);
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  const store::Character& character = card->character;
  EXPECT_EQ(character.flow, "stages:\n  a: {}\n");
  EXPECT_EQ(json::parse(character.extensions_json)["troupe"], (json{{"minor", true}}));
  EXPECT_EQ(character.nickname, "Eli");
  EXPECT_EQ(character.creation_date, 1700000000);
  Result<ImportedCard> iso = ParseCardJson(
      R"({"spec": "chara_card_v3", "data": {"name": "A", "creation_date": "2025-11-10T21:55:00.000Z"}})");
  ASSERT_TRUE(iso.ok()) << iso.status().ToString();
  EXPECT_EQ(iso->character.creation_date, 1762811700);

  json exported = json::parse(CardJson(character, CardSpec::kV3));
  json expected = json::parse(original);
  EXPECT_EQ(exported["spec"], "chara_card_v3");
  EXPECT_EQ(exported["data"], expected["data"]);
  // V2 carries the V2 fields, the same extensions included.
  json v2 = json::parse(CardJson(character, CardSpec::kV2));
  EXPECT_EQ(v2["spec"], "chara_card_v2");
  EXPECT_EQ(v2["data"]["extensions"], expected["data"]["extensions"]);
  EXPECT_FALSE(v2["data"].contains("nickname"));
}

TEST(CardTest, PngRoundTripKeepsTheImageAndPrefersTheV3Chunk) {
  const std::string avatar = ReadCard("v2_dr_light.png");
  Result<ImportedCard> card = ParseCardPng(avatar);
  ASSERT_TRUE(card.ok());
  card->character.nickname = "only in v3";
  Result<std::string> png = CardPng(card->character, avatar);
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  Result<ImportedCard> again = ParseCardPng(*png);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->spec, CardSpec::kV3);
  EXPECT_EQ(again->character.nickname, "only in v3");
  EXPECT_EQ(again->character.description, card->character.description);
  EXPECT_EQ(json::parse(again->character.extensions_json), json::parse(card->character.extensions_json));

  // Without an avatar, a generated image carries the card.
  Result<std::string> generated = CardPng(card->character, "");
  ASSERT_TRUE(generated.ok());
  EXPECT_TRUE(IsPng(*generated));
  EXPECT_EQ(ParseCardPng(*generated)->character.name, card->character.name);
}

TEST(CardTest, BadCardsNameWhatIsWrong) {
  auto error = [](const std::string& text) { return ParseCardJson(text).status().message(); };
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"description": "x"}})"), "data.name: is required");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"name": "A", "alternate_greetings": ["a", 2]}})"),
            "data.alternate_greetings[1]: expected a string, got number");
  EXPECT_EQ(error(R"({"spec": "chara_card_v3", "data": {"name": "A", "creation_date": "yesterday"}})"),
            "data.creation_date: expected a number (seconds since the epoch) or an ISO 8601 date, got string");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"name": 5}})"), "data.name: expected a string, got number");
  EXPECT_EQ(error(R"({"spec": "chara_card_v9", "data": {}})"),
            "spec: 'chara_card_v9' is not a card this version reads (chara_card_v2, chara_card_v3)");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2"})"), "data: is required");
  EXPECT_EQ(error("[1]"), "the card must be a JSON object, got array");
  EXPECT_EQ(error("{"), "the card is not valid JSON");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"name": "A", "extensions": {"troupe": {"flow": 3}}}})"),
            "data.extensions.troupe.flow: expected a string (the flow YAML), got number");
}

TEST(CardTest, BadPngsNameWhatIsWrong) {
  EXPECT_EQ(ParseCardPng("GIF89a....").status().message(), "not a PNG file (its signature is missing)");
  std::string png = ReadCard("v2_dr_light.png");
  std::string truncated = png.substr(0, png.size() / 2);
  EXPECT_NE(ParseCardPng(truncated).status().message().find("corrupt PNG"), std::string::npos);
  std::string flipped = png;
  flipped[png.size() / 2] ^= 0x40;
  EXPECT_NE(ParseCardPng(flipped).status().message().find("bad CRC"), std::string::npos);
  // A valid image with no card.
  store::Character nameless;
  nameless.name = "X";
  Result<std::string> with_card = CardPng(nameless, "");
  ASSERT_TRUE(with_card.ok());
  std::string no_card = *with_card;
  for (const char* keyword : {"chara", "ccv3"}) {
    for (size_t at = no_card.find(std::string(keyword) + '\0'); at != std::string::npos;
         at = no_card.find(std::string(keyword) + '\0')) {
      no_card.replace(at, 1, "X");  // renames the chunk keyword; the CRC now fails
    }
  }
  EXPECT_NE(ParseCardPng(no_card).status().message().find("corrupt PNG"), std::string::npos);
}

TEST(CardTest, TellsCardsFromRecords) {
  EXPECT_TRUE(LooksLikeCardJson(R"({"spec": "chara_card_v2", "data": {}})"));
  EXPECT_TRUE(LooksLikeCardJson(R"({"char_name": "A"})"));
  EXPECT_FALSE(LooksLikeCardJson(R"({"name": "A", "published": true})"));
  EXPECT_FALSE(LooksLikeCardJson("[]"));
}

}  // namespace
}  // namespace troupe::chat
