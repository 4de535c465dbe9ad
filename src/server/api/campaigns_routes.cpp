// /api/v1/campaigns: personalised engagement campaigns (chat/campaigns.h). The studio creates a
// campaign for a segment and a character, starts the drafting job, reviews the drafts (edit,
// approve, reject, approve all), delivers the approved ones and reads the campaign's numbers.
#include <nlohmann/json.hpp>

#include "chat/campaigns.h"
#include "server/api/api_call.h"
#include "server/api/json_io.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

json OptionalMillis(const std::optional<int64_t>& value) { return value ? json(*value) : json(nullptr); }

json CampaignToJson(const store::Campaign& campaign) {
  return {{"id", campaign.id},
          {"name", campaign.name},
          {"character_id", campaign.character_id},
          {"segment", campaign.segment},
          {"brief", campaign.brief},
          {"status", ToString(campaign.status)},
          {"quiet_hours", campaign.quiet_hours
                              ? json{{"start", campaign.quiet_hours->start}, {"end", campaign.quiet_hours->end}}
                              : json(nullptr)},
          {"daily_cap", campaign.daily_cap},
          {"draft_job_id", OptionalMillis(campaign.draft_job_id)},
          {"created_at", campaign.created_at},
          {"updated_at", campaign.updated_at}};
}

json CampaignStatsToJson(const store::CampaignStats& stats) {
  const int64_t delivered = stats.by_status.count("delivered") ? stats.by_status.at("delivered") : 0;
  json skipped = json::object();
  for (const auto& [reason, count] : stats.skipped_by_reason) skipped[reason] = count;
  json outcomes = json::object();
  for (const auto& [outcome, count] : stats.outcomes) outcomes[outcome] = count;
  return {{"drafted", stats.members},
          {"approved", stats.by_status.at("approved")},
          {"rejected", stats.by_status.at("rejected")},
          {"pending_review", stats.by_status.at("drafted")},
          {"delivered", delivered},
          {"waiting", stats.waiting},
          {"skipped", stats.by_status.at("skipped")},
          {"skipped_by_reason", skipped},
          {"replied", stats.replied},
          {"reply_rate", delivered > 0 ? static_cast<double>(stats.replied) / static_cast<double>(delivered) : 0.0},
          {"outcomes", outcomes}};
}

Result<chat::Campaigns*> CampaignService(ApiCall& call) {
  if (call.options.campaigns == nullptr) {
    return Status(StatusCode::kUnavailable, "campaign drafting and delivery do not run on this server");
  }
  return call.options.campaigns;
}

void ReadQuietHours(JsonObjectReader& reader, std::optional<store::QuietHours>& quiet_hours) {
  if (const json* value = reader.OptionalAny("quiet_hours")) {
    if (!value->is_object()) {
      reader.Fail("quiet_hours", "must be an object {start, end} of hours 0..23");
      return;
    }
    JsonObjectReader hours(*value, reader.FieldPath("quiet_hours"));
    store::QuietHours read;
    read.start = static_cast<int>(hours.RequireInt("start", 0, 23));
    read.end = static_cast<int>(hours.RequireInt("end", 0, 23));
    if (Status status = hours.Finish(); !status.ok()) {
      reader.Fail(status.field().empty() ? "quiet_hours" : status.field(), status.message());
      return;
    }
    quiet_hours = read;
  }
}

Response CreateCampaign(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  store::Campaign campaign;
  campaign.name = reader.RequireString("name");
  campaign.character_id = reader.RequireInt("character_id", 1);
  campaign.segment = reader.RequireString("segment");
  campaign.brief = reader.OptionalString("brief").value_or("");
  ReadQuietHours(reader, campaign.quiet_hours);
  if (auto cap = reader.OptionalInt("daily_cap", 1, 1000)) campaign.daily_cap = static_cast<int>(*cap);
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  Result<store::Campaign> created = call.store.campaigns().Create(std::move(campaign));
  if (!created.ok()) return Response::Error(created.status());
  call.Audit("campaign.create", "campaign", created->id, {{"segment", created->segment}});
  return Response::Json(CampaignToJson(*created), 201);
}

Response ListCampaigns(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  Result<store::Page<store::Campaign>> found = call.store.campaigns().List(*page);
  if (!found.ok()) return Response::Error(found.status());
  json data = json::array();
  for (const store::Campaign& campaign : found->items) data.push_back(CampaignToJson(campaign));
  return Response::Json({{"data", data},
                         {"next_cursor", found->next_cursor.empty() ? json(nullptr) : json(found->next_cursor)}});
}

Result<store::Campaign> PathCampaign(ApiCall& call) {
  TROUPE_ASSIGN_OR_RETURN(int64_t id, PathId(call.request, "campaign_id"));
  return call.store.campaigns().Get(id);
}

Response GetCampaign(ApiCall& call) {
  Result<store::Campaign> campaign = PathCampaign(call);
  if (!campaign.ok()) return Response::Error(campaign.status());
  return Response::Json(CampaignToJson(*campaign));
}

