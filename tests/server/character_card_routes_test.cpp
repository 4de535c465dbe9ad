// Character Card import and export over HTTP (POST /api/v1/characters with a card JSON or PNG,
// GET .../card and .../card.png), on a real socket with a real SQLite store and data directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chat/card.h"
#include "chat/card_png.h"
#include "server/api_fixture.h"
#include "studio/avatar.h"
#include "support/temp_dir.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

std::string ReadShared(const std::string& relative) {
  std::ifstream in(::troupe::testing::SharedDir() / relative, std::ios::binary);
  EXPECT_TRUE(in) << relative;
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// An API whose data directory is a temp dir of the test's own.
class CardRoutes {
 public:
  CardRoutes() : api_(Backend::kSqlite, Options(data_.path())) { key_ = api_.MintKey({"studio"}).key; }

  ClientResponse ImportJson(const std::string& body) { return api_.Call("POST", "/api/v1/characters", key_, body); }
  ClientResponse ImportPng(const std::string& body, const std::string& content_type = "image/png") {
    return api_.Call("POST", "/api/v1/characters", key_, body, {{"Content-Type", content_type}});
  }
  ClientResponse Get(const std::string& target) { return api_.Call("GET", target, key_); }

  ApiServer& api() { return api_; }
  const std::string& key() const { return key_; }
  const std::filesystem::path& data() const { return data_.path(); }

 private:
  static ApiOptions Options(const std::filesystem::path& data_dir) {
    ApiOptions options = UnlimitedOptions();
    options.data_dir = data_dir.string();
    return options;
  }
  ::troupe::testing::TempDir data_;
  ApiServer api_;
  std::string key_;
};

std::string Base(const ClientResponse& created) {
  return "/api/v1/characters/" + std::to_string(created.Json()["id"].get<int64_t>());
}

TEST(CharacterCardRoutesTest, EveryRealCardImportsAsJsonOrPng) {
  CardRoutes routes;
  ASSERT_TRUE(routes.api().ok());
  const std::vector<std::pair<std::string, std::string>> cards = {
      {"v1_skynet.png", "Skynet"},
      {"v1_grumpy_purrsnatch.json", "Grumpy Purrsnatch"},
      {"v2_coding_sensei.png", "Coding Sensei"},
      {"v2_seraphina_lorebook.png", "Seraphina"},
      {"v2v3_seraphina_chara_and_ccv3.png", "Seraphina"},
      {"v3_default_chan_ccv3_only.png", "Default-chan"},
      {"v3_savannah_chen.json", "Savannah Chen"},
      {"v2_melina_pygmalion.png", "Melina"},
      {"v2_arleigh_lorebook34.png", "Arleigh, the Cheerful Assassin"},
      {"v2_dr_light.png", "Dr. Light"},
      {"v2_shodan_chub.png", "Shodan"},
  };
  for (const auto& [file, name] : cards) {
    SCOPED_TRACE(file);
    const std::string bytes = ReadShared("testdata/cards/" + file);
    const bool png = chat::IsPng(bytes);
    ClientResponse created = png ? routes.ImportPng(bytes) : routes.ImportJson(bytes);
    ASSERT_EQ(created.status, 201) << created.body;
    const json character = created.Json();
    EXPECT_GT(character["id"].get<int64_t>(), 0);
    EXPECT_EQ(character["name"], name);
    EXPECT_FALSE(character["slug"].get<std::string>().empty());
    EXPECT_FALSE(character["published"].get<bool>());
    // A PNG's image is kept as the avatar; a JSON card has none.
    const std::string avatar = character["avatar"];
    EXPECT_EQ(avatar.empty(), !png);
    if (png) {
      EXPECT_EQ(avatar, "avatars/" + std::to_string(character["id"].get<int64_t>()) + "/" +
                            character["slug"].get<std::string>() + ".png");
      EXPECT_EQ(ReadFile(routes.data() / avatar), *chat::WithoutCardChunks(bytes));
    }
  }
  ClientResponse listed = routes.Get("/api/v1/characters?limit=100");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.Json()["data"].size(), cards.size());
}

