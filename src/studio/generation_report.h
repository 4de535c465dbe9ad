// How a batch of generated characters is reported, the same to the CLI (`troupe studio generate
// --json`) and to the API (the generation job's result): per candidate the concept in brief, the
// consistency findings, the draft (draft_json.h) to edit and save, its Character Card V3, and the
// stored character when the batch was saved; then the batch's diversity.
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/records.h"
#include "studio/candidate_diversity.h"
#include "studio/character_steps.h"
#include "studio/consistency_check.h"

namespace troupe::studio {

struct GeneratedCandidate {
  CharacterDraft draft;
  std::vector<ConsistencyFinding> findings;
  std::optional<store::Character> saved;
};

// Each draft with its consistency findings (consistency_check.h).
std::vector<GeneratedCandidate> ReviewCandidates(std::vector<CharacterDraft> drafts);

// {"name", "role", "age", "minor", "setting", "pitch", "traits", "consistency": [...], "draft",
//  "card" (when the draft is complete), "character": {"id", "slug"} (when saved)}
nlohmann::json CandidateJson(const GeneratedCandidate& candidate);
// {"pairs": [{"first", "second" (1-based), "same_name", "trait_overlap", "text_similarity",
//  "near_copy", "reason"}], "near_copies": [1-based], "regenerated"}
nlohmann::json DiversityJson(const CandidateBatch& batch);
// {"candidates": [CandidateJson...], "diversity": DiversityJson}
nlohmann::json BatchJson(const std::vector<GeneratedCandidate>& candidates, const CandidateBatch& batch);

}  // namespace troupe::studio