Response DraftCampaign(ApiCall& call) {
  Result<store::Campaign> campaign = PathCampaign(call);
  if (!campaign.ok()) return Response::Error(campaign.status());
  Result<chat::Campaigns*> service = CampaignService(call);
  if (!service.ok()) return Response::Error(service.status());
  Result<store::Job> job = (*service)->StartDrafting(campaign->id);
  if (!job.ok()) return Response::Error(job.status());
  call.Audit("campaign.draft", "campaign", campaign->id, {{"job_id", job->id}});
  return Response::Json(ToJson(*job), 202);
}

Response CancelCampaign(ApiCall& call) {
  Result<store::Campaign> campaign = PathCampaign(call);
  if (!campaign.ok()) return Response::Error(campaign.status());
  if (campaign->status == store::CampaignStatus::kDone || campaign->status == store::CampaignStatus::kCancelled) {
    return Response::Error(Status(StatusCode::kFailedPrecondition,
                                  "campaign " + std::to_string(campaign->id) + " is already " +
                                      std::string(ToString(campaign->status)),
                                  "status"));
  }
  // A drafting job still running stops at its next progress report.
  if (campaign->draft_job_id) (void)call.store.jobs().Cancel(*campaign->draft_job_id);
  campaign->status = store::CampaignStatus::kCancelled;
  Result<store::Campaign> updated = call.store.campaigns().Update(*campaign);
  if (!updated.ok()) return Response::Error(updated.status());
  call.Audit("campaign.cancel", "campaign", updated->id);
  return Response::Json(CampaignToJson(*updated));
}

Response ListCampaignMessages(ApiCall& call) {
  Result<store::Campaign> campaign = PathCampaign(call);
  if (!campaign.ok()) return Response::Error(campaign.status());
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  store::CampaignMessageQuery query;
  query.page = *page;
  if (std::optional<std::string> status = call.request.QueryParam("status")) {
    query.status = store::ParseCampaignMessageStatus(*status);
    if (!query.status) {
      return Response::Error(
          InvalidArgument("status must be drafted, approved, rejected, delivered or skipped", "status"));
    }
  }
  Result<store::Page<store::CampaignMessage>> found = call.store.campaigns().ListMessages(campaign->id, query);
  if (!found.ok()) return Response::Error(found.status());
  json data = json::array();
  for (const store::CampaignMessage& message : found->items) data.push_back(ToJson(message));
  return Response::Json({{"data", data},
                         {"next_cursor", found->next_cursor.empty() ? json(nullptr) : json(found->next_cursor)}});
}

bool ReviewOpen(store::CampaignStatus status) {
  return status == store::CampaignStatus::kReview || status == store::CampaignStatus::kDrafting ||
         status == store::CampaignStatus::kDraft || status == store::CampaignStatus::kDelivering;
}

// Edit and approve or reject one draft. Delivered and skipped messages are history: 412.
Response ReviewCampaignMessage(ApiCall& call) {
  Result<store::Campaign> campaign = PathCampaign(call);
  if (!campaign.ok()) return Response::Error(campaign.status());
  Result<int64_t> message_id = PathId(call.request, "message_id");
  if (!message_id.ok()) return Response::Error(message_id.status());
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  const std::string status_text = reader.RequireString("status");
  std::optional<std::string> text = reader.OptionalString("text");
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  std::optional<store::CampaignMessageStatus> status = store::ParseCampaignMessageStatus(status_text);
  if (status != store::CampaignMessageStatus::kApproved && status != store::CampaignMessageStatus::kRejected &&
      status != store::CampaignMessageStatus::kDrafted) {
    return Response::Error(InvalidArgument("status must be approved, rejected or drafted", "status"));
  }
  if (text && text->empty()) return Response::Error(InvalidArgument("text must not be empty", "text"));
  if (!ReviewOpen(campaign->status)) {
    return Response::Error(Status(StatusCode::kFailedPrecondition,
                                  "campaign " + std::to_string(campaign->id) + " is " +
                                      std::string(ToString(campaign->status)) + "; its messages can no longer change",
                                  "status"));
  }
  Result<store::CampaignMessage> message = call.store.campaigns().GetMessage(campaign->id, *message_id);
  if (!message.ok()) return Response::Error(message.status());
  if (message->status == store::CampaignMessageStatus::kDelivered ||
      message->status == store::CampaignMessageStatus::kSkipped) {
    return Response::Error(Status(StatusCode::kFailedPrecondition,
                                  "message " + std::to_string(message->id) + " is already " +
                                      std::string(ToString(message->status)),
                                  "status"));
  }
  message->status = *status;
  if (text) message->text = std::move(*text);
  Result<store::CampaignMessage> updated = call.store.campaigns().UpdateMessage(*message);
  if (!updated.ok()) return Response::Error(updated.status());
  call.Audit("campaign.review", "campaign_message", updated->id,
             {{"campaign_id", campaign->id}, {"status", ToString(updated->status)}, {"edited", text.has_value()}});
  return Response::Json(ToJson(*updated));
}

