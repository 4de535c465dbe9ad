// Character Cards in PNGs: real card images, PNGs built chunk by chunk here (tEXt/zTXt/iTXt,
// damaged ones), and avatars kept under a real data directory beside a real SQLite store.
#include "chat/card_png.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chat/card_store.h"
#include "store/store.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

using ::troupe::testing::ReadFile;
using ::troupe::testing::ReadSharedFile;

using nlohmann::json;

uint32_t ReadU32(std::string_view bytes, size_t at) {
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + i])); };
  return (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
}

std::string U32(uint32_t value) {
  return {static_cast<char>(value >> 24), static_cast<char>(value >> 16), static_cast<char>(value >> 8),
          static_cast<char>(value)};
}

// A whole chunk (length, type, data, CRC) as PNG writes it.
std::string MakeChunk(const std::string& type, const std::string& data) {
  const std::string body = type + data;
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  return U32(static_cast<uint32_t>(data.size())) + body + U32(static_cast<uint32_t>(crc));
}

struct Chunk {
  std::string type;
  std::string data;
  size_t offset = 0;
};

// The chunks of a well-formed PNG, read independently of the code under test.
std::vector<Chunk> ChunksOf(const std::string& png) {
  std::vector<Chunk> chunks;
  for (size_t at = 8; at + 12 <= png.size();) {
    const uint32_t length = ReadU32(png, at);
    chunks.push_back({png.substr(at + 4, 4), png.substr(at + 8, length), at});
    at += 12 + length;
  }
  return chunks;
}

