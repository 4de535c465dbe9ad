#include "studio/generation_report.h"

#include <utility>

#include "chat/card.h"
#include "studio/card_assembly.h"
#include "studio/draft_json.h"

namespace troupe::studio {

std::vector<GeneratedCandidate> ReviewCandidates(std::vector<CharacterDraft> drafts) {
  std::vector<GeneratedCandidate> candidates;
  candidates.reserve(drafts.size());
  for (CharacterDraft& draft : drafts) {
    GeneratedCandidate candidate;
    candidate.findings = CheckConsistency(draft);
    candidate.draft = std::move(draft);
    candidates.push_back(std::move(candidate));
  }
  return candidates;
}

nlohmann::json CandidateJson(const GeneratedCandidate& candidate) {
  nlohmann::json findings = nlohmann::json::array();
  for (const ConsistencyFinding& finding : candidate.findings) {
    findings.push_back({{"severity", SeverityName(finding.severity)},
                        {"step", StepName(finding.step)},
                        {"field", finding.field},
                        {"message", finding.message}});
  }
  nlohmann::json json = {{"role", RoleName(candidate.draft.brief.role)}, {"consistency", findings}};
  if (candidate.draft.concept_step) {
    const ConceptStep& concept_step = *candidate.draft.concept_step;
    json["name"] = concept_step.name;
    json["age"] = concept_step.age;
    json["minor"] = concept_step.age < kAdultAge;
    json["setting"] = concept_step.setting;
    json["pitch"] = concept_step.pitch;
    json["traits"] = concept_step.traits;
  }
  // Through its text: the ordered draft keeps its key order there.
  json["draft"] = nlohmann::json::parse(DraftToJson(candidate.draft).dump());
  if (candidate.saved) json["character"] = {{"id", candidate.saved->id}, {"slug", candidate.saved->slug}};
  Result<chat::ImportedCard> card = AssembleCard(candidate.draft);
  if (card.ok()) json["card"] = nlohmann::json::parse(chat::CardJson(card->character, chat::CardSpec::kV3));
  return json;
}

nlohmann::json DiversityJson(const CandidateBatch& batch) {
  nlohmann::json pairs = nlohmann::json::array();
  for (const CandidatePair& pair : batch.diversity.pairs) {
    pairs.push_back({{"first", pair.first + 1},
                     {"second", pair.second + 1},
                     {"same_name", pair.same_name},
                     {"trait_overlap", pair.trait_overlap},
                     {"text_similarity", pair.text_similarity},
                     {"near_copy", pair.near_copy},
                     {"reason", pair.reason}});
  }
  nlohmann::json near_copies = nlohmann::json::array();
  for (size_t index : batch.diversity.near_copies) near_copies.push_back(index + 1);
  return {{"pairs", pairs}, {"near_copies", near_copies}, {"regenerated", batch.regenerated}};
}

nlohmann::json BatchJson(const std::vector<GeneratedCandidate>& candidates, const CandidateBatch& batch) {
  nlohmann::json list = nlohmann::json::array();
  for (const GeneratedCandidate& candidate : candidates) list.push_back(CandidateJson(candidate));
  return {{"candidates", list}, {"diversity", DiversityJson(batch)}};
}

}  // namespace troupe::studio
