// Character generation as a durable job (kind "studio.generate_characters"): the API enqueues the
// request; a job worker runs the candidates through the provider it names, reports progress after
// each step, saves a checkpoint (the drafts so far) after each step so an attempt interrupted by a
// restart resumes at the step it was on, stops when the job is cancelled, and returns the batch as
// generation_report.h reports it; with "save", each candidate is stored as a draft character.
//
// Payload (also what the API takes):
//   {"theme": "...", "audience": "...", "role": "companion|advisor|mascot|support",
//    "candidates": 1..20 (1), "seed": >= 0 (1), "temperature": 0..2 (0.9), "provider": "" (default),
//    "regenerate_near_copies": false, "save": false}
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "llm/provider.h"
#include "store/records.h"
#include "store/store.h"
#include "studio/character_steps.h"

namespace troupe::studio {

inline constexpr std::string_view kGenerateCharactersJob = "studio.generate_characters";
// One step of a draft run again (the operator wants another take), the later steps marked stale
// and, with "refresh", run again too. Payload: {"draft": draft_json.h, "step": "background",
// "refresh": false, "seed": 1, "temperature": 0.9, "provider": ""}; result: CandidateJson of the
// new draft (its "draft" to carry on editing).
inline constexpr std::string_view kCharacterStepJob = "studio.character_step";

struct GenerateCharactersRequest {
  GenerationBrief brief;
  int candidates = 1;
  uint64_t seed = 1;
  double temperature = 0.9;
  std::string provider;  // "" = the default
  bool regenerate_near_copies = false;
  bool save = false;
};

// kInvalidArgument naming the field ("theme", "candidates", ...) for anything out of shape or range.
Result<GenerateCharactersRequest> ParseGenerateCharactersRequest(const nlohmann::json& json);
nlohmann::json GenerateCharactersPayload(const GenerateCharactersRequest& request);

// The payload as it will be run (defaults filled in), or kInvalidArgument naming the field
// ("draft.steps.concept.age", "step", ...).
Result<nlohmann::json> CheckCharacterStepPayload(const nlohmann::json& request);

// What a job handler gets from its worker: both return false when the job must stop (cancelled,
// its lease lost, the process stopping).
struct JobHooks {
  std::function<bool(double progress)> report_progress;
  std::function<bool(const std::string& checkpoint_json)> save_checkpoint;
};

using ProviderLookup = std::function<Result<llm::Provider*>(std::string_view name)>;

// Runs the job. Errors: the payload's (kInvalidArgument), the provider lookup's, the generator's,
// the store's; kUnavailable "cancelled" when a hook said stop. A checkpoint that does not read
// back (another version's) is ignored and the batch starts over.
Result<nlohmann::json> RunGenerateCharactersJob(const store::Job& job, const ProviderLookup& providers,
                                                store::Store& store, const JobHooks& hooks);

// Errors: the payload's, the provider lookup's, the generator's; kUnavailable "cancelled".
Result<nlohmann::json> RunCharacterStepJob(const store::Job& job, const ProviderLookup& providers,
                                           const JobHooks& hooks);

}  // namespace troupe::studio