// `png` with `chunks` inserted right after its IHDR.
std::string WithChunks(const std::string& png, const std::string& chunks) {
  const size_t after_ihdr = 8 + 12 + ReadU32(png, 8);
  return png.substr(0, after_ihdr) + chunks + png.substr(after_ihdr);
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

std::string FromBase64(std::string_view text) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    buffer = (buffer << 6) | static_cast<uint32_t>(kAlphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

std::string Deflate(const std::string& text) {
  uLongf size = compressBound(static_cast<uLong>(text.size()));
  std::string out(size, '\0');
  EXPECT_EQ(compress(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(text.data()),
                     static_cast<uLong>(text.size())),
            Z_OK);
  out.resize(size);
  return out;
}

std::string CardText(const std::string& spec, const std::string& name) {
  return json{{"spec", spec}, {"data", {{"name", name}, {"description", "from " + spec}}}}.dump();
}

std::string TextChunk(const std::string& keyword, const std::string& text) {
  return MakeChunk("tEXt", keyword + std::string(1, '\0') + text);
}

std::string BlankPng() {
  Result<std::string> png = DefaultAvatarPng("blank");
  EXPECT_TRUE(png.ok());
  return png.ok() ? *png : "";
}

// The JSON in a chunk of the PNG by keyword.
json CardInChunk(const std::string& png, const std::string& keyword) {
  for (const Chunk& chunk : ChunksOf(png)) {
    if (chunk.type == "tEXt" && chunk.data.rfind(keyword + std::string(1, '\0'), 0) == 0) {
      return json::parse(FromBase64(chunk.data.substr(keyword.size() + 1)));
    }
  }
  return nullptr;
}

TEST(CardPngTest, ThePngWithBothChunksGivesTheV3Card) {
  Result<ImportedCard> real = ParseCardPng(ReadSharedFile("testdata/cards/v2v3_seraphina_chara_and_ccv3.png"));
  ASSERT_TRUE(real.ok()) << real.status().ToString();
  EXPECT_EQ(real->spec, CardSpec::kV3);
  // Built here so the two cards differ, in both chunk orders.
  const std::string chara = TextChunk("chara", Base64(CardText("chara_card_v2", "Old")));
  const std::string ccv3 = TextChunk("ccv3", Base64(CardText("chara_card_v3", "New")));
  for (const std::string& chunks : {chara + ccv3, ccv3 + chara}) {
    Result<ImportedCard> card = ParseCardPng(WithChunks(BlankPng(), chunks));
    ASSERT_TRUE(card.ok()) << card.status().ToString();
    EXPECT_EQ(card->character.name, "New");
    EXPECT_EQ(card->spec, CardSpec::kV3);
  }
  // Only a chara chunk: V2 it is.
  Result<ImportedCard> v2 = ParseCardPng(WithChunks(BlankPng(), chara));
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->character.name, "Old");
  EXPECT_EQ(v2->spec, CardSpec::kV2);
}

TEST(CardPngTest, CompressedAndInternationalTextChunksAreRead) {
  const std::string card = Base64(CardText("chara_card_v2", "Zed"));
  const std::string ztxt = MakeChunk("zTXt", std::string("chara") + '\0' + '\0' + Deflate(card));
  Result<ImportedCard> from_ztxt = ParseCardPng(WithChunks(BlankPng(), ztxt));
  ASSERT_TRUE(from_ztxt.ok()) << from_ztxt.status().ToString();
  EXPECT_EQ(from_ztxt->character.name, "Zed");

  // iTXt: keyword, compression flag and method, language tag, translated keyword, text.
  const std::string v3 = Base64(CardText("chara_card_v3", "Ida"));
  for (bool compressed : {false, true}) {
    std::string data = std::string("ccv3") + '\0' + (compressed ? '\1' : '\0') + '\0' + "en" + '\0' + '\0';
    data += compressed ? Deflate(v3) : v3;
    Result<ImportedCard> from_itxt = ParseCardPng(WithChunks(BlankPng(), MakeChunk("iTXt", data)));
    ASSERT_TRUE(from_itxt.ok()) << from_itxt.status().ToString();
    EXPECT_EQ(from_itxt->character.name, "Ida");
  }
}

// The extensions of a real card, compared with the JSON in its chunk as decoded here.
TEST(CardPngTest, ExtensionsAreTheChunksOwnValues) {
  for (const std::string file : {"v2_shodan_chub.png", "v2_coding_sensei.png", "v2_melina_pygmalion.png"}) {
    const std::string png = ReadSharedFile(std::filesystem::path("testdata/cards") / file);
    Result<ImportedCard> card = ParseCardPng(png);
    ASSERT_TRUE(card.ok()) << file;
    EXPECT_EQ(json::parse(card->character.extensions_json), CardInChunk(png, "chara")["data"]["extensions"]) << file;
  }
}

TEST(CardPngTest, ExportKeepsTheImageAndImportsAgain) {
  const std::string avatar = ReadSharedFile("testdata/cards/v2_dr_light.png");
  Result<ImportedCard> card = ParseCardPng(avatar);
  ASSERT_TRUE(card.ok());
  card->character.nickname = "only in v3";
  card->character.flow = "stages:\n  hello: {}\n";
  Result<std::string> png = CardPng(card->character, avatar);
  ASSERT_TRUE(png.ok()) << png.status().ToString();

  // Every chunk but the card's is there, byte for byte and in order; one chara and one ccv3 after IHDR.
  EXPECT_EQ(*WithoutCardChunks(*png), *WithoutCardChunks(avatar));
  EXPECT_EQ(card->avatar_png, *WithoutCardChunks(avatar));
  std::vector<std::string> order;
  for (const Chunk& chunk : ChunksOf(*png)) order.push_back(chunk.type);
  ASSERT_GE(order.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(order.begin(), order.begin() + 3), (std::vector<std::string>{"IHDR", "tEXt", "tEXt"}));
  EXPECT_EQ(std::count(order.begin(), order.end(), "tEXt"), 2);

  // The V2 chunk says it is a backfill (V3 spec); the V3 one carries V3's fields.
  const json v2 = CardInChunk(*png, "chara");
  const json v3 = CardInChunk(*png, "ccv3");
  EXPECT_EQ(v2["spec"], "chara_card_v2");
  EXPECT_TRUE(v2["data"]["creator_notes"].get<std::string>().ends_with(kV3BackfillNote));
  EXPECT_EQ(v3["spec"], "chara_card_v3");
  EXPECT_EQ(v3["data"]["creator_notes"], card->character.creator_notes);
  EXPECT_EQ(v3["data"]["extensions"]["troupe"]["flow"], "stages:\n  hello: {}\n");

  Result<ImportedCard> again = ParseCardPng(*png);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->spec, CardSpec::kV3);
  EXPECT_EQ(again->character.nickname, "only in v3");
  EXPECT_EQ(again->character.flow, card->character.flow);
  EXPECT_EQ(again->character.description, card->character.description);
  EXPECT_EQ(again->character.creator_notes, card->character.creator_notes);
  EXPECT_EQ(json::parse(again->character.extensions_json), json::parse(card->character.extensions_json));
  // Exporting again replaces the card chunks rather than adding more.
  Result<std::string> twice = CardPng(again->character, *png);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(ChunksOf(*twice).size(), ChunksOf(*png).size());
}

TEST(CardPngTest, TheGeneratedAvatarIsARealPngOfItsName) {
  Result<std::string> ada = DefaultAvatarPng("Ada");
  ASSERT_TRUE(ada.ok()) << ada.status().ToString();
  EXPECT_EQ(*DefaultAvatarPng("Ada"), *ada);
  EXPECT_NE(*DefaultAvatarPng("Bob"), *ada);
  const std::vector<Chunk> chunks = ChunksOf(*ada);
  ASSERT_FALSE(chunks.empty());
  EXPECT_EQ(chunks.front().type, "IHDR");
  EXPECT_EQ(ReadU32(chunks.front().data, 0), 256u);
  EXPECT_EQ(chunks.back().type, "IEND");
  // Decoded by libpng: it holds no card, and carries one once exported.
  EXPECT_EQ(ParseCardPng(*ada).status().message(), "the PNG holds no character card (no chara or ccv3 text chunk)");
  store::Character character;
  character.name = "Ada";
  Result<std::string> card = CardPng(character, "");
  ASSERT_TRUE(card.ok());
  EXPECT_EQ(*WithoutCardChunks(*card), *ada);
  EXPECT_EQ(ParseCardPng(*card)->character.name, "Ada");
}

