// Character Cards as JSON: every real card from the ecosystem (shared/testdata/cards), hand-made
// bad ones, and the round trip through a real SQLite store.
#include "chat/card.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chat/card_png.h"
#include "chat/card_store.h"
#include "chat/lorebook.h"
#include "store/store.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

using ::troupe::testing::ReadSharedFile;

using nlohmann::json;

struct Expectation {
  std::string file;
  CardSpec spec;
  std::string name;
  size_t lorebook_entries;  // 0: no book
  size_t alternate_greetings;
  size_t tags;
  std::string creator;
  std::vector<std::string> extension_keys;
};

// What each file holds, as shared/testdata/cards/README.md describes it.
TEST(CardTest, EveryRealCardImportsWithItsFields) {
  const std::vector<Expectation> cards = {
      {"v1_skynet.png", CardSpec::kV1, "Skynet", 0, 0, 0, "", {}},
      {"v1_grumpy_purrsnatch.json", CardSpec::kV1, "Grumpy Purrsnatch", 0, 0, 0, "", {}},
      {"v2_coding_sensei.png", CardSpec::kV2, "Coding Sensei", 0, 0, 3, "RossAscends",
       {"depth_prompt", "fav", "talkativeness", "world"}},
      {"v2_seraphina_lorebook.png", CardSpec::kV2, "Seraphina", 4, 0, 0, "OtisAlejandro", {"fav", "talkativeness", "world"}},
      {"v2v3_seraphina_chara_and_ccv3.png", CardSpec::kV3, "Seraphina", 4, 0, 0, "OtisAlejandro",
       {"depth_prompt", "fav", "talkativeness", "world"}},
      {"v3_default_chan_ccv3_only.png", CardSpec::kV3, "Default-chan", 0, 2, 5, "Choral", {}},
      {"v3_savannah_chen.json", CardSpec::kV3, "Savannah Chen", 0, 4, 10, "Architect", {}},
      {"v2_melina_pygmalion.png", CardSpec::kV2, "Melina", 0, 0, 4, "", {"depth_prompt", "pygmalion_id"}},
      {"v2_arleigh_lorebook34.png", CardSpec::kV2, "Arleigh, the Cheerful Assassin", 34, 2, 24, "Ultimate",
       {"depth_prompt", "visual_description"}},
      {"v2_dr_light.png", CardSpec::kV2, "Dr. Light", 0, 0, 13, "Antizen", {"depth_prompt", "visual_description"}},
      {"v2_shodan_chub.png", CardSpec::kV2, "Shodan", 0, 0, 0, "", {"chub"}},
  };
  for (const Expectation& expected : cards) {
    SCOPED_TRACE(expected.file);
    Result<ImportedCard> card = ParseCard(ReadSharedFile(std::filesystem::path("testdata/cards") / expected.file));
    ASSERT_TRUE(card.ok()) << card.status().ToString();
    const store::Character& character = card->character;
    EXPECT_EQ(card->spec, expected.spec);
    EXPECT_EQ(character.name, expected.name);
    EXPECT_FALSE(character.description.empty());
    EXPECT_FALSE(character.first_mes.empty());
    EXPECT_EQ(character.alternate_greetings.size(), expected.alternate_greetings);
    EXPECT_EQ(character.tags.size(), expected.tags);
    EXPECT_EQ(character.creator, expected.creator);
    std::vector<std::string> keys;
    const json extensions = json::parse(character.extensions_json);
    for (auto it = extensions.begin(); it != extensions.end(); ++it) keys.push_back(it.key());
    EXPECT_EQ(keys, expected.extension_keys);
    EXPECT_EQ(card->avatar_png.empty(), expected.file.ends_with(".json"));
    if (expected.lorebook_entries == 0) {
      EXPECT_EQ(character.character_book_json, "");
    } else {
      Result<Lorebook> book = ParseCharacterBook(character.character_book_json);
      ASSERT_TRUE(book.ok()) << book.status().ToString();
      EXPECT_EQ(book->entries.size(), expected.lorebook_entries);
    }
  }
}

