// The characters and flows in examples/ import, and their flows validate for the traits their
// cards state and behave as their READMEs say (runtime_test has each of them chat on a real model).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/card.h"
#include "chat/example_characters.h"
#include "chat/flow.h"
#include "support/files.h"

namespace troupe::chat {
namespace {

using ::troupe::testing::ReadFile;

const std::filesystem::path kExamples = std::filesystem::path(TROUPE_SOURCE_DIR) / "examples";

store::Character Example(const std::string& file) {
  Result<ImportedCard> card = ParseCardJson(ReadFile(kExamples / "characters" / file));
  EXPECT_TRUE(card.ok()) << file << ": " << card.status().ToString();
  return card.ok() ? card->character : store::Character{};
}

Flow FlowOf(const store::Character& character) {
  Result<Flow> flow = ParseFlow(character.flow);
  EXPECT_TRUE(flow.ok()) << character.name << ": " << flow.status().ToString();
  return flow.ok() ? *flow : Flow{};
}

// The binary's copy of the examples (what a new store gets on its first `serve`) is the files'.
TEST(ExamplesTest, TheCompiledInCardsAreTheExampleFilesByteForByte) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(kExamples / "characters")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().stem().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 3u);
  std::vector<std::string> embedded;
  for (const ExampleCard& card : ExampleCards()) {
    embedded.push_back(std::string(card.stem));
    EXPECT_EQ(card.json, ReadFile(kExamples / "characters" / (std::string(card.stem) + ".json"))) << card.stem;
  }
  EXPECT_EQ(embedded, files);
}

TEST(ExamplesTest, EveryExampleCharacterIsACompleteCardWithAValidFlow) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kExamples / "characters")) {
    SCOPED_TRACE(entry.path().filename().string());
    Result<ImportedCard> card = ParseCardJson(ReadFile(entry.path()));
    ASSERT_TRUE(card.ok()) << card.status().ToString();
    const store::Character& character = card->character;
    EXPECT_EQ(card->spec, CardSpec::kV3);
    for (const std::string* field : {&character.name, &character.description, &character.personality,
                                     &character.scenario, &character.first_mes, &character.flow}) {
      EXPECT_FALSE(field->empty());
    }
    EXPECT_EQ(character.mes_example.rfind("<START>\n", 0), 0u);
    EXPECT_FALSE(character.alternate_greetings.empty());
    EXPECT_FALSE(character.tags.empty());
    const nlohmann::json book = nlohmann::json::parse(character.character_book_json);
    EXPECT_GE(book.at("entries").size(), 3u);
    for (const auto& item : book.at("entries")) EXPECT_FALSE(item.at("keys").empty());
    Status flow = CheckCharacterFlow(character.flow, character.extensions_json);
    EXPECT_TRUE(flow.ok()) << flow.ToString();
    ++count;
  }
  EXPECT_EQ(count, 3);
}

TEST(ExamplesTest, TheWizardIsAMinorAndNothingRomanticGetsPast) {
  const store::Character pip = Example("pip_apprentice_wizard.json");
  ASSERT_TRUE(TraitsFromExtensions(pip.extensions_json).minor);
  for (const Stage& stage : FlowOf(pip).stages) EXPECT_EQ(stage.romance, Romance::kNone) << stage.name;
  // Add a romantic stage to his flow's text and the character is refused, naming the stage.
  std::string romantic = pip.flow;
  const std::string after = "stages:\n";
  romantic.insert(romantic.find(after) + after.size(), "  sweethearts_by_accident:\n    romance: romantic\n");
  Status refused = CheckCharacterFlow(romantic, pip.extensions_json);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.field(), "flow.stages.sweethearts_by_accident.romance") << refused.ToString();
  EXPECT_NE(refused.message().find("minor"), std::string::npos);
  // Or keep `romance: none` and write a flirty prompt, or add a flirty mood.
  std::string flirty_prompt = pip.flow;
  const std::string kind = "Keep it short and kind.";
  flirty_prompt.replace(flirty_prompt.find(kind), kind.size(), "Flirt with {{user}}.");
  EXPECT_EQ(CheckCharacterFlow(flirty_prompt, pip.extensions_json).field(), "flow.stages.first_meeting.prompt");
  std::string flirty_mood = pip.flow;
  const std::string options = "  options:\n";
  flirty_mood.insert(flirty_mood.find(options) + options.size(),
                     "    - {name: smitten, prompt: \"Pip blows {{user}} a kiss.\"}\n");
  EXPECT_EQ(CheckCharacterFlow(flirty_mood, pip.extensions_json).field(), "flow.moods.options[0].prompt");
  // The same edits pass for an adult character: the gate is about the card, not the words alone.
  EXPECT_TRUE(CheckCharacterFlow(flirty_mood, "{}").ok());
  // And the classic relationship flow, fine for adults, is refused for him at its close stage.
  const std::string relationship = ReadFile(kExamples / "flows/relationship.yaml");
  EXPECT_TRUE(CheckCharacterFlow(relationship, "{}").ok());
  EXPECT_EQ(CheckCharacterFlow(relationship, pip.extensions_json).field(), "flow.stages.close.romance");
}

