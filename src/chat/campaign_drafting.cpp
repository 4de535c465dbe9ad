// Campaigns: drafting (campaigns.h). One model call per segment member, in the character's voice,
// from the brief, the member's profile and their latest conversation with the character.
#include <algorithm>

#include "chat/campaign_profile.h"
#include "chat/campaigns.h"
#include "chat/memory.h"

namespace troupe::chat {
namespace {

using nlohmann::json;

constexpr size_t kMaxCardChars = 600;
constexpr size_t kMaxLineChars = 200;

std::string Clip(std::string text, size_t limit) {
  if (text.size() > limit) text.resize(limit);
  return text;
}

// The member's latest conversation with the character, as the prompt quotes it: the rolling summary
// (when there is one) and the last messages. "" when they never talked.
std::string HistoryOf(store::Store& store, const store::Campaign& campaign, const store::Character& character,
                      const store::User& user, int history_messages) {
  store::ConversationQuery query;
  query.user_id = user.id;
  query.character_id = campaign.character_id;
  query.page.limit = 1;
  Result<store::Page<store::Conversation>> latest = store.conversations().List(query);
  if (!latest.ok() || latest->items.empty()) return "";
  const int64_t conversation_id = latest->items.front().id;
  std::string history;
  if (Result<store::Memory> summary = store.memories().LatestSummary(conversation_id); summary.ok()) {
    history += "Summary: " + Clip(summary->content, kMaxCardChars) + "\n";
  }
  if (Result<std::vector<store::Message>> messages = store.messages().Latest(conversation_id, history_messages);
      messages.ok()) {
    for (store::Message& message : *messages) message.content = Clip(std::move(message.content), kMaxLineChars);
    history += Transcript(*messages, character.name, user.display_name.empty() ? "User" : user.display_name);
  }
  return history;
}

std::vector<llm::ChatMessage> DraftPrompt(const store::Campaign& campaign, const store::Character& character,
                                          const json& profile, const std::string& history) {
  std::string system = "You are " + character.name + ".";
  if (!character.description.empty()) system += " " + Clip(character.description, kMaxCardChars);
  if (!character.personality.empty()) system += "\nPersonality: " + Clip(character.personality, kMaxCardChars);
  std::string ask = "Write one short message that " + character.name +
                    " sends first to this person, in character, personal to them.\nPurpose: " +
                    Clip(campaign.brief, kMaxCardChars) + "\nAbout them: " + Clip(profile.dump(), kMaxCardChars);
  if (!history.empty()) ask += "\nYour conversation so far:\n" + history;
  ask += "\nWrite only the message.";
  return {{"system", system, "", {}, ""}, {"user", ask, "", {}, ""}};
}

}  // namespace

Result<store::Job> Campaigns::StartDrafting(int64_t campaign_id) {
  TROUPE_ASSIGN_OR_RETURN(store::Campaign campaign, store_.campaigns().Get(campaign_id));
  if (campaign.status != store::CampaignStatus::kDraft && campaign.status != store::CampaignStatus::kReview) {
    return Status(StatusCode::kFailedPrecondition,
                  "campaign " + std::to_string(campaign_id) + " is " + std::string(ToString(campaign.status)) +
                      "; only a campaign in draft or review can be drafted",
                  "status");
  }
  store::NewJob job;
  job.kind = std::string(kCampaignDraftJob);
  job.payload_json = json{{"campaign_id", campaign_id}}.dump();
  job.max_attempts = 2;
  TROUPE_ASSIGN_OR_RETURN(store::Job queued, store_.jobs().Enqueue(job));
  campaign.status = store::CampaignStatus::kDrafting;
  campaign.draft_job_id = queued.id;
  TROUPE_RETURN_IF_ERROR(store_.campaigns().Update(campaign).status());
  if (options_.on_job_enqueued) options_.on_job_enqueued();
  return queued;
}

Result<std::string> Campaigns::DraftFor(const store::Campaign& campaign, const store::Character& character,
                                        const store::User& user, llm::Provider& provider) {
  const json profile = CampaignProfileOf(store_, user);
  const std::string history = HistoryOf(store_, campaign, character, user, options_.history_messages);
  llm::ChatRequest request;
  request.sampling.max_tokens = options_.draft_max_tokens;
  request.stop = provider.TurnEndStrings();
  request.messages = DraftPrompt(campaign, character, profile, history);
  // A small model's context may not hold the history: the brief and profile alone must do then.
  const int64_t room = provider.info().context_length - options_.draft_max_tokens;
  if (provider.info().context_length > 0 && provider.CountChatTokens(request.messages) > room) {
    request.messages = DraftPrompt(campaign, character, profile, "");
  }
  TROUPE_ASSIGN_OR_RETURN(llm::ChatResult result, provider.Chat(request, {}));
  std::string text = result.content;
  const size_t first = text.find_first_not_of(" \t\r\n");
  const size_t last = text.find_last_not_of(" \t\r\n");
  return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

Result<json> Campaigns::RunDraftJob(const store::Job& job, const std::function<bool(double)>& progress) {
  const json payload = json::parse(job.payload_json, nullptr, false);
  if (!payload.is_object() || !payload.contains("campaign_id") || !payload["campaign_id"].is_number_integer()) {
    return Status(StatusCode::kInvalidArgument, "job " + std::to_string(job.id) + " names no campaign_id",
                  "payload.campaign_id");
  }
  TROUPE_ASSIGN_OR_RETURN(store::Campaign campaign, store_.campaigns().Get(payload["campaign_id"].get<int64_t>()));
  TROUPE_ASSIGN_OR_RETURN(store::Character character, store_.characters().Get(campaign.character_id));
  TROUPE_ASSIGN_OR_RETURN(llm::Provider * provider, providers_(options_.provider));
  TROUPE_ASSIGN_OR_RETURN(const int64_t members, store_.campaigns().CountSegmentMembers(campaign.segment));
  int64_t done = 0;
  int64_t drafted = 0;
  bool cancelled = progress && !progress(0.0);
  store::PageRequest page;
  page.limit = 100;
  while (!cancelled) {
    TROUPE_ASSIGN_OR_RETURN(store::Page<store::User> batch, store_.campaigns().SegmentMembers(campaign.segment, page));
    for (const store::User& user : batch.items) {
      TROUPE_ASSIGN_OR_RETURN(std::optional<store::CampaignMessage> existing,
                              store_.campaigns().FindMessage(campaign.id, user.id));
      if (!existing) {
        TROUPE_ASSIGN_OR_RETURN(std::string text, DraftFor(campaign, character, user, *provider));
        TROUPE_RETURN_IF_ERROR(store_.campaigns().AddDraft(campaign.id, user.id, std::move(text)).status());
        ++drafted;
      }
      ++done;
      if (progress && !progress(members > 0 ? static_cast<double>(std::min(done, members)) / members : 1.0)) {
        cancelled = true;
        break;
      }
    }
    if (batch.next_cursor.empty()) break;
    page.cursor = batch.next_cursor;
  }
  TROUPE_ASSIGN_OR_RETURN(campaign, store_.campaigns().Get(campaign.id));
  if (campaign.status == store::CampaignStatus::kDrafting) {
    campaign.status = cancelled ? store::CampaignStatus::kDraft : store::CampaignStatus::kReview;
    TROUPE_RETURN_IF_ERROR(store_.campaigns().Update(campaign).status());
  }
  return json{{"drafted", drafted}, {"members", members}, {"cancelled", cancelled}};
}

}  // namespace troupe::chat