TEST(CardTest, RealCardsKeepTheirSpecialFields) {
  // V3 JSON: an ISO 8601 creation date, a nickname, `character_book: null` read as no book.
  Result<ImportedCard> savannah = ParseCard(ReadSharedFile("testdata/cards/v3_savannah_chen.json"));
  ASSERT_TRUE(savannah.ok());
  EXPECT_EQ(savannah->character.nickname, "Savvy");
  EXPECT_EQ(savannah->character.creation_date, 1762811700);  // 2025-11-10T21:55:00.000Z
  EXPECT_FALSE(savannah->character.modification_date.has_value());
  // V1 with both the Pygmalion and the TavernAI names: the TavernAI ones win.
  Result<ImportedCard> grumpy = ParseCard(ReadSharedFile("testdata/cards/v1_grumpy_purrsnatch.json"));
  ASSERT_TRUE(grumpy.ok());
  const json raw = json::parse(ReadSharedFile("testdata/cards/v1_grumpy_purrsnatch.json"));
  EXPECT_EQ(grumpy->character.first_mes, raw["first_mes"]);
  EXPECT_EQ(grumpy->character.mes_example, raw["mes_example"]);
  // Pygmalion names alone.
  Result<ImportedCard> pygmalion = ParseCardJson(R"({"char_name": "Old", "char_persona": "grumpy",
      "world_scenario": "a shop", "char_greeting": "Hmph.", "example_dialogue": "<START>"})");
  ASSERT_TRUE(pygmalion.ok()) << pygmalion.status().ToString();
  EXPECT_EQ(pygmalion->spec, CardSpec::kV1);
  EXPECT_EQ(pygmalion->character.name, "Old");
  EXPECT_EQ(pygmalion->character.description, "grumpy");
  EXPECT_EQ(pygmalion->character.scenario, "a shop");
  EXPECT_EQ(pygmalion->character.first_mes, "Hmph.");
  EXPECT_EQ(pygmalion->character.mes_example, "<START>");
}

constexpr char kFullCard[] = R"({"spec": "chara_card_v3", "spec_version": "3.0", "data": {
    "name": "Elias", "description": "d", "personality": "p", "scenario": "s", "first_mes": "Hi {{user}}",
    "mes_example": "<START>", "creator_notes": "n", "system_prompt": "sp", "post_history_instructions": "ph",
    "alternate_greetings": ["a", "b"], "tags": ["x"], "creator": "me", "character_version": "1.2",
    "character_book": {"name": "world", "scan_depth": 3, "extensions": {"chub": 1},
                       "entries": [{"keys": ["k"], "content": "c", "x_custom": [1, 2]}]},
    "extensions": {"depth_prompt": {"depth": 4, "prompt": "deep"}, "chub": {"id": 7, "ratio": 0.1, "big": 12345678901234},
                   "troupe": {"flow": "stages:\n  a: {}\n", "minor": true}},
    "nickname": "Eli", "creator_notes_multilingual": {"fr": "bonjour"}, "source": ["https://x"],
    "group_only_greetings": ["g"], "assets": [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}],
    "creation_date": 1700000000, "modification_date": 1700000100, "create_date": "ignored"}})";