TEST(ExamplesTest, TheWizardCheersUpAFriendWhoseMoodFalls) {
  const Flow flow = FlowOf(Example("pip_apprentice_wizard.json"));
  ConversationSignals signals;
  signals.message_count = 12;
  FlowState state = Advance(flow, {}, signals, 5).state;
  EXPECT_EQ(state.stage, "pals");
  EXPECT_NE(state.mood, "cheering_up");  // weight 0: only its rule picks it
  signals.sentiment_trend = -0.5;
  EXPECT_EQ(Advance(flow, state, signals, 5).state.mood, "cheering_up");
}

TEST(ExamplesTest, TheRelationshipFlowOpensWarmsAndClosesAfterAboutThirtyMessages) {
  Result<Flow> flow = ParseFlow(ReadFile(kExamples / "flows/relationship.yaml"));
  ASSERT_TRUE(flow.ok()) << flow.status().ToString();
  EXPECT_TRUE(flow->FindStage(flow->start)->opens_conversation);
  EXPECT_TRUE(flow->FindStage("friendly")->proactive.has_value());
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
  state = Advance(*flow, state, signals, 1).state;
  EXPECT_EQ(state.stage, "close");
  signals.affinity = 0.3;
  EXPECT_EQ(Advance(*flow, state, signals, 1).state.stage, "close");  // cooling a little is fine
  signals.affinity = 0.0;
  EXPECT_EQ(Advance(*flow, state, signals, 1).state.stage, "friendly");
}

TEST(ExamplesTest, TheSupportAgentHandsOverWhenTheCustomerGetsFrustrated) {
  const Flow flow = FlowOf(Example("juno_telecom_support.json"));
  ConversationSignals signals;
  FlowState state = Advance(flow, {}, signals, 9).state;
  EXPECT_EQ(state.stage, "triage");
  signals.message_count = 4;
  state = Advance(flow, state, signals, 9).state;
  EXPECT_EQ(state.stage, "solving");
  EXPECT_EQ(flow.FindStage("solving")->reply.typing_chars_per_second, 0);  // support answers at once
  signals.sentiment_trend = -0.6;
  state = Advance(flow, state, signals, 9).state;
  EXPECT_EQ(state.stage, "frustrated");
  signals.sentiment_trend = 0.1;
  EXPECT_EQ(Advance(flow, state, signals, 9).state.stage, "frustrated");  // not calm yet
  signals.sentiment_trend = 0.4;
  EXPECT_EQ(Advance(flow, state, signals, 9).state.stage, "solving");
}

TEST(ExamplesTest, TheAdvisorSlowsDownWhileTheUsersMoodFalls) {
  const Flow flow = FlowOf(Example("maren_relationship_advisor.json"));
  ConversationSignals signals;
  signals.message_count = 6;
  FlowState state = Advance(flow, {}, signals, 3).state;
  EXPECT_EQ(state.stage, "coaching");
  EXPECT_TRUE(flow.FindStage("coaching")->proactive.has_value());
  signals.sentiment_trend = -0.7;
  state = Advance(flow, state, signals, 3).state;
  EXPECT_EQ(state.stage, "support");
  EXPECT_EQ(state.mood, "warm");
  signals.sentiment_trend = 0.3;
  EXPECT_EQ(Advance(flow, state, signals, 3).state.stage, "coaching");
}

}  // namespace
}  // namespace troupe::chat
