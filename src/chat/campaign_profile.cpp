// Profile reads and the opt-out, time-zone and quiet-hours rules of campaign delivery.
#include "chat/campaign_profile.h"

#include <cctype>
#include <string>

namespace troupe::chat {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;

bool TrueFlag(const nlohmann::json& profile, const char* key) {
  auto it = profile.find(key);
  return it != profile.end() && it->is_boolean() && it->get<bool>();
}

// Digits of an hour or minute field; -1 when `text` is not 1-2 digits.
int SmallNumber(std::string_view text) {
  if (text.empty() || text.size() > 2) return -1;
  int value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

Status BadTimezone(std::string_view timezone) {
  return InvalidArgument("timezone '" + std::string(timezone) +
                             "' is not UTC or an offset like +02:00, -0530 or UTC+2",
                         "timezone");
}

}  // namespace

nlohmann::json CampaignProfileOf(store::Store& store, const store::User& user) {
  nlohmann::json profile = {{"display_name", user.display_name}, {"segment", user.segment}};
  const nlohmann::json metadata = nlohmann::json::parse(user.metadata_json, nullptr, false);
  if (metadata.is_object()) {
    for (const auto& [key, value] : metadata.items()) profile[key] = value;
  }
  // The customer profile the operator imports or sets (store/customer_repository.h) is the newest
  // word on the customer: its fields win over the metadata's. A profile that cannot be read leaves
  // what the user record says, so a campaign still drafts and the opt-out in metadata still holds.
  Result<store::UserProfile> stored = store.customers().GetProfile(user.id);
  if (stored.ok()) {
    const nlohmann::json fields = nlohmann::json::parse(stored->profile_json, nullptr, false);
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) profile[key] = value;
    }
  }
  return profile;
}

bool CampaignOptedOut(const nlohmann::json& profile) {
  return profile.is_object() && (TrueFlag(profile, "opt_out") || TrueFlag(profile, "marketing_opt_out"));
}

Result<int> UtcOffsetMinutes(std::string_view timezone) {
  std::string_view rest = timezone;
  for (std::string_view prefix : {"UTC", "GMT", "utc", "gmt"}) {
    if (rest.substr(0, prefix.size()) == prefix) {
      rest.remove_prefix(prefix.size());
      break;
    }
  }
  if (rest.empty() || rest == "Z") return 0;
  if (rest.size() < 2 || (rest[0] != '+' && rest[0] != '-')) return BadTimezone(timezone);
  const int sign = rest[0] == '-' ? -1 : 1;
  rest.remove_prefix(1);
  int hours = -1;
  int minutes = 0;
  if (const size_t colon = rest.find(':'); colon != std::string_view::npos) {
    hours = SmallNumber(rest.substr(0, colon));
    minutes = SmallNumber(rest.substr(colon + 1));
    if (rest.size() - colon - 1 != 2) minutes = -1;
  } else if (rest.size() == 4) {
    hours = SmallNumber(rest.substr(0, 2));
    minutes = SmallNumber(rest.substr(2));
  } else {
    hours = SmallNumber(rest);
  }
  // Real zones lie between UTC-12 and UTC+14.
  if (hours < 0 || minutes < 0 || minutes > 59 || hours * 60 + minutes > 14 * 60) return BadTimezone(timezone);
  return sign * (hours * 60 + minutes);
}

std::optional<int64_t> QuietHoursEnd(const store::QuietHours& quiet, int64_t now, int offset_minutes) {
  if (quiet.start == quiet.end) return std::nullopt;
  const int64_t offset_ms = offset_minutes * kMinuteMs;
  const int64_t local = now + offset_ms;
  const int64_t local_day_start = local - ((local % kDayMs) + kDayMs) % kDayMs;
  const int hour = static_cast<int>((local - local_day_start) / kHourMs);
  const bool inside = quiet.start < quiet.end ? (hour >= quiet.start && hour < quiet.end)
                                              : (hour >= quiet.start || hour < quiet.end);
  if (!inside) return std::nullopt;
  int64_t end = local_day_start + quiet.end * kHourMs;
  if (end <= local) end += kDayMs;
  return end - offset_ms;
}

}  // namespace troupe::chat