TEST(CardPngTest, BadPngsNameWhatIsWrong) {
  auto error = [](const std::string& bytes) { return ParseCardPng(bytes).status(); };
  EXPECT_EQ(error("GIF89a....").message(), "not a PNG file (its signature is missing)");
  EXPECT_EQ(error("GIF89a....").field(), "png");
  EXPECT_EQ(error("").message(), "not a PNG file (its signature is missing)");

  const std::string png = ReadSharedFile("testdata/cards/v2_dr_light.png");
  const std::vector<Chunk> chunks = ChunksOf(png);
  const Chunk& idat = chunks[2];
  ASSERT_EQ(idat.type, "IDAT");
  EXPECT_EQ(error(png.substr(0, idat.offset + 100)).message(),
            "corrupt PNG: chunk at byte " + std::to_string(idat.offset) + " claims " + std::to_string(idat.data.size()) +
                " bytes, more than the file holds");
  EXPECT_EQ(error(png.substr(0, png.size() - 12)).message(), "corrupt PNG: the file ends before its IEND chunk");
  std::string flipped = png;
  flipped[idat.offset + 20] ^= 0x40;
  EXPECT_EQ(error(flipped).message(), "corrupt PNG: bad CRC in the IDAT chunk at byte " + std::to_string(idat.offset));
  EXPECT_EQ(error(flipped).code(), StatusCode::kInvalidArgument);

  // Image data that libpng cannot inflate, in a chunk whose CRC is right.
  std::string garbage = png.substr(0, idat.offset) + MakeChunk("IDAT", std::string(64, 'x')) +
                        png.substr(chunks.back().offset);
  EXPECT_EQ(error(garbage).message().rfind("corrupt PNG: ", 0), 0u) << error(garbage).message();

  // A header that claims a huge image is refused before anything is decoded.
  std::string header = chunks[0].data;
  header.replace(0, 8, U32(100000) + U32(100000));
  const std::string huge = png.substr(0, 8) + MakeChunk("IHDR", header) + png.substr(chunks[1].offset);
  EXPECT_EQ(error(huge).message().rfind("PNG image too large: 100000x100000 pixels", 0), 0u) << error(huge).message();

  const std::string blank = BlankPng();
  EXPECT_EQ(error(blank).message(), "the PNG holds no character card (no chara or ccv3 text chunk)");
  EXPECT_EQ(error(WithChunks(blank, TextChunk("chara", "not base64!"))).message(), "the PNG's chara chunk is not base64");
  const Status nameless = error(WithChunks(blank, TextChunk("ccv3", Base64(R"({"spec":"chara_card_v3","data":{}})"))));
  EXPECT_EQ(nameless.message(), "the PNG's ccv3 card: data.name: is required");
  EXPECT_EQ(nameless.field(), "data.name");
  EXPECT_EQ(error(WithChunks(blank, TextChunk("chara", Base64("{oops")))).message(),
            "the PNG's chara card: the card is not valid JSON");
}

class CardAvatarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.url = "sqlite://" + (dir_ / "troupe.db").string();
    Result<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->Migrate().ok());
  }
  Result<store::Character> Import(const std::string& bytes, const std::filesystem::path& data_dir) {
    Result<ImportedCard> card = ParseCard(bytes);
    if (!card.ok()) return card.status();
    CardImportOptions options;
    options.data_dir = data_dir;
    return StoreImportedCard(*store_, std::move(card).value(), options);
  }
  ::troupe::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(CardAvatarTest, APngCardsImageBecomesTheAvatarAndCarriesTheExport) {
  const std::filesystem::path data = dir_.path();
  const std::string png = ReadSharedFile("testdata/cards/v2_dr_light.png");
  Result<store::Character> light = Import(png, data);
  ASSERT_TRUE(light.ok()) << light.status().ToString();
  // Each character's pictures live in a folder of its own.
  EXPECT_EQ(light->avatar, "avatars/" + std::to_string(light->id) + "/" + light->slug + ".png");
  EXPECT_EQ(ReadFile(data / light->avatar), *WithoutCardChunks(png));  // the image, without the old card
  EXPECT_EQ(store_->characters().Get(light->id)->avatar, light->avatar);

  // The same card again gets its own slug and file.
  Result<store::Character> twin = Import(png, data);
  ASSERT_TRUE(twin.ok());
  EXPECT_EQ(twin->avatar, "avatars/" + std::to_string(twin->id) + "/" + twin->slug + ".png");
  EXPECT_NE(twin->avatar, light->avatar);

  // Export carries the card over the stored image.
  EXPECT_EQ(StoredAvatarPng(*light, data), *WithoutCardChunks(png));
  Result<std::string> exported = StoredCardPng(*light, data);
  ASSERT_TRUE(exported.ok());
  EXPECT_EQ(*WithoutCardChunks(*exported), *WithoutCardChunks(png));
  EXPECT_EQ(ParseCardPng(*exported)->character.name, "Dr. Light");

  // A JSON card has no image: its export is drawn from its name.
  Result<store::Character> savannah = Import(ReadSharedFile("testdata/cards/v3_savannah_chen.json"), data);
  ASSERT_TRUE(savannah.ok());
  EXPECT_EQ(savannah->avatar, "");
  EXPECT_EQ(*WithoutCardChunks(*StoredCardPng(*savannah, data)), *DefaultAvatarPng("Savannah Chen"));

  // A character that names another's file neither reads nor removes it.
  store::Character borrower = *twin;
  borrower.avatar = light->avatar;
  EXPECT_EQ(StoredAvatarPng(borrower, data), "");
  RemoveStoredAvatar(borrower, data);
  EXPECT_TRUE(std::filesystem::exists(data / light->avatar));

  // Deleting the avatar's character removes its file and its folder.
  RemoveStoredAvatar(*twin, data);
  EXPECT_FALSE(std::filesystem::exists(data / twin->avatar));
  EXPECT_FALSE(std::filesystem::exists(data / "avatars" / std::to_string(twin->id)));
  EXPECT_TRUE(std::filesystem::exists(data / light->avatar));
}

TEST_F(CardAvatarTest, OnlyFilesUnderAvatarsAreEverRead) {
  const std::filesystem::path data = dir_ / "data";
  std::filesystem::create_directories(data / "avatars");
  const std::string secret = BlankPng();
  std::ofstream(data / "secret.png", std::ios::binary) << secret;
  std::ofstream(data / "avatars" / "notes.txt") << "not an image";
  store::Character character;
  character.name = "Eve";
  for (const std::string& avatar : std::vector<std::string>{"avatars/../secret.png", "secret.png", (data / "secret.png").string(),
                                   "https://example.com/eve.png", "avatars/notes.txt", "avatars/missing.png"}) {
    character.avatar = avatar;
    EXPECT_EQ(StoredAvatarPng(character, data), "") << avatar;
    Result<std::string> exported = StoredCardPng(character, data);
    ASSERT_TRUE(exported.ok()) << avatar;
    EXPECT_EQ(*WithoutCardChunks(*exported), *DefaultAvatarPng("Eve")) << avatar;
    RemoveStoredAvatar(character, data);
  }
  EXPECT_TRUE(std::filesystem::exists(data / "secret.png"));
  // A damaged avatar file does not stop the export.
  std::ofstream(data / "avatars" / "broken.png", std::ios::binary) << secret.substr(0, 40);
  character.avatar = "avatars/broken.png";
  Result<std::string> exported = StoredCardPng(character, data);
  ASSERT_TRUE(exported.ok());
  EXPECT_EQ(*WithoutCardChunks(*exported), *DefaultAvatarPng("Eve"));
}

TEST_F(CardAvatarTest, AnAvatarThatCannotBeWrittenLeavesNoCharacter) {
  const std::filesystem::path not_a_directory = dir_ / "file";
  std::ofstream(not_a_directory) << "x";
  Result<store::Character> failed = Import(ReadSharedFile("testdata/cards/v2_shodan_chub.png"), not_a_directory);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(failed.status().message().find("avatars"), std::string::npos) << failed.status().message();
  Result<store::Page<store::Character>> all = store_->characters().List({});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->items.empty());
  // Without a data directory the card imports and the image is not kept.
  Result<store::Character> kept = Import(ReadSharedFile("testdata/cards/v2_shodan_chub.png"), "");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->avatar, "");
}

TEST_F(CardAvatarTest, TheSafetyGateRefusesBeforeAnythingIsStored) {
  const json minor = {{"spec", "chara_card_v2"},
                      {"data",
                       {{"name", "Kid"},
                        {"extensions", {{"troupe", {{"minor", true}, {"flow", "stages:\n  a:\n    romance: flirty\n"}}}}}}}};
  Result<store::Character> refused = Import(WithChunks(BlankPng(), TextChunk("chara", Base64(minor.dump()))), dir_.path());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().field(), "flow.stages.a.romance");
  EXPECT_TRUE(store_->characters().List({})->items.empty());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "avatars"));
}

}  // namespace
}  // namespace troupe::chat
