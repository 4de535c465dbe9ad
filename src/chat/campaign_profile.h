// What a campaign reads about one end user, and the delivery rules that follow from it: whether
// they opted out, their time zone, and when quiet hours in that zone end.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/campaign_repository.h"
#include "store/customer_repository.h"
#include "store/store.h"

namespace troupe::chat {

// The user's profile as campaigns see it: a JSON object with display_name, segment, every key of the
// user's metadata, then every field of their customer profile (later sources win). The one place
// campaigns read profile data.
nlohmann::json CampaignProfileOf(store::Store& store, const store::User& user);

// True when the profile says `opt_out: true` or `marketing_opt_out: true`.
bool CampaignOptedOut(const nlohmann::json& profile);

// Minutes east of UTC for the profile's `timezone`: "UTC", "Z", "+02:00", "-0530", "UTC+2",
// "GMT-3:30". Absent or empty: 0. kInvalidArgument naming "timezone" for anything else (the caller
// falls back to UTC).
Result<int> UtcOffsetMinutes(std::string_view timezone);

// When `now` (ms since the epoch) falls inside `quiet` for a user `offset_minutes` east of UTC: the
// time the quiet hours end. nullopt outside them, and when start equals end (no quiet hours).
std::optional<int64_t> QuietHoursEnd(const store::QuietHours& quiet, int64_t now, int offset_minutes);

}  // namespace troupe::chat
