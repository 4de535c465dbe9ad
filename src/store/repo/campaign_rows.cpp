// Text forms of the campaign enums and the row readers of campaign_rows.h.
#include "store/repo/campaign_rows.h"

#include <array>
#include <utility>

namespace troupe::store {
namespace {

constexpr std::array<std::pair<CampaignStatus, std::string_view>, 6> kCampaignStatusNames = {{
    {CampaignStatus::kDraft, "draft"},
    {CampaignStatus::kDrafting, "drafting"},
    {CampaignStatus::kReview, "review"},
    {CampaignStatus::kDelivering, "delivering"},
    {CampaignStatus::kDone, "done"},
    {CampaignStatus::kCancelled, "cancelled"},
}};

constexpr std::array<std::pair<CampaignMessageStatus, std::string_view>, 5> kCampaignMessageStatusNames = {{
    {CampaignMessageStatus::kDrafted, "drafted"},
    {CampaignMessageStatus::kApproved, "approved"},
    {CampaignMessageStatus::kRejected, "rejected"},
    {CampaignMessageStatus::kDelivered, "delivered"},
    {CampaignMessageStatus::kSkipped, "skipped"},
}};

template <typename Enum, size_t N>
std::optional<Enum> CampaignEnumParse(const std::array<std::pair<Enum, std::string_view>, N>& names,
                                      std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

template <typename Enum, size_t N>
std::string_view CampaignEnumName(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return "unknown";
}

}  // namespace

std::string_view ToString(CampaignStatus status) { return CampaignEnumName(kCampaignStatusNames, status); }
std::optional<CampaignStatus> ParseCampaignStatus(std::string_view text) {
  return CampaignEnumParse(kCampaignStatusNames, text);
}
std::string_view ToString(CampaignMessageStatus status) {
  return CampaignEnumName(kCampaignMessageStatusNames, status);
}
std::optional<CampaignMessageStatus> ParseCampaignMessageStatus(std::string_view text) {
  return CampaignEnumParse(kCampaignMessageStatusNames, text);
}

namespace repo {

Campaign ReadCampaign(const sql::Row& row) {
  sql::RowReader read(row);
  Campaign campaign;
  campaign.id = read.Int();
  campaign.name = read.Text();
  campaign.character_id = read.Int();
  campaign.segment = read.Text();
  campaign.brief = read.Text();
  campaign.status = ParseCampaignStatus(read.Text()).value_or(CampaignStatus::kDraft);
  std::optional<int64_t> quiet_start = read.OptionalInt();
  std::optional<int64_t> quiet_end = read.OptionalInt();
  if (quiet_start && quiet_end) {
    campaign.quiet_hours = QuietHours{static_cast<int>(*quiet_start), static_cast<int>(*quiet_end)};
  }
  campaign.daily_cap = static_cast<int>(read.Int());
  campaign.draft_job_id = read.OptionalInt();
  campaign.created_at = read.Int();
  campaign.updated_at = read.Int();
  return campaign;
}

CampaignMessage ReadCampaignMessage(const sql::Row& row) {
  sql::RowReader read(row);
  CampaignMessage message;
  message.id = read.Int();
  message.campaign_id = read.Int();
  message.user_id = read.Int();
  message.text = read.Text();
  message.status = ParseCampaignMessageStatus(read.Text()).value_or(CampaignMessageStatus::kDrafted);
  message.reason = read.Text();
  message.conversation_id = read.OptionalInt();
  message.message_id = read.OptionalInt();
  message.due_at = read.OptionalInt();
  message.delivered_at = read.OptionalInt();
  message.replied_at = read.OptionalInt();
  message.outcome = read.Text();
  message.created_at = read.Int();
  message.updated_at = read.Int();
  return message;
}

}  // namespace repo
}  // namespace troupe::store