Response ApproveAllCampaignMessages(ApiCall& call) {
  Result<store::Campaign> campaign = PathCampaign(call);
  if (!campaign.ok()) return Response::Error(campaign.status());
  Result<int64_t> approved = call.store.campaigns().ApproveAllDrafted(campaign->id);
  if (!approved.ok()) return Response::Error(approved.status());
  call.Audit("campaign.approve_all", "campaign", campaign->id, {{"approved", *approved}});
  return Response::Json({{"approved", *approved}});
}

Response DeliverCampaign(ApiCall& call) {
  Result<store::Campaign> campaign = PathCampaign(call);
  if (!campaign.ok()) return Response::Error(campaign.status());
  Result<chat::Campaigns*> service = CampaignService(call);
  if (!service.ok()) return Response::Error(service.status());
  Result<chat::DeliveryReport> report = (*service)->Deliver(campaign->id);
  if (!report.ok()) return Response::Error(report.status());
  json body = report->ToJson();
  call.Audit("campaign.deliver", "campaign", campaign->id, body);
  Result<store::Campaign> after = call.store.campaigns().Get(campaign->id);
  if (after.ok()) body["campaign"] = CampaignToJson(*after);
  return Response::Json(body);
}

Response GetCampaignStats(ApiCall& call) {
  Result<store::Campaign> campaign = PathCampaign(call);
  if (!campaign.ok()) return Response::Error(campaign.status());
  if (Result<int64_t> replies = call.store.campaigns().RecordReplies(campaign->id); !replies.ok()) {
    return Response::Error(replies.status());
  }
  Result<store::CampaignStats> stats = call.store.campaigns().Stats(campaign->id);
  if (!stats.ok()) return Response::Error(stats.status());
  json body = CampaignStatsToJson(*stats);
  body["campaign_id"] = campaign->id;
  body["status"] = ToString(campaign->status);
  return Response::Json(body);
}

}  // namespace

void AddCampaignRoutes(RouteTable& table) {
  const std::vector<std::string_view> studio = {kScopeStudio};
  table.push_back({"POST", "/api/v1/campaigns", "createCampaign", "campaigns",
                   "Create an engagement campaign for a segment and a character", studio, false, {},
                   "CampaignCreate", "Campaign", false, 201, CreateCampaign});
  table.push_back({"GET", "/api/v1/campaigns", "listCampaigns", "campaigns", "List campaigns, oldest first", studio,
                   false, {}, "", "Campaign", true, 200, ListCampaigns});
  table.push_back({"GET", "/api/v1/campaigns/{campaign_id}", "getCampaign", "campaigns", "Get a campaign", studio,
                   false, {}, "", "Campaign", false, 200, GetCampaign});
  table.push_back({"POST", "/api/v1/campaigns/{campaign_id}/draft", "draftCampaign", "campaigns",
                   "Start the job that drafts one message per member of the segment (returns the job)", studio,
                   false, {}, "", "Job", false, 202, DraftCampaign});
  table.push_back({"POST", "/api/v1/campaigns/{campaign_id}/cancel", "cancelCampaign", "campaigns",
                   "Cancel a campaign (and its drafting job)", studio, false, {}, "", "Campaign", false, 200,
                   CancelCampaign});
  table.push_back({"GET", "/api/v1/campaigns/{campaign_id}/messages", "listCampaignMessages", "campaigns",
                   "List a campaign's messages, oldest first", studio, false,
                   {{"status", "string", "drafted, approved, rejected, delivered or skipped"}}, "",
                   "CampaignMessage", true, 200, ListCampaignMessages});
  table.push_back({"PATCH", "/api/v1/campaigns/{campaign_id}/messages/{message_id}", "reviewCampaignMessage",
                   "campaigns", "Approve, reject or edit one drafted message", studio, false, {},
                   "CampaignMessageReview", "CampaignMessage", false, 200, ReviewCampaignMessage});
  table.push_back({"POST", "/api/v1/campaigns/{campaign_id}/approve", "approveCampaignMessages", "campaigns",
                   "Approve every drafted message of the campaign", studio, false, {}, "", "CampaignApproval",
                   false, 200, ApproveAllCampaignMessages});
  table.push_back({"POST", "/api/v1/campaigns/{campaign_id}/deliver", "deliverCampaign", "campaigns",
                   "Deliver the approved messages that are due (opt-out, quiet hours and daily cap respected)",
                   studio, false, {}, "", "CampaignDelivery", false, 200, DeliverCampaign});
  table.push_back({"GET", "/api/v1/campaigns/{campaign_id}/stats", "getCampaignStats", "campaigns",
                   "A campaign's numbers: drafted, approved, delivered, skipped by reason, replies and outcomes",
                   studio, false, {}, "", "CampaignStats", false, 200, GetCampaignStats});
}

}  // namespace troupe::server::api
