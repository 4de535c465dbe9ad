#include "studio/generation_job.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "studio/candidate_diversity.h"
#include "studio/card_assembly.h"
#include "studio/character_generator.h"
#include "studio/draft_json.h"
#include "studio/generation_report.h"

namespace troupe::studio {
namespace {

using GenerationJson = nlohmann::json;

Result<std::string> RequiredText(const GenerationJson& json, const char* key) {
  const auto found = json.find(key);
  if (found == json.end()) return InvalidArgument(std::string(key) + " is required", key);
  if (!found->is_string()) return InvalidArgument(std::string(key) + " must be a string", key);
  return found->get<std::string>();
}

Status ReadBool(const GenerationJson& json, const char* key, bool& out) {
  const auto found = json.find(key);
  if (found == json.end()) return Status::Ok();
  if (!found->is_boolean()) return InvalidArgument(std::string(key) + " must be true or false", key);
  out = found->get<bool>();
  return Status::Ok();
}

Status ReadNumbers(const GenerationJson& json, GenerateCharactersRequest& request) {
  if (const auto found = json.find("candidates"); found != json.end()) {
    if (!found->is_number_integer() || found->get<int64_t>() < 1 || found->get<int64_t>() > kMaxCandidatesPerBatch) {
      return InvalidArgument("candidates must be a whole number 1.." + std::to_string(kMaxCandidatesPerBatch),
                             "candidates");
    }
    request.candidates = found->get<int>();
  }
  if (const auto found = json.find("seed"); found != json.end()) {
    if (!found->is_number_unsigned()) {
      return InvalidArgument("seed must be a whole number, 0 or more", "seed");
    }
    request.seed = found->get<uint64_t>();
  }
  if (const auto found = json.find("temperature"); found != json.end()) {
    if (!found->is_number() || !std::isfinite(found->get<double>()) || found->get<double>() < 0 ||
        found->get<double>() > 2) {
      return InvalidArgument("temperature must be a number 0..2", "temperature");
    }
    request.temperature = found->get<double>();
  }
  return Status::Ok();
}

// The drafts an earlier attempt saved; none when there is no checkpoint or it does not read back.
std::vector<CharacterDraft> ResumeFrom(const store::Job& job, const TextLimits& limits) {
  std::vector<CharacterDraft> drafts;
  if (job.checkpoint_json.empty()) return drafts;
  const nlohmann::ordered_json saved = nlohmann::ordered_json::parse(job.checkpoint_json, nullptr, false);
  if (!saved.is_object() || !saved.contains("candidates") || !saved["candidates"].is_array()) return drafts;
  for (const nlohmann::ordered_json& entry : saved["candidates"]) {
    Result<CharacterDraft> draft = DraftFromJson(entry, limits, "checkpoint");
    if (!draft.ok()) return {};
    drafts.push_back(std::move(draft).value());
  }
  return drafts;
}

std::string CheckpointOf(const std::vector<CharacterDraft>& drafts) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const CharacterDraft& draft : drafts) list.push_back(DraftToJson(draft));
  return nlohmann::ordered_json{{"candidates", list}}.dump();
}

}  // namespace

Result<GenerateCharactersRequest> ParseGenerateCharactersRequest(const GenerationJson& json) {
  if (!json.is_object()) return InvalidArgument("the request must be a JSON object", "");
  GenerateCharactersRequest request;
  TROUPE_ASSIGN_OR_RETURN(request.brief.theme, RequiredText(json, "theme"));
  TROUPE_ASSIGN_OR_RETURN(request.brief.audience, RequiredText(json, "audience"));
  TROUPE_ASSIGN_OR_RETURN(std::string role, RequiredText(json, "role"));
  TROUPE_ASSIGN_OR_RETURN(request.brief.role, ParseRole(role, "role"));
  TROUPE_RETURN_IF_ERROR(CheckBrief(request.brief));
  TROUPE_RETURN_IF_ERROR(ReadNumbers(json, request));
  if (const auto found = json.find("provider"); found != json.end()) {
    if (!found->is_string()) return InvalidArgument("provider must be a provider's name", "provider");
    request.provider = found->get<std::string>();
  }
  TROUPE_RETURN_IF_ERROR(ReadBool(json, "regenerate_near_copies", request.regenerate_near_copies));
  TROUPE_RETURN_IF_ERROR(ReadBool(json, "save", request.save));
  return request;
}

GenerationJson GenerateCharactersPayload(const GenerateCharactersRequest& request) {
  return {{"theme", request.brief.theme},
          {"audience", request.brief.audience},
          {"role", RoleName(request.brief.role)},
          {"candidates", request.candidates},
          {"seed", request.seed},
          {"temperature", request.temperature},
          {"provider", request.provider},
          {"regenerate_near_copies", request.regenerate_near_copies},
          {"save", request.save}};
}