TEST(CardTest, JsonRoundTripKeepsEveryFieldAndUnknownExtensions) {
  Result<ImportedCard> card = ParseCardJson(kFullCard);
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  const store::Character& character = card->character;
  EXPECT_EQ(card->spec, CardSpec::kV3);
  EXPECT_EQ(character.flow, "stages:\n  a: {}\n");
  // The flow has its own field; `minor` stays where the flow validator reads it.
  EXPECT_EQ(json::parse(character.extensions_json)["troupe"], (json{{"minor", true}}));
  EXPECT_EQ(character.nickname, "Eli");
  EXPECT_EQ(character.creation_date, 1700000000);
  EXPECT_EQ(character.group_only_greetings, std::vector<std::string>{"g"});

  const json original = json::parse(kFullCard)["data"];
  json exported = json::parse(CardJson(character, CardSpec::kV3));
  EXPECT_EQ(exported["spec"], "chara_card_v3");
  EXPECT_EQ(exported["spec_version"], "3.0");
  // The lorebook gains the fields the spec requires; everything else is as it came.
  json expected = original;
  expected.erase("create_date");
  json& entry = expected["character_book"]["entries"][0];
  entry["extensions"] = json::object();
  entry["enabled"] = true;
  entry["insertion_order"] = 100;
  entry["use_regex"] = false;
  EXPECT_EQ(exported["data"], expected);

  // V2 carries the same V2 fields and extensions, and no V3-only lorebook field.
  json v2 = json::parse(CardJson(character, CardSpec::kV2));
  EXPECT_EQ(v2["spec"], "chara_card_v2");
  EXPECT_EQ(v2["spec_version"], "2.0");
  EXPECT_EQ(v2["data"]["extensions"], original["extensions"]);
  EXPECT_FALSE(v2["data"].contains("nickname"));
  EXPECT_FALSE(v2["data"]["character_book"]["entries"][0].contains("use_regex"));
  for (const char* field : {"name", "description", "personality", "scenario", "first_mes", "mes_example",
                            "creator_notes", "system_prompt", "post_history_instructions", "alternate_greetings",
                            "tags", "creator", "character_version"}) {
    EXPECT_EQ(v2["data"][field], original[field]) << field;
  }
}

// The whole path a card takes: JSON -> store (a real SQLite file) -> JSON, for every real card.
TEST(CardTest, UnknownExtensionsSurviveTheStore) {
  ::troupe::testing::TempDir dir;
  store::StoreOptions options;
  options.url = "sqlite://" + (dir / "troupe.db").string();
  Result<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_TRUE((*opened)->Migrate().ok());
  std::vector<std::string> cards = {"v2_coding_sensei.png", "v2_shodan_chub.png", "v2_arleigh_lorebook34.png",
                                    "v2v3_seraphina_chara_and_ccv3.png", "v3_savannah_chen.json"};
  for (const std::string& file : cards) {
    SCOPED_TRACE(file);
    const std::string bytes = ReadSharedFile(std::filesystem::path("testdata/cards") / file);
    Result<ImportedCard> card = ParseCard(bytes);
    ASSERT_TRUE(card.ok()) << card.status().ToString();
    Result<store::Character> stored = StoreImportedCard(**opened, std::move(card).value(), {});
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    Result<store::Character> read = (*opened)->characters().Get(stored->id);
    ASSERT_TRUE(read.ok());
    // The source's extensions, value for value: the raw JSON file's, or what the PNG's chunk held.
    const json source_extensions = IsPng(bytes) ? json::parse(ParseCard(bytes)->character.extensions_json)
                                                : json::parse(bytes)["data"]["extensions"];
    for (CardSpec spec : {CardSpec::kV2, CardSpec::kV3}) {
      const json exported = json::parse(CardJson(*read, spec));
      EXPECT_EQ(exported["data"]["extensions"], source_extensions);
      EXPECT_EQ(exported["data"]["first_mes"], read->first_mes);
    }
  }
}

TEST(CardTest, TheV3BackfillNoteIsRemovedOnImport) {
  json card = json::parse(kFullCard);
  card["spec"] = "chara_card_v2";
  card["data"]["creator_notes"] = "Made by me.\n\n" + std::string(kV3BackfillNote);
  Result<ImportedCard> imported = ParseCardJson(card.dump());
  ASSERT_TRUE(imported.ok());
  EXPECT_EQ(imported->character.creator_notes, "Made by me.");
}

