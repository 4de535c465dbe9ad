// The characters and flows in examples/ import, and their flows validate for the traits their
// cards state (runtime_test has each of them chat on a real model).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "chat/card.h"
#include "chat/flow.h"

namespace troupe::chat {
namespace {

std::string Read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::filesystem::path kExamples = std::filesystem::path(TROUPE_SOURCE_DIR) / "examples";

TEST(ExamplesTest, EveryExampleCharacterImportsWithAValidFlow) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kExamples / "characters")) {
    Result<ImportedCard> card = ParseCardJson(Read(entry.path()));
    ASSERT_TRUE(card.ok()) << entry.path() << ": " << card.status().ToString();
    EXPECT_EQ(card->spec, CardSpec::kV3);
    EXPECT_FALSE(card->character.flow.empty()) << entry.path();
    EXPECT_FALSE(card->character.first_mes.empty()) << entry.path();
    EXPECT_FALSE(card->character.character_book_json.empty()) << entry.path();
    Status flow = CheckCharacterFlow(card->character.flow, card->character.extensions_json);
    EXPECT_TRUE(flow.ok()) << entry.path() << ": " << flow.ToString();
    ++count;
  }
  EXPECT_EQ(count, 3);
}

TEST(ExamplesTest, TheWizardIsAMinorAndNoRomanticStageGetsPast) {
  Result<ImportedCard> pip = ParseCardJson(Read(kExamples / "characters/pip_apprentice_wizard.json"));
  ASSERT_TRUE(pip.ok());
  ASSERT_TRUE(TraitsFromExtensions(pip->character.extensions_json).minor);
  const std::string romantic = pip->character.flow + "  sweethearts:\n    prompt: \"Be sweet.\"\n    romance: romantic\n";
  Status refused = CheckCharacterFlow(romantic, pip->character.extensions_json);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.field(), "flow.stages.sweethearts.romance");
  // And the classic relationship flow, fine for adults, is refused for him at its close stage.
  const std::string relationship = Read(kExamples / "flows/relationship.yaml");
  EXPECT_TRUE(CheckCharacterFlow(relationship, "{}").ok());
  EXPECT_EQ(CheckCharacterFlow(relationship, pip->character.extensions_json).field(), "flow.stages.close.romance");
}

TEST(ExamplesTest, TheRelationshipFlowOpensWarmsAndClosesAfterAboutThirtyMessages) {
  Result<Flow> flow = ParseFlow(Read(kExamples / "flows/relationship.yaml"));
  ASSERT_TRUE(flow.ok()) << flow.status().ToString();
  EXPECT_TRUE(flow->FindStage(flow->start)->opens_conversation);
  ConversationSignals signals;
  signals.affinity = 0.5;
  FlowState state = Advance(*flow, {}, signals, 1).state;
  EXPECT_EQ(state.stage, "ice_breaker");
  signals.message_count = 8;
  state = Advance(*flow, state, signals, 1).state;
  EXPECT_EQ(state.stage, "friendly");
  signals.message_count = 29;
  EXPECT_EQ(Advance(*flow, state, signals, 1).state.stage, "friendly");
  signals.message_count = 30;
  EXPECT_EQ(Advance(*flow, state, signals, 1).state.stage, "close");
}

}  // namespace
}  // namespace troupe::chat