TEST(CharacterCardRoutesTest, CardsExportAsJsonAndPngAndImportAgain) {
  CardRoutes routes;
  ASSERT_TRUE(routes.api().ok());
  const std::string original = ReadShared("testdata/cards/v2v3_seraphina_chara_and_ccv3.png");
  ClientResponse created = routes.ImportPng(original);
  ASSERT_EQ(created.status, 201) << created.body;
  const json stored = created.Json();
  EXPECT_TRUE(stored["character_book"].is_object());
  const std::string base = Base(created);

  // JSON: V3 by default, V2 on request, the same extensions either way.
  ClientResponse v3 = routes.Get(base + "/card");
  ASSERT_EQ(v3.status, 200) << v3.body;
  EXPECT_EQ(v3.Header("content-type"), "application/json");
  EXPECT_EQ(v3.Json()["spec"], "chara_card_v3");
  EXPECT_EQ(v3.Json()["data"]["character_book"]["entries"].size(), 4u);
  ClientResponse v2 = routes.Get(base + "/card?spec=v2");
  ASSERT_EQ(v2.status, 200);
  EXPECT_EQ(v2.Json()["spec"], "chara_card_v2");
  EXPECT_EQ(v2.Json()["data"]["name"], "Seraphina");
  EXPECT_EQ(v2.Json()["data"]["extensions"], stored["extensions"]);
  EXPECT_EQ(v3.Json()["data"]["extensions"], stored["extensions"]);
  ExpectApiError(routes.Get(base + "/card?spec=v4"), 400, "invalid_argument", "spec");

  // PNG: over the imported image, imported again to the same fields.
  ClientResponse png = routes.Get(base + "/card.png");
  ASSERT_EQ(png.status, 200);
  EXPECT_EQ(png.Header("content-type"), "image/png");
  EXPECT_EQ(png.Header("content-disposition"), "attachment; filename=\"" + stored["slug"].get<std::string>() + ".png\"");
  EXPECT_EQ(*chat::WithoutCardChunks(png.body), *chat::WithoutCardChunks(original));
  ClientResponse again = routes.ImportPng(png.body);
  ASSERT_EQ(again.status, 201) << again.body;
  for (const char* field : {"name", "description", "first_mes", "mes_example", "extensions", "character_book",
                            "creator_notes", "alternate_greetings", "tags"}) {
    EXPECT_EQ(again.Json()[field], stored[field]) << field;
  }
  // The exported JSON card imports too, into a character with the same card.
  ClientResponse from_json = routes.ImportJson(v3.body);
  ASSERT_EQ(from_json.status, 201) << from_json.body;
  EXPECT_EQ(from_json.Json()["extensions"], stored["extensions"]);

  // A PNG sent without its media type is recognised by its signature.
  ClientResponse untyped = routes.ImportPng(original, "application/octet-stream");
  ASSERT_EQ(untyped.status, 201) << untyped.body;

  // Deleting the character removes its avatar file.
  const std::filesystem::path avatar = routes.data() / untyped.Json()["avatar"].get<std::string>();
  ASSERT_TRUE(std::filesystem::exists(avatar));
  ASSERT_EQ(routes.api().Call("DELETE", Base(untyped), routes.key()).status, 204);
  EXPECT_FALSE(std::filesystem::exists(avatar));
}

