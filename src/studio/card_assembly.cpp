// The card is built as a store::Character, the form the import path stores; chat::CardJson turns it
// into the V3 document when one is wanted.
#include "studio/card_assembly.h"

#include <nlohmann/json.hpp>

#include "chat/card_store.h"
#include "chat/flow.h"
#include "studio/role_flows.h"

namespace troupe::studio {
namespace {

std::string AssemblyJoined(const std::vector<std::string>& items) {
  std::string joined;
  for (const std::string& item : items) joined += (joined.empty() ? "" : ", ") + item;
  return joined;
}

std::string AssemblyPersonality(const BackgroundStep& background, const SpeechStep& speech) {
  std::string text = background.personality;
  text += "\nLikes: " + AssemblyJoined(background.likes);
  text += "\nDislikes: " + AssemblyJoined(background.dislikes);
  text += "\nSpeech: " + speech.sentence_style;
  text += "\nCatchphrases: " + AssemblyJoined(speech.catchphrases);
  text += "\nFavourite words: " + AssemblyJoined(speech.vocabulary);
  return text;
}

std::string AssemblyExamples(const SpeechStep& speech) {
  std::string text;
  for (const ExampleExchange& exchange : speech.example_dialogues) {
    if (!text.empty()) text += "\n";
    text += "<START>\n{{user}}: " + exchange.user + "\n{{char}}: " + exchange.character;
  }
  return text;
}

}  // namespace

Result<chat::ImportedCard> AssembleCard(const CharacterDraft& draft) {
  for (CharacterStep step : kCharacterSteps) {
    const std::string name(StepName(step));
    if (!draft.Has(step)) return Status(StatusCode::kFailedPrecondition, "the " + name + " step has not run", name);
    if (draft.stale.count(step)) {
      return Status(StatusCode::kFailedPrecondition, "the " + name + " step is stale: run it again", name);
    }
  }
  const ConceptStep& concept_step = *draft.concept_step;
  const bool minor = concept_step.age < kAdultAge;

  chat::ImportedCard card;
  card.spec = chat::CardSpec::kV3;
  store::Character& character = card.character;
  character.name = concept_step.name;
  character.description = draft.background->backstory;
  character.personality = AssemblyPersonality(*draft.background, *draft.speech);
  character.scenario = concept_step.setting;
  character.first_mes = draft.greetings->first_message;
  character.alternate_greetings = draft.greetings->alternates;
  character.mes_example = AssemblyExamples(*draft.speech);
  character.tags.push_back(std::string(RoleName(draft.brief.role)));
  for (const std::string& trait : concept_step.traits) character.tags.push_back(trait);
  character.creator_notes = "Theme: " + draft.brief.theme + "\nAudience: " + draft.brief.audience +
                            "\nPitch: " + concept_step.pitch;
  character.creator = "troupe studio";
  character.character_version = "draft";
  nlohmann::json troupe = {{"generated", {{"image_prompt", draft.image->prompt},
                                          {"negative_prompt", draft.image->negative_prompt},
                                          {"role", RoleName(draft.brief.role)}}}};
  if (minor) {
    troupe["minor"] = true;
    troupe["age"] = concept_step.age;
  }
  character.extensions_json = nlohmann::json{{"troupe", troupe}}.dump();
  character.flow = std::string(RoleFlowYaml(draft.brief.role, minor));
  character.published = false;
  TROUPE_RETURN_IF_ERROR(chat::CheckCharacterFlow(character.flow, character.extensions_json));
  return card;
}

Result<store::Character> SaveDraftCharacter(store::Store& store, const CharacterDraft& draft) {
  TROUPE_ASSIGN_OR_RETURN(chat::ImportedCard card, AssembleCard(draft));
  chat::CardImportOptions options;
  options.publish = false;
  return chat::StoreImportedCard(store, std::move(card), options);
}

}  // namespace troupe::studio
