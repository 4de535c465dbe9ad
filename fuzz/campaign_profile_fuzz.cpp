// A user's profile as campaign delivery reads it (time zone, opt-out): any metadata text gives an
// offset within ±14 hours or an error naming "timezone", and quiet hours end after the time asked
// about and within a day of it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "chat/campaign_profile.h"

using namespace troupe;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Result<int> offset = chat::UtcOffsetMinutes(text);
  if (offset.ok() && (*offset < -14 * 60 || *offset > 14 * 60)) std::abort();
  if (!offset.ok() && offset.status().field() != "timezone") std::abort();
  const nlohmann::json metadata = nlohmann::json::parse(text, nullptr, false);
  if (metadata.is_object()) {
    (void)chat::CampaignOptedOut(metadata);
    if (auto zone = metadata.find("timezone"); zone != metadata.end() && zone->is_string()) {
      (void)chat::UtcOffsetMinutes(zone->get<std::string>());
    }
  }
  if (size >= 2) {
    const store::QuietHours quiet{data[0] % 24, data[1] % 24};
    const int64_t now = 1'789'128'000'000 + static_cast<int64_t>(size) * 611'111;
    const int minutes = offset.ok() ? *offset : 0;
    if (std::optional<int64_t> end = chat::QuietHoursEnd(quiet, now, minutes)) {
      if (*end <= now || *end > now + 86'400'000) std::abort();
    }
  }
  return 0;
}