// A character reads and deletes only its own picture, whatever its `avatar` says; clients cannot
// set `avatar` at all (an outside probe shared and then deleted another character's picture so).
TEST(CharacterCardRoutesTest, AvatarsBelongToTheirCharacter) {
  CardRoutes routes;
  ASSERT_TRUE(routes.api().ok());
  const std::string png = ReadShared("testdata/cards/v2_dr_light.png");
  ClientResponse owner = routes.ImportPng(png);
  ASSERT_EQ(owner.status, 201) << owner.body;
  const std::string owned = owner.Json()["avatar"];
  const std::filesystem::path owned_file = routes.data() / owned;
  ASSERT_TRUE(std::filesystem::exists(owned_file));

  // Naming it through the API is refused, on create and update.
  ClientResponse thief = routes.ImportJson(json{{"name", "Thief"}, {"avatar", owned}}.dump());
  ExpectApiError(thief, 400, "invalid_argument", "avatar");
  ClientResponse plain = routes.ImportJson(json{{"name", "Plain"}}.dump());
  ASSERT_EQ(plain.status, 201);
  ClientResponse patched = routes.api().Call("PATCH", Base(plain), routes.key(),
                                             json{{"version", 1}, {"avatar", owned}}.dump());
  ExpectApiError(patched, 400, "invalid_argument", "avatar");
  // Sending back the value read is no change and is accepted.
  ClientResponse same = routes.api().Call("PATCH", Base(owner), routes.key(),
                                          json{{"version", owner.Json()["version"]}, {"avatar", owned}, {"tags", {"x"}}}.dump());
  EXPECT_EQ(same.status, 200) << same.body;

  // A row that names another character's file anyway (written before this fix) neither shows nor
  // deletes it.
  store::Character borrower;
  borrower.name = "Borrower";
  borrower.avatar = owned;
  Result<store::Character> stored = routes.api().store().characters().Create(borrower);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  const std::string borrower_base = "/api/v1/characters/" + std::to_string(stored->id);
  ClientResponse picture = routes.Get(borrower_base + "/avatar");
  ASSERT_EQ(picture.status, 200);
  EXPECT_NE(picture.body, ReadFile(owned_file)) << "served another character's picture";
  ClientResponse replaced = routes.api().Call("PUT", borrower_base + "/avatar", routes.key(), png,
                                              {{"Content-Type", "image/png"}});
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(replaced.Json()["avatar"].get<std::string>().rfind("avatars/" + std::to_string(stored->id) + "/", 0), 0u);
  EXPECT_TRUE(std::filesystem::exists(owned_file)) << "replacing the borrower's picture removed the owner's";
  ASSERT_EQ(routes.api().Call("DELETE", borrower_base, routes.key()).status, 204);
  EXPECT_TRUE(std::filesystem::exists(owned_file)) << "deleting the borrower removed the owner's picture";
  EXPECT_FALSE(std::filesystem::exists(routes.data() / "avatars" / std::to_string(stored->id)));

  // A picture kept before the per-character folders is still its character's.
  store::Character legacy;
  legacy.name = "Legacy";
  legacy.slug = "legacy";
  legacy.avatar = "avatars/legacy.png";
  Result<store::Character> old = routes.api().store().characters().Create(legacy);
  ASSERT_TRUE(old.ok());
  const std::string image = *chat::WithoutCardChunks(png);
  std::ofstream(routes.data() / "avatars" / "legacy.png", std::ios::binary) << image;
  const std::string legacy_base = "/api/v1/characters/" + std::to_string(old->id);
  EXPECT_EQ(routes.Get(legacy_base + "/avatar").body, image);
  ASSERT_EQ(routes.api().Call("DELETE", legacy_base, routes.key()).status, 204);
  EXPECT_FALSE(std::filesystem::exists(routes.data() / "avatars" / "legacy.png"));
  EXPECT_TRUE(std::filesystem::exists(owned_file));
}

TEST(CharacterCardRoutesTest, AJsonCardExportsOverAGeneratedAvatar) {
  CardRoutes routes;
  ASSERT_TRUE(routes.api().ok());
  ClientResponse created = routes.ImportJson(ReadShared("testdata/cards/v3_savannah_chen.json"));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Json()["nickname"], "Savvy");
  ClientResponse png = routes.Get(Base(created) + "/card.png");
  ASSERT_EQ(png.status, 200);
  EXPECT_EQ(*chat::WithoutCardChunks(png.body), *chat::DefaultAvatarPng("Savannah Chen"));
  Result<chat::ImportedCard> card = chat::ParseCardPng(png.body);
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  EXPECT_EQ(card->character.nickname, "Savvy");
}

