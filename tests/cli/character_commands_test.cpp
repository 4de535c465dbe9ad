// `troupe characters import|export|list` through the real binary and a real SQLite file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe {
namespace {

using nlohmann::json;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TroupeBinary;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

class CharacterCommandsTest : public ::testing::Test {
 protected:
  ProcessResult Troupe(std::vector<std::string> args) {
    args.insert(args.begin(), TroupeBinary());
    return RunProcess(args, {{"TROUPE_DATA", dir_.path().string()}});
  }
  std::string Examples(const std::string& name) {
    return (std::filesystem::path(TROUPE_SOURCE_DIR) / "examples/characters" / name).string();
  }
  void SetUp() override { ASSERT_EQ(Troupe({"db", "migrate"}).exit_code, 0); }
  testing::TempDir dir_;
};

TEST_F(CharacterCommandsTest, ImportListAndExportCards) {
  ProcessResult imported = Troupe({"characters", "import", "--publish", Examples("pip_apprentice_wizard.json"),
                                   (testing::SharedDir() / "testdata/cards/v2_seraphina_lorebook.png").string()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.out.find("1\tpip-thistlewick\tPip Thistlewick\n"), std::string::npos) << imported.out;
  EXPECT_NE(imported.out.find("\tSeraphina\n"), std::string::npos) << imported.out;

  ProcessResult listed = Troupe({"characters", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  json all = json::parse(listed.out);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["slug"], "pip-thistlewick");
  EXPECT_TRUE(all[0]["published"].get<bool>());

  // JSON to stdout keeps Troupe's flow and the minor flag in extensions.troupe.
  ProcessResult exported = Troupe({"characters", "export", "pip-thistlewick", "--spec", "v2"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  json card = json::parse(exported.out);
  EXPECT_EQ(card["spec"], "chara_card_v2");
  EXPECT_TRUE(card["data"]["extensions"]["troupe"]["minor"].get<bool>());
  EXPECT_NE(card["data"]["extensions"]["troupe"]["flow"].get<std::string>().find("first_meeting"), std::string::npos);

  // A PNG to a file imports again.
  const std::string png = (dir_ / "pip.png").string();
  ProcessResult written = Troupe({"characters", "export", "1", "--png", "-o", png});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  ProcessResult again = Troupe({"characters", "import", png});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("\tpip-thistlewick-2\tPip Thistlewick\n"), std::string::npos) << again.out;
  // V3 JSON to a file by default, and the card says V3.
  const std::string v3 = (dir_ / "pip.json").string();
  ASSERT_EQ(Troupe({"characters", "export", "pip-thistlewick", "-o", v3}).exit_code, 0);
  EXPECT_EQ(json::parse(ReadFile(v3))["spec"], "chara_card_v3");
}

// A PNG card's image is kept under the data directory and carries the exported PNG.
TEST_F(CharacterCommandsTest, APngCardKeepsItsImage) {
  const std::string card = (testing::SharedDir() / "testdata/cards/v2_dr_light.png").string();
  ProcessResult imported = Troupe({"characters", "import", card});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(imported.out, "1\tdr-light\tDr. Light\n");
  const std::string avatar = ReadFile(dir_ / "avatars/1/dr-light.png");  // a folder per character
  ASSERT_GT(avatar.size(), 33u);
  EXPECT_EQ(avatar.substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_EQ(avatar.find("chara"), std::string::npos);  // the image without the old card

  const std::string png = (dir_ / "light.png").string();
  ProcessResult exported = Troupe({"characters", "export", "dr-light", "--png", "-o", png});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  // The card chunks go right after the header; the rest is the kept image, byte for byte.
  const std::string written = ReadFile(png);
  EXPECT_EQ(written.substr(0, 33), avatar.substr(0, 33));
  EXPECT_EQ(written.substr(written.size() - (avatar.size() - 33)), avatar.substr(33));
  EXPECT_NE(written.find("ccv3"), std::string::npos);
}

// `troupe characters lorebook` gives a character a World Info file as its card's book.
TEST_F(CharacterCommandsTest, ALorebookFileBecomesTheCharactersBook) {
  ASSERT_EQ(Troupe({"characters", "import", Examples("juno_telecom_support.json")}).exit_code, 0);
  const std::string world = (testing::SharedDir() / "testdata/cards/worldinfo_toaru_2023.json").string();
  ProcessResult set = Troupe({"characters", "lorebook", "juno", world});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(set.out, "1\tjuno\t18 lorebook entries\n");
  ProcessResult exported = Troupe({"characters", "export", "juno"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const json book = json::parse(exported.out)["data"]["character_book"];
  ASSERT_TRUE(book["entries"].is_array());
  EXPECT_EQ(book["entries"].size(), 18u);
  EXPECT_EQ(book["entries"][0]["keys"], (json{"Tokiwadai Middle School", "Tokiwadai"}));

  const std::string bad = (dir_ / "bad_book.json").string();
  std::ofstream(bad) << R"({"entries": [{"keys": "dragon", "content": "x"}]})";
  ProcessResult refused = Troupe({"characters", "lorebook", "juno", bad});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("bad_book.json: lorebook.entries[0].keys: expected an array of strings, got string"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(Troupe({"characters", "lorebook", "nobody", world}).exit_code, 1);
}

TEST_F(CharacterCommandsTest, BadCardsFailWithTheFieldAndExitCode1) {
  const std::string bad = (dir_ / "bad.json").string();
  std::ofstream(bad) << R"({"spec":"chara_card_v2","data":{"name":"A","alternate_greetings":[1]}})";
  ProcessResult refused = Troupe({"characters", "import", bad});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("data.alternate_greetings[0]: expected a string, got number"), std::string::npos)
      << refused.err;

  // A minor with a flirty stage: the safety gate names the stage.
  const std::string unsafe = (dir_ / "unsafe.json").string();
  std::ofstream(unsafe) << json{{"spec", "chara_card_v2"},
                                {"data",
                                 {{"name", "Kid"},
                                  {"extensions",
                                   {{"troupe", {{"age", 12}, {"flow", "stages:\n  tease:\n    romance: flirty\n"}}}}}}}}
                               .dump();
  ProcessResult gated = Troupe({"characters", "import", unsafe});
  EXPECT_EQ(gated.exit_code, 1);
  EXPECT_NE(gated.err.find("stages.tease.romance: the character is a minor"), std::string::npos) << gated.err;

  const std::string not_png = (dir_ / "fake.png").string();
  std::ofstream(not_png) << "\x89PNG\r\n\x1a\n garbage";
  ProcessResult corrupt = Troupe({"characters", "import", not_png});
  EXPECT_EQ(corrupt.exit_code, 1);
  EXPECT_NE(corrupt.err.find("corrupt PNG"), std::string::npos) << corrupt.err;

  // A valid image with no card in it.
  const std::string plain = (dir_ / "plain.png").string();
  {
    const std::string with_card = ReadFile(testing::SharedDir() / "testdata/cards/v2_dr_light.png");
    const size_t text = with_card.find("tEXtchara") - 4;  // the chunk's length field
    const uint32_t length = (static_cast<uint32_t>(static_cast<unsigned char>(with_card[text])) << 24) |
                            (static_cast<uint32_t>(static_cast<unsigned char>(with_card[text + 1])) << 16) |
                            (static_cast<uint32_t>(static_cast<unsigned char>(with_card[text + 2])) << 8) |
                            static_cast<unsigned char>(with_card[text + 3]);
    std::ofstream(plain, std::ios::binary) << with_card.substr(0, text) + with_card.substr(text + 12 + length);
  }
  ProcessResult no_card = Troupe({"characters", "import", plain});
  EXPECT_EQ(no_card.exit_code, 1);
  EXPECT_NE(no_card.err.find("plain.png: the PNG holds no character card"), std::string::npos) << no_card.err;

  const std::string nameless = (dir_ / "nameless.json").string();
  std::ofstream(nameless) << R"({"spec":"chara_card_v3","data":{"description":"who?"}})";
  ProcessResult unnamed = Troupe({"characters", "import", nameless});
  EXPECT_EQ(unnamed.exit_code, 1);
  EXPECT_NE(unnamed.err.find("nameless.json: data.name: is required"), std::string::npos) << unnamed.err;

  ProcessResult missing = Troupe({"characters", "export", "nobody"});
  EXPECT_EQ(missing.exit_code, 1);
  const std::string listed = Troupe({"characters", "list"}).out;
  EXPECT_EQ(listed.find("Kid"), std::string::npos);  // nothing half-imported
  EXPECT_EQ(listed.find("Dr. Light"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "avatars"));
}

// `troupe chat` runs the same pipeline in the terminal: the greeting, then one reply per line.
TEST_F(CharacterCommandsTest, ChatTalksInTheTerminal) {
  ASSERT_EQ(Troupe({"characters", "import", Examples("juno_telecom_support.json")}).exit_code, 0);
  std::vector<std::string> args = {TroupeBinary(), "chat", "juno", "--no-typing", "--name", "Sam", "--model",
                                   (testing::SharedDir() / "models/synthetic/tiny-qwen2-bpe-Q4_K_M.gguf").string()};
  const std::string input = (dir_ / "input.txt").string();
  std::ofstream(input) << "Hello Juno\nMy roaming does not work\n";
  std::string command;
  for (const std::string& arg : args) command += "'" + arg + "' ";
  ProcessResult chat = RunProcess({"/bin/sh", "-c", command + "< '" + input + "'"},
                                  {{"TROUPE_DATA", dir_.path().string()}}, std::chrono::seconds(120));
  ASSERT_EQ(chat.exit_code, 0) << chat.err;
  EXPECT_EQ(chat.out.rfind("Hi Sam, I'm Juno from Brightwave Mobile. How can I help you today?\n", 0), 0u) << chat.out;
  EXPECT_NE(chat.err.find("conversation 1"), std::string::npos) << chat.err;
  size_t turns = 0;
  for (size_t at = chat.err.find(" generated]"); at != std::string::npos; at = chat.err.find(" generated]", at + 1)) ++turns;
  EXPECT_EQ(turns, 3u);  // the greeting and two replies

  ProcessResult missing = Troupe({"chat", "nobody"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("CHARACTER"), std::string::npos) << missing.err;
}

// A stage that sends every reply as a voice message with a picture: `troupe chat` writes both under
// <data_dir>/media with the configured providers (espeak-ng, the offline avatar) and says where.
TEST_F(CharacterCommandsTest, ChatSaysWhereAVoiceMessageAndAPictureWereWritten) {
  const nlohmann::json card = {
      {"spec", "chara_card_v2"},
      {"spec_version", "2.0"},
      {"data",
       {{"name", "Lily"},
        {"description", "A girl who likes the park."},
        {"first_mes", "Hello!"},
        {"extensions",
         {{"troupe",
           {{"flow", "stages:\n  only:\n    prompt: Talk.\n    sampling: {temperature: 0, max_tokens: 12}\n"
                     "    reply: {split: none}\n    voice: {share: 1}\n    pictures: {share: 1}\n"}}}}}}}};
  const std::string path = (dir_ / "lily.json").string();
  std::ofstream(path) << card.dump();
  ProcessResult imported = Troupe({"characters", "import", path});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const std::string input = (dir_ / "say.txt").string();
  std::ofstream(input) << "Tell me about the park.\n";
  std::string command;
  for (const std::string& arg : {TroupeBinary(), std::string("chat"), std::string("lily"), std::string("--no-typing"),
                                 std::string("--model"), (testing::SharedDir() / "models/stories260K.gguf").string()}) {
    command += "'" + arg + "' ";
  }
  ProcessResult chat = RunProcess({"/bin/sh", "-c", command + "< '" + input + "'"},
                                  {{"TROUPE_DATA", dir_.path().string()}}, std::chrono::seconds(120));
  ASSERT_EQ(chat.exit_code, 0) << chat.err;
  const std::string media = (dir_ / "media" / "1").string();
  // The greeting is message 1, the user's message 2, the reply 3.
  EXPECT_NE(chat.err.find("[voice message: " + media + "/3-0.opus, "), std::string::npos) << chat.err;
  EXPECT_NE(chat.err.find("[picture: " + media + "/3-1.png]"), std::string::npos) << chat.err;
  EXPECT_GT(std::filesystem::file_size(dir_ / "media" / "1" / "3-0.opus"), 100u);
  EXPECT_GT(std::filesystem::file_size(dir_ / "media" / "1" / "3-1.png"), 100u);
}

}  // namespace
}  // namespace troupe
