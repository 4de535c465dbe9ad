// Trigrams rather than word n-grams: generated texts are short, and trigrams still see that
// "lighthouse keeper" and "lighthouse keeping" are nearly the same.
#include "studio/candidate_diversity.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace troupe::studio {
namespace {

std::string DiversityLower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string DiversityNormalized(const std::string& text) {
  std::string normalized = " ";
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80) {
      normalized.push_back(static_cast<char>(std::tolower(c)));
    } else if (normalized.back() != ' ') {
      normalized.push_back(' ');
    }
  }
  if (normalized.back() != ' ') normalized.push_back(' ');
  return normalized;
}

std::map<std::string, double> DiversityTrigrams(const std::string& text) {
  std::map<std::string, double> counts;
  const std::string normalized = DiversityNormalized(text);
  for (size_t i = 0; i + 3 <= normalized.size(); ++i) counts[normalized.substr(i, 3)] += 1;
  counts.erase("   ");
  return counts;
}

double DiversityJaccard(const std::vector<std::string>& first, const std::vector<std::string>& second) {
  std::set<std::string> a;
  std::set<std::string> b;
  for (const std::string& trait : first) a.insert(DiversityLower(trait));
  for (const std::string& trait : second) b.insert(DiversityLower(trait));
  if (a.empty() && b.empty()) return 0;
  size_t common = 0;
  for (const std::string& trait : a) common += b.count(trait);
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

std::string DiversityText(const CharacterDraft& draft) {
  std::string text;
  if (draft.concept_step) text += draft.concept_step->pitch + " ";
  if (draft.background) text += draft.background->backstory + " " + draft.background->personality;
  return text;
}

std::string DiversityFixed(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", value);
  return text;
}

CandidatePair CompareCandidates(const CharacterDraft& first, const CharacterDraft& second,
                                const DiversityThresholds& thresholds) {
  CandidatePair pair;
  std::vector<std::string> reasons;
  if (first.concept_step && second.concept_step) {
    pair.same_name = DiversityLower(first.concept_step->name) == DiversityLower(second.concept_step->name);
    pair.trait_overlap = DiversityJaccard(first.concept_step->traits, second.concept_step->traits);
    if (pair.same_name) reasons.push_back("same name '" + first.concept_step->name + "'");
    if (pair.trait_overlap >= thresholds.trait_overlap) {
      reasons.push_back("traits overlap " + DiversityFixed(pair.trait_overlap));
    }
  }
  pair.text_similarity = TrigramCosine(DiversityText(first), DiversityText(second));
  if (pair.text_similarity >= thresholds.text_similarity) {
    reasons.push_back("texts similar " + DiversityFixed(pair.text_similarity));
  }
  pair.near_copy = !reasons.empty();
  for (const std::string& reason : reasons) pair.reason += (pair.reason.empty() ? "" : "; ") + reason;
  return pair;
}

}  // namespace

double TrigramCosine(const std::string& first, const std::string& second) {
  const std::map<std::string, double> a = DiversityTrigrams(first);
  const std::map<std::string, double> b = DiversityTrigrams(second);
  double dot = 0;
  double norm_a = 0;
  double norm_b = 0;
  for (const auto& [gram, count] : a) {
    norm_a += count * count;
    auto found = b.find(gram);
    if (found != b.end()) dot += count * found->second;
  }
  for (const auto& [gram, count] : b) norm_b += count * count;
  if (norm_a == 0 || norm_b == 0) return 0;
  return dot / (std::sqrt(norm_a) * std::sqrt(norm_b));
}

DiversityReport CheckDiversity(const std::vector<CharacterDraft>& candidates, const DiversityThresholds& thresholds) {
  DiversityReport report;
  std::set<size_t> near_copies;
  for (size_t i = 0; i < candidates.size(); ++i) {
    for (size_t j = i + 1; j < candidates.size(); ++j) {
      CandidatePair pair = CompareCandidates(candidates[i], candidates[j], thresholds);
      pair.first = i;
      pair.second = j;
      if (pair.near_copy) near_copies.insert(j);
      report.pairs.push_back(std::move(pair));
    }
  }
  report.near_copies.assign(near_copies.begin(), near_copies.end());
  return report;
}