// Without a kept picture the avatar is the studio's rendering of the character's traits, at the
// asked size: the same bytes every time, different for different characters.
TEST(CharacterCardRoutesTest, AvatarsWithoutAPictureAreRenderedFromTheCharactersTraits) {
  CardRoutes routes;
  ASSERT_TRUE(routes.api().ok());
  ClientResponse savannah = routes.ImportJson(ReadShared("testdata/cards/v3_savannah_chen.json"));
  ASSERT_EQ(savannah.status, 201) << savannah.body;
  ClientResponse other = routes.ImportJson(json{{"name", "Brom Ironfoot"}, {"personality", "gruff, stubborn"}}.dump());
  ASSERT_EQ(other.status, 201) << other.body;
  Result<store::Character> stored = routes.api().store().characters().Get(savannah.Json()["id"].get<int64_t>());
  ASSERT_TRUE(stored.ok());

  ClientResponse picture = routes.Get(Base(savannah) + "/avatar?size=128");
  ASSERT_EQ(picture.status, 200) << picture.body;
  EXPECT_EQ(picture.Header("content-type"), "image/png");
  EXPECT_EQ(picture.body, *studio::RenderAvatarPng(studio::TraitsOf(*stored), 128));
  EXPECT_EQ(routes.Get(Base(savannah) + "/avatar?size=128").body, picture.body);
  EXPECT_EQ(routes.Get(Base(savannah) + "/avatar").body, *studio::RenderAvatarPng(studio::TraitsOf(*stored), 256));
  EXPECT_NE(routes.Get(Base(other) + "/avatar?size=128").body, picture.body);

  for (const std::string bad : {"63", "1025", "big", "128px"}) {
    ExpectApiError(routes.Get(Base(savannah) + "/avatar?size=" + bad), 400, "invalid_argument", "size");
  }
}