TEST(CardTest, BadCardsNameWhatIsWrong) {
  auto error = [](const std::string& text) { return ParseCardJson(text).status().message(); };
  auto field = [](const std::string& text) { return ParseCardJson(text).status().field(); };
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"description": "x"}})"), "data.name: is required");
  EXPECT_EQ(field(R"({"spec": "chara_card_v2", "data": {"description": "x"}})"), "data.name");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"name": "  "}})"), "data.name: must not be empty");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"name": "A", "alternate_greetings": ["a", "b", 2]}})"),
            "data.alternate_greetings[2]: expected a string, got number");
  EXPECT_EQ(field(R"({"spec": "chara_card_v2", "data": {"name": "A", "alternate_greetings": ["a", "b", 2]}})"),
            "data.alternate_greetings[2]");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"name": "A", "tags": "x"}})"),
            "data.tags: expected an array of strings, got string");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"name": "A", "extensions": []}})"),
            "data.extensions: expected an object, got array");
  EXPECT_EQ(error(R"({"spec": "chara_card_v3", "data": {"name": "A", "creation_date": "yesterday"}})"),
            "data.creation_date: expected a number (seconds since the epoch) or an ISO 8601 date, got string");
  EXPECT_EQ(error(R"({"spec": "chara_card_v3", "data": {"name": "A", "creator_notes_multilingual": {"fr": 1}}})"),
            "data.creator_notes_multilingual.fr: expected a string, got number");
  EXPECT_EQ(error(R"({"spec": "chara_card_v3", "data": {"name": "A", "assets": [{"type": "icon", "uri": 3}]}})"),
            "data.assets[0].uri: expected a string, got number");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"name": 5}})"), "data.name: expected a string, got number");
  EXPECT_EQ(error(R"({"spec": "chara_card_v9", "data": {}})"),
            "spec: 'chara_card_v9' is not a card this version reads (chara_card_v2, chara_card_v3)");
  EXPECT_EQ(error(R"({"spec": 2, "data": {}})"), "spec: expected a string, got number");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2"})"), "data: is required");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": "Elias"})"), "data: expected an object, got string");
  EXPECT_EQ(error(R"({"description": "V1 without a name"})"), "name: is required");
  EXPECT_EQ(error("[1]"), "the card must be a JSON object, got array");
  EXPECT_EQ(error("{"), "the card is not valid JSON");
  EXPECT_EQ(error(std::string(100, '[') + std::string(100, ']')), "card: nested deeper than 64 levels at byte 64");
  // Troupe's extensions: the flow must be YAML text, and what the safety gate reads must be typed.
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"name": "A", "extensions": {"troupe": {"flow": 3}}}})"),
            "data.extensions.troupe.flow: expected a string (the flow YAML), got number");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"name": "A", "extensions": {"troupe": {"minor": "yes"}}}})"),
            "data.extensions.troupe.minor: expected true or false, got string");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"name": "A", "extensions": {"troupe": {"age": "12"}}}})"),
            "data.extensions.troupe.age: expected a number (years), got string");
  // The lorebook is checked where it sits in the card.
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"name": "A", "character_book":
                      {"entries": [{"keys": ["a"], "content": "x"}, {"keys": ["b", 3], "content": "y"}]}}})"),
            "data.character_book.entries[1].keys[1]: expected a string, got number");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"name": "A", "character_book": {"entries": 4}}})"),
            "data.character_book.entries: expected an array (or World Info's object keyed by uid), got number");
  EXPECT_EQ(error(R"({"spec": "chara_card_v2", "data": {"name": "A", "character_book": []}})"),
            "data.character_book: expected an object, got array");
}

TEST(CardTest, NullFieldsCountAsAbsent) {
  Result<ImportedCard> card = ParseCardJson(R"({"spec": "chara_card_v2", "data": {"name": "A",
      "description": null, "tags": null, "character_book": null, "extensions": null}})");
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  EXPECT_EQ(card->character.description, "");
  EXPECT_EQ(card->character.character_book_json, "");
  EXPECT_EQ(card->character.extensions_json, "{}");
}

TEST(CardTest, TellsCardsFromRecords) {
  EXPECT_TRUE(LooksLikeCardJson(R"({"spec": "chara_card_v2", "data": {}})"));
  EXPECT_TRUE(LooksLikeCardJson(R"({"char_name": "A"})"));
  EXPECT_TRUE(LooksLikeCardJson(R"({"name": "A", "first_mes": "hi", "mes_example": ""})"));
  EXPECT_FALSE(LooksLikeCardJson(R"({"name": "A", "published": true})"));
  EXPECT_FALSE(LooksLikeCardJson(R"({"name": "A", "first_mes": "hi", "mes_example": "", "flow": ""})"));
  EXPECT_FALSE(LooksLikeCardJson("[]"));
  EXPECT_FALSE(LooksLikeCardJson("not json"));
}

}  // namespace
}  // namespace troupe::chat