Result<CandidateBatch> GenerateCandidates(CharacterGenerator& generator, const GenerationBrief& brief, int count,
                                          bool regenerate_near_copies, const DiversityThresholds& thresholds) {
  ResumableBatch run;
  run.regenerate_near_copies = regenerate_near_copies;
  run.thresholds = thresholds;
  return GenerateCandidates(generator, brief, count, run);
}

Result<CandidateBatch> GenerateCandidates(CharacterGenerator& generator, const GenerationBrief& brief, int count,
                                          const ResumableBatch& run) {
  if (count < 1 || count > kMaxCandidatesPerBatch) {
    return InvalidArgument("candidates must be 1.." + std::to_string(kMaxCandidatesPerBatch) + ", got " +
                               std::to_string(count),
                           "candidates");
  }
  if (run.resume_from.size() > static_cast<size_t>(count)) {
    return InvalidArgument("the checkpoint holds " + std::to_string(run.resume_from.size()) +
                               " candidates, more than the " + std::to_string(count) + " asked for",
                           "candidates");
  }
  const uint64_t base_seed = generator.options().seed;
  CandidateBatch batch;
  // The brief with the names the other candidates already have, so the prompt avoids them.
  auto hinted = [&](size_t index) {
    GenerationBrief with_others = brief;
    for (size_t other = 0; other < batch.candidates.size(); ++other) {
      if (other != index && batch.candidates[other].concept_step) {
        with_others.different_from.push_back(batch.candidates[other].concept_step->name);
      }
    }
    return with_others;
  };
  auto make = [&](size_t index, uint64_t seed, const CharacterDraft* started) -> Result<CharacterDraft> {
    generator.set_seed(seed);
    generator.set_candidate(static_cast<int>(index) + 1, count);
    Result<CharacterDraft> draft = started != nullptr ? Result<CharacterDraft>(*started)
                                                      : generator.Generate(hinted(index));
    if (started != nullptr) {
      Status finished = generator.RefreshStale(*draft);
      if (!finished.ok()) draft = finished;
    }
    generator.set_seed(base_seed);
    if (draft.ok()) draft->brief.different_from.clear();
    return draft;
  };
  if (run.on_checkpoint) {
    generator.set_on_step_done([&batch, &run](const CharacterDraft& current) {
      std::vector<CharacterDraft> so_far = batch.candidates;
      so_far.push_back(current);
      run.on_checkpoint(so_far);
    });
  }
  for (int i = 0; i < count; ++i) {
    const size_t index = batch.candidates.size();
    const CharacterDraft* started = index < run.resume_from.size() ? &run.resume_from[index] : nullptr;
    if (started != nullptr && started->Complete()) {
      batch.candidates.push_back(*started);
      continue;
    }
    Result<CharacterDraft> draft = make(index, base_seed + static_cast<uint64_t>(i), started);
    if (!draft.ok()) {
      generator.set_on_step_done(nullptr);
      return draft.status();
    }
    batch.candidates.push_back(std::move(draft).value());
  }
  generator.set_on_step_done(nullptr);
  batch.diversity = CheckDiversity(batch.candidates, run.thresholds);
  if (run.regenerate_near_copies && !batch.diversity.near_copies.empty()) {
    for (size_t index : batch.diversity.near_copies) {
      TROUPE_ASSIGN_OR_RETURN(
          batch.candidates[index],
          make(index, base_seed + static_cast<uint64_t>(count) + static_cast<uint64_t>(index), nullptr));
      ++batch.regenerated;
    }
    batch.diversity = CheckDiversity(batch.candidates, run.thresholds);
  }
  return batch;
}

}  // namespace troupe::studio