TEST(CharacterCardRoutesTest, BadCardsAreRefusedNamingTheField) {
  CardRoutes routes;
  ASSERT_TRUE(routes.api().ok());
  ExpectApiError(routes.ImportJson(R"({"spec":"chara_card_v2","data":{"name":"A","tags":"not a list"}})"), 400,
                 "invalid_argument", "data.tags");
  ClientResponse greeting = routes.ImportJson(R"({"spec":"chara_card_v3","data":{"name":"A","alternate_greetings":["a",2]}})");
  ExpectApiError(greeting, 400, "invalid_argument", "data.alternate_greetings[1]");
  EXPECT_NE(greeting.body.find("data.alternate_greetings[1]: expected a string, got number"), std::string::npos)
      << greeting.body;
  ExpectApiError(routes.ImportJson(R"({"spec":"chara_card_v2","data":{"description":"nameless"}})"), 400,
                 "invalid_argument", "data.name");
  ExpectApiError(routes.ImportJson(R"({"spec":"chara_card_v2","data":{"name":"A","character_book":{"entries":[{"keys":[1],"content":"x"}]}}})"),
                 400, "invalid_argument", "data.character_book.entries[0].keys[0]");

  ClientResponse not_png = routes.ImportPng("not a png at all");
  ExpectApiError(not_png, 400, "invalid_argument", "png");
  EXPECT_NE(not_png.body.find("not a PNG file"), std::string::npos) << not_png.body;
  std::string corrupt = ReadShared("testdata/cards/v2_dr_light.png");
  corrupt[corrupt.size() / 3] ^= 0x10;
  ClientResponse bad_crc = routes.ImportPng(corrupt);
  ExpectApiError(bad_crc, 400, "invalid_argument", "png");
  EXPECT_NE(bad_crc.body.find("corrupt PNG: bad CRC"), std::string::npos) << bad_crc.body;
  ClientResponse no_card = routes.ImportPng(*chat::DefaultAvatarPng("nobody"));
  ExpectApiError(no_card, 400, "invalid_argument", "png");
  EXPECT_NE(no_card.body.find("no character card"), std::string::npos) << no_card.body;

  // The safety gate: a minor's card with a romantic stage is refused, naming the stage.
  const json minor = {{"spec", "chara_card_v2"},
                      {"data",
                       {{"name", "Pip"},
                        {"extensions",
                         {{"troupe", {{"minor", true}, {"flow", "stages:\n  pals: {}\n  crush:\n    romance: romantic\n"}}}}}}}};
  ClientResponse refused = routes.ImportJson(minor.dump());
  ExpectApiError(refused, 400, "invalid_argument", "flow.stages.crush.romance");
  EXPECT_NE(refused.body.find("minor"), std::string::npos) << refused.body;
  // The same through the record form and an update.
  ClientResponse created = routes.ImportJson(json{{"name", "Pip"}, {"extensions", {{"troupe", {{"age", 11}}}}}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  ExpectApiError(routes.api().Call("PATCH", Base(created), routes.key(),
                                   json{{"version", 1}, {"flow", "stages:\n  flirting:\n    romance: flirty\n"}}.dump()),
                 400, "invalid_argument", "flow.stages.flirting.romance");
  ExpectApiError(routes.ImportJson(json{{"name", "B"}, {"flow", "stages: [1"}}.dump()), 400, "invalid_argument");

  // Nothing was stored by the refused imports, and no avatar file was left behind.
  EXPECT_EQ(routes.Get("/api/v1/characters").Json()["data"].size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(routes.data() / "avatars"));
}

TEST(CharacterCardRoutesTest, TheRecordFormTakesAndChecksLorebooks) {
  CardRoutes routes;
  ASSERT_TRUE(routes.api().ok());
  // A SillyTavern World Info file as character_book is stored as a card's book.
  const json world_info = json::parse(ReadShared("testdata/cards/worldinfo_eldoria.json"));
  ClientResponse created = routes.ImportJson(json{{"name", "Sera"}, {"character_book", world_info}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const json book = created.Json()["character_book"];
  ASSERT_TRUE(book["entries"].is_array());
  EXPECT_EQ(book["entries"].size(), 4u);
  EXPECT_EQ(book["entries"][0]["keys"], world_info["entries"]["0"]["key"]);
  ClientResponse card = routes.Get(Base(created) + "/card");
  EXPECT_EQ(card.Json()["data"]["character_book"]["entries"].size(), 4u);

  ExpectApiError(routes.ImportJson(json{{"name", "X"}, {"character_book", {{"entries", {{"5", {{"key", "a"}}}}}}}}.dump()),
                 400, "invalid_argument", "character_book.entries.5.key");
  ExpectApiError(routes.api().Call("PATCH", Base(created), routes.key(),
                                   json{{"version", 1}, {"character_book", {{"entries", 1}}}}.dump()),
                 400, "invalid_argument", "character_book.entries");
}

TEST(CharacterCardRoutesTest, TheOpenApiDocumentDescribesCardsAndImages) {
  CardRoutes routes;
  ASSERT_TRUE(routes.api().ok());
  ClientResponse document = routes.Get("/api/v1/openapi.json");
  ASSERT_EQ(document.status, 200);
  const json paths = document.Json()["paths"];
  const json create = paths["/api/v1/characters"]["post"]["requestBody"]["content"];
  EXPECT_TRUE(create.contains("image/png"));
  EXPECT_EQ(create["application/json"]["schema"]["oneOf"].size(), 2u);
  EXPECT_EQ(paths["/api/v1/characters/{character_id}/card"]["get"]["responses"]["200"]["content"]["application/json"]
                 ["schema"]["$ref"],
            "#/components/schemas/CharacterCard");
  EXPECT_TRUE(paths["/api/v1/characters/{character_id}/card.png"]["get"]["responses"]["200"]["content"].contains(
      "image/png"));
  EXPECT_TRUE(document.Json()["components"]["schemas"].contains("CharacterCard"));
}

}  // namespace
}  // namespace troupe::server::testing