Result<GenerationJson> RunGenerateCharactersJob(const store::Job& job, const ProviderLookup& providers, store::Store& store,
                                      const JobHooks& hooks) {
  const GenerationJson payload = GenerationJson::parse(job.payload_json, nullptr, false);
  TROUPE_ASSIGN_OR_RETURN(GenerateCharactersRequest request, ParseGenerateCharactersRequest(payload));
  TROUPE_ASSIGN_OR_RETURN(llm::Provider * provider, providers(request.provider));

  std::atomic<bool> cancel{false};
  GeneratorOptions options;
  options.limits = LimitsForContext(provider->info().context_length);
  options.seed = request.seed;
  options.temperature = request.temperature;
  options.cancel = &cancel;
  options.on_progress = [&hooks, &cancel](const GenerationProgress& progress) {
    const double done = (progress.candidate_number - 1) * progress.step_count + (progress.step_number - 1);
    const double total = static_cast<double>(progress.candidate_count) * progress.step_count;
    if (hooks.report_progress && !hooks.report_progress(done / total)) cancel = true;
  };
  CharacterGenerator generator(*provider, options);

  ResumableBatch run;
  run.regenerate_near_copies = request.regenerate_near_copies;
  run.resume_from = ResumeFrom(job, options.limits);
  run.on_checkpoint = [&hooks, &cancel](const std::vector<CharacterDraft>& drafts) {
    if (hooks.save_checkpoint && !hooks.save_checkpoint(CheckpointOf(drafts))) cancel = true;
  };
  Result<CandidateBatch> batch = GenerateCandidates(generator, request.brief, request.candidates, run);
  if (cancel) return Unavailable("cancelled");
  if (!batch.ok()) return batch.status();

  std::vector<GeneratedCandidate> candidates = ReviewCandidates(std::move(batch->candidates));
  if (request.save) {
    for (GeneratedCandidate& candidate : candidates) {
      TROUPE_ASSIGN_OR_RETURN(candidate.saved, SaveDraftCharacter(store, candidate.draft));
    }
  }
  if (hooks.report_progress) (void)hooks.report_progress(1.0);
  return BatchJson(candidates, *batch);
}

Result<GenerationJson> CheckCharacterStepPayload(const GenerationJson& request) {
  if (!request.is_object()) return InvalidArgument("the request must be a JSON object", "");
  const auto draft = request.find("draft");
  if (draft == request.end()) return InvalidArgument("draft is required", "draft");
  TROUPE_RETURN_IF_ERROR(DraftFromJson(nlohmann::ordered_json::parse(draft->dump()),
                                       EditedDraftLimits())
                             .status());
  TROUPE_ASSIGN_OR_RETURN(std::string step, RequiredText(request, "step"));
  TROUPE_RETURN_IF_ERROR(ParseStep(step, "step").status());
  GenerateCharactersRequest numbers;
  TROUPE_RETURN_IF_ERROR(ReadNumbers(request, numbers));
  bool refresh = false;
  TROUPE_RETURN_IF_ERROR(ReadBool(request, "refresh", refresh));
  std::string provider;
  if (const auto found = request.find("provider"); found != request.end()) {
    if (!found->is_string()) return InvalidArgument("provider must be a provider's name", "provider");
    provider = found->get<std::string>();
  }
  return GenerationJson{{"draft", *draft},          {"step", step},   {"refresh", refresh}, {"seed", numbers.seed},
              {"temperature", numbers.temperature}, {"provider", provider}};
}

Result<GenerationJson> RunCharacterStepJob(const store::Job& job, const ProviderLookup& providers, const JobHooks& hooks) {
  TROUPE_ASSIGN_OR_RETURN(const GenerationJson payload, CheckCharacterStepPayload(GenerationJson::parse(job.payload_json, nullptr, false)));
  TROUPE_ASSIGN_OR_RETURN(CharacterDraft draft,
                          DraftFromJson(nlohmann::ordered_json::parse(payload["draft"].dump()),
                                        EditedDraftLimits()));
  const CharacterStep step = ParseStep(payload["step"].get<std::string>(), "step").value();
  TROUPE_ASSIGN_OR_RETURN(llm::Provider * provider, providers(payload["provider"].get<std::string>()));
  std::atomic<bool> cancel{false};
  GeneratorOptions options;
  options.limits = LimitsForContext(provider->info().context_length);
  options.seed = payload["seed"].get<uint64_t>();
  options.temperature = payload["temperature"].get<double>();
  options.cancel = &cancel;
  options.on_progress = [&hooks, &cancel](const GenerationProgress& progress) {
    const double done = static_cast<double>(progress.step_number - 1) / progress.step_count;
    if (hooks.report_progress && !hooks.report_progress(done)) cancel = true;
  };
  CharacterGenerator generator(*provider, options);
  Status ran = generator.RerunStep(draft, step);
  if (ran.ok() && payload["refresh"].get<bool>()) ran = generator.RefreshStale(draft);
  if (cancel) return Unavailable("cancelled");
  TROUPE_RETURN_IF_ERROR(ran);
  if (hooks.report_progress) (void)hooks.report_progress(1.0);
  std::vector<GeneratedCandidate> reviewed = ReviewCandidates({std::move(draft)});
  return CandidateJson(reviewed.front());
}

}  // namespace troupe::studio
