// /api/v1/studio: the AI pipelines of the web studio. Each runs as a durable job (the jobs
// routes show it, /api/v1/events streams its progress as job.updated, cancel stops it); its result
// holds each candidate's draft, which the studio edits and saves through /studio/drafts as an
// unpublished character.
#include <nlohmann/json.hpp>

#include "server/api/api_call.h"
#include "server/api/json_io.h"
#include "studio/bias_job.h"
#include "studio/card_assembly.h"
#include "studio/draft_json.h"
#include "studio/flow_jobs.h"
#include "studio/generation_job.h"

namespace troupe::server::api {
namespace {

// Queues a studio job after checking the provider it names; 202 with the job.
Response QueueStudioJob(ApiCall& call, std::string_view kind, const nlohmann::json& payload, nlohmann::json audit) {
  if (call.options.providers) {
    Result<llm::Provider*> provider = call.options.providers(payload.value("provider", ""));
    if (!provider.ok()) return Response::Error(provider.status().WithContext("provider"));
  }
  return QueueJob(call, kind, payload, std::move(audit));
}

Response GenerateFlow(ApiCall& call) {
  HttpResult<nlohmann::json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  Result<nlohmann::json> payload = studio::CheckGenerateFlowPayload(*body);
  if (!payload.ok()) return Response::Error(payload.status());
  return QueueStudioJob(call, studio::kGenerateFlowJob, *payload, {{"topic", (*payload)["topic"]}});
}

Response OptimizeFlow(ApiCall& call) {
  HttpResult<nlohmann::json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  const Clock& clock = call.options.clock != nullptr ? *call.options.clock : SystemClock::Instance();
  Result<nlohmann::json> payload = studio::CheckOptimizeFlowPayload(*body, clock.NowMillis());
  if (!payload.ok()) return Response::Error(payload.status());
  Result<store::Character> character = call.store.characters().Get((*payload)["character_id"].get<int64_t>());
  if (!character.ok()) return Response::Error(character.status());
  if (character->flow.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Response::Error(Status(StatusCode::kFailedPrecondition, "the character has no flow of its own to optimize",
                                  "character_id"));
  }
  return QueueStudioJob(call, studio::kOptimizeFlowJob, *payload, {{"character_id", character->id}});
}

Response ReviewBias(ApiCall& call) {
  HttpResult<nlohmann::json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  Result<nlohmann::json> payload = studio::CheckBiasReviewPayload(*body);
  if (!payload.ok()) return Response::Error(payload.status());
  const int64_t character_id = (*payload)["character_id"].get<int64_t>();
  Result<store::Character> character = call.store.characters().Get(character_id);
  if (!character.ok()) {
    if (character.status().code() != StatusCode::kNotFound) return Response::Error(character.status());
    return Response::Error(
        Status(StatusCode::kNotFound, "character " + std::to_string(character_id) + " not found", "character_id"));
  }
  return QueueStudioJob(call, studio::kBiasReviewJob, *payload,
                        {{"character_id", character_id}, {"repeats", (*payload)["repeats"]}});
}

Response GenerateCharacters(ApiCall& call) {
  HttpResult<nlohmann::json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  Result<studio::GenerateCharactersRequest> request = studio::ParseGenerateCharactersRequest(*body);
  if (!request.ok()) return Response::Error(request.status());
  return QueueStudioJob(call, studio::kGenerateCharactersJob, studio::GenerateCharactersPayload(*request),
                        {{"theme", request->brief.theme}, {"candidates", request->candidates}});
}

Response RerunStep(ApiCall& call) {
  HttpResult<nlohmann::json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  Result<nlohmann::json> payload = studio::CheckCharacterStepPayload(*body);
  if (!payload.ok()) return Response::Error(payload.status());
  return QueueStudioJob(call, studio::kCharacterStepJob, *payload, {{"step", (*payload)["step"]}});
}

Response SaveDraft(ApiCall& call) {
  HttpResult<nlohmann::json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  const auto draft_json = body->find("draft");
  if (draft_json == body->end()) return Response::Error(InvalidArgument("draft is required", "draft"));
  // Ordered, through its text, so the steps keep the order the studio sent them in.
  Result<studio::CharacterDraft> draft = studio::DraftFromJson(
      nlohmann::ordered_json::parse(draft_json->dump()), studio::EditedDraftLimits());
  if (!draft.ok()) return Response::Error(draft.status());
  Result<store::Character> saved = studio::SaveDraftCharacter(call.store, *draft);
  if (!saved.ok()) return Response::Error(saved.status());
  call.Audit("character.create", "character", saved->id, {{"slug", saved->slug}, {"from", "studio.draft"}});
  return Response::Json(ToJson(*saved), 201);
}

}  // namespace

void AddStudioRoutes(RouteTable& table) {
  const std::vector<std::string_view> studio = {kScopeStudio};
  table.push_back({"POST", "/api/v1/studio/characters/generate", "generateCharacters", "studio",
                   "Generate characters (concept, background, speech, greetings, image prompt) from a theme, an "
                   "audience and a role, as a job: 202 with the queued job, whose result lists the candidates",
                   studio, false, {}, "CharacterGeneration", "Job", false, 202, GenerateCharacters});
  table.push_back({"POST", "/api/v1/studio/drafts", "saveCharacterDraft", "studio",
                   "Save a draft (a candidate from a generation job, edited or not) as an unpublished character "
                   "with its role's flow",
                   studio, false, {}, "CharacterDraftSave", "Character", false, 201, SaveDraft});
  table.push_back({"POST", "/api/v1/studio/drafts/steps", "rerunCharacterStep", "studio",
                   "Run one step of a draft again (another take), the later steps marked stale or, with refresh, "
                   "run again too, as a job: 202 with the queued job, whose result is the candidate with its new draft",
                   studio, false, {}, "CharacterStepRerun", "Job", false, 202, RerunStep});
  table.push_back({"POST", "/api/v1/studio/flows/generate", "generateFlow", "studio",
                   "Generate a flow (5 to 7 stages with prompts and transitions, validated) from a topic and a goal, "
                   "as a job: 202 with the queued job, whose result holds the flow's YAML",
                   studio, false, {}, "FlowGeneration", "Job", false, 202, GenerateFlow});
  table.push_back({"POST", "/api/v1/studio/flows/optimize", "optimizeFlow", "studio",
                   "Propose edits to a character's flow from its stages' reach, drop-off, sentiment and ratings, "
                   "as a job: 202 with the queued job, whose result holds the edits, the flow after them and the diff",
                   studio, false, {}, "FlowOptimization", "Job", false, 202, OptimizeFlow});
  table.push_back({"POST", "/api/v1/studio/bias", "reviewBias", "studio",
                   "Review a character for bias: conversations held with users who state a gender, age, name or "
                   "first language, compared on reply length, sentiment, refusals and flow stages, as a job: 202 "
                   "with the queued job, whose result is the report",
                   studio, false, {}, "BiasReview", "Job", false, 202, ReviewBias});
}

}  // namespace troupe::server::api
