// A finished draft as a Character Card V3: the fields in their places, a minor marked so with a
// friendship-only flow that passes the safety gate, an adult with the role's flow, and the card
// saved as an unpublished character through the import path.
#include "studio/card_assembly.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "chat/flow.h"
#include "store/store.h"
#include "studio/role_flows.h"
#include "support/temp_dir.h"

namespace troupe::studio {
namespace {

using ::testing::HasSubstr;

CharacterDraft AssemblyDraft(int64_t age, CharacterRole role) {
  CharacterDraft draft;
  draft.brief = GenerationBrief{"a lighthouse", "teens who like puzzles", role, {}};
  draft.concept_step = ConceptStep{"Ada Quill", age, "companion", "a lighthouse", "A keeper.", {"calm", "curious"}};
  draft.background = BackgroundStep{"Ada keeps the lighthouse.", "Calm.", {"tea"}, {"fog"}};
  draft.speech = SpeechStep{{"Steady."}, {"beacon"}, "Short.", {{"Hi", "Evening."}, {"Storm?", "Soon."}}};
  draft.greetings = GreetingsStep{"Welcome.", {"Tea?", "Mind the steps."}};
  draft.image = ImageStep{"portrait", "blurry"};
  return draft;
}

TEST(CardAssemblyTest, TheStepsLandInTheCardsFields) {
  Result<chat::ImportedCard> card = AssembleCard(AssemblyDraft(34, CharacterRole::kAdvisor));
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  const store::Character& character = card->character;
  EXPECT_EQ(card->spec, chat::CardSpec::kV3);
  EXPECT_EQ(character.name, "Ada Quill");
  EXPECT_EQ(character.description, "Ada keeps the lighthouse.");
  EXPECT_EQ(character.scenario, "a lighthouse");
  EXPECT_EQ(character.first_mes, "Welcome.");
  EXPECT_EQ(character.alternate_greetings.size(), 2u);
  EXPECT_EQ(character.mes_example, "<START>\n{{user}}: Hi\n{{char}}: Evening.\n<START>\n{{user}}: Storm?\n{{char}}: Soon.");
  EXPECT_EQ(character.tags, (std::vector<std::string>{"advisor", "calm", "curious"}));
  EXPECT_THAT(character.creator_notes, HasSubstr("Audience: teens who like puzzles"));
  EXPECT_FALSE(character.published);
  EXPECT_EQ(character.flow, RoleFlowYaml(CharacterRole::kAdvisor, false));
  const nlohmann::json extensions = nlohmann::json::parse(character.extensions_json);
  EXPECT_FALSE(extensions["troupe"].contains("minor"));
  EXPECT_EQ(extensions["troupe"]["generated"]["image_prompt"], "portrait");
  // The V3 document carries the flow back in extensions.troupe.
  const nlohmann::json v3 = nlohmann::json::parse(chat::CardJson(character, chat::CardSpec::kV3));
  EXPECT_EQ(v3["spec"], "chara_card_v3");
  EXPECT_TRUE(v3["data"]["extensions"]["troupe"]["flow"].is_string());
}

TEST(CardAssemblyTest, AMinorIsMarkedAndGetsAFriendshipOnlyFlow) {
  for (CharacterRole role : {CharacterRole::kCompanion, CharacterRole::kAdvisor, CharacterRole::kMascot,
                             CharacterRole::kSupport}) {
    Result<chat::ImportedCard> card = AssembleCard(AssemblyDraft(15, role));
    ASSERT_TRUE(card.ok()) << card.status().ToString();
    const nlohmann::json extensions = nlohmann::json::parse(card->character.extensions_json);
    EXPECT_EQ(extensions["troupe"]["minor"], true);
    EXPECT_EQ(extensions["troupe"]["age"], 15);
    EXPECT_TRUE(chat::TraitsFromExtensions(card->character.extensions_json).minor);
    EXPECT_EQ(card->character.flow, RoleFlowYaml(role, true));
    EXPECT_TRUE(chat::CheckCharacterFlow(card->character.flow, card->character.extensions_json).ok());
    Result<chat::Flow> flow = chat::ParseFlow(card->character.flow);
    ASSERT_TRUE(flow.ok());
    for (const chat::Stage& stage : flow->stages) EXPECT_EQ(stage.romance, chat::Romance::kNone) << stage.name;
  }
}

TEST(CardAssemblyTest, EveryRolesAdultFlowPassesTheValidatorAndTheMinorGateRefusesARomanticOne) {
  for (CharacterRole role : {CharacterRole::kCompanion, CharacterRole::kAdvisor, CharacterRole::kMascot,
                             CharacterRole::kSupport}) {
    Result<chat::ImportedCard> card = AssembleCard(AssemblyDraft(40, role));
    ASSERT_TRUE(card.ok()) << RoleName(role) << ": " << card.status().ToString();
  }
  // The gate the minor's flow passes is a real one: the same extensions refuse a romantic stage.
  const std::string minor = nlohmann::json{{"troupe", {{"minor", true}, {"age", 15}}}}.dump();
  const std::string romantic = "name: r\nstart: a\nstages:\n  a:\n    prompt: hi\n    romance: romantic\n";
  EXPECT_FALSE(chat::CheckCharacterFlow(romantic, minor).ok());
}

TEST(CardAssemblyTest, AnIncompleteOrStaleDraftIsRefusedNamingTheStep) {
  CharacterDraft draft = AssemblyDraft(34, CharacterRole::kMascot);
  draft.image.reset();
  Status missing = AssembleCard(draft).status();
  EXPECT_EQ(missing.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(missing.field(), "image");
  draft = AssemblyDraft(34, CharacterRole::kMascot);
  draft.stale.insert(CharacterStep::kGreetings);
  Status stale = AssembleCard(draft).status();
  EXPECT_EQ(stale.field(), "greetings");
  EXPECT_THAT(stale.message(), HasSubstr("stale"));
}

TEST(CardAssemblyTest, ADraftIsSavedAsAnUnpublishedCharacterWithItsFlow) {
  ::troupe::testing::TempDir dir;
  store::StoreOptions options;
  options.url = "sqlite://" + (dir / "troupe.db").string();
  Result<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_TRUE((*opened)->Migrate().ok());
  Result<store::Character> saved = SaveDraftCharacter(**opened, AssemblyDraft(12, CharacterRole::kMascot));
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  Result<store::Character> read = (*opened)->characters().Get(saved->id);
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->published);
  EXPECT_EQ(read->name, "Ada Quill");
  EXPECT_EQ(read->flow, RoleFlowYaml(CharacterRole::kMascot, true));
  EXPECT_TRUE(chat::TraitsFromExtensions(read->extensions_json).minor);
}

}  // namespace
}  // namespace troupe::studio
