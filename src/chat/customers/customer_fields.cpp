// Customer fields: activity figures derived from store::UserActivity, profile fields from the
// profile's JSON object.
#include "chat/customers/customer_fields.h"

#include <algorithm>
#include <string>

namespace troupe::chat::customers {
namespace {

constexpr int64_t kMillisPerDay = int64_t{24} * 60 * 60 * 1000;

int64_t RecencyDays(const store::UserActivity& activity, int64_t now) {
  const int64_t since = activity.last_active_at.value_or(activity.first_seen);
  return std::max<int64_t>(0, (now - since) / kMillisPerDay);
}

nlohmann::json ActivityField(const store::UserActivity& activity, std::string_view field, int64_t now) {
  if (field == "conversations") return activity.conversations;
  if (field == "messages_sent" || field == "messages") return activity.messages_sent;
  if (field == "frequency_30d" || field == "messages_30d") return activity.messages_30d;
  if (field == "recency_days") return RecencyDays(activity, now);
  if (field == "first_seen") return activity.first_seen;
  if (field == "last_active_at") {
    return activity.last_active_at ? nlohmann::json(*activity.last_active_at) : nlohmann::json(nullptr);
  }
  if (field == "ratings_given") return activity.ratings_given;
  if (field == "handoffs") return activity.handoffs;
  return nullptr;
}

nlohmann::json ProfileField(const store::UserProfile& profile, std::string_view name) {
  const nlohmann::json fields = nlohmann::json::parse(profile.profile_json, nullptr, /*allow_exceptions=*/false);
  if (!fields.is_object()) return nullptr;
  auto found = fields.find(std::string(name));
  return found == fields.end() ? nlohmann::json(nullptr) : *found;
}

}  // namespace

bool IsActivityField(std::string_view field) {
  static constexpr std::string_view kNames[] = {"conversations", "messages_sent", "messages",  "frequency_30d",
                                                "messages_30d",  "recency_days",  "first_seen", "last_active_at",
                                                "ratings_given", "handoffs"};
  return std::find(std::begin(kNames), std::end(kNames), field) != std::end(kNames);
}

nlohmann::json ActivityJson(const store::UserActivity& activity, int64_t now) {
  return {{"conversations", activity.conversations},
          {"messages_sent", activity.messages_sent},
          {"frequency_30d", activity.messages_30d},
          {"recency_days", RecencyDays(activity, now)},
          {"first_seen", activity.first_seen},
          {"last_active_at", ActivityField(activity, "last_active_at", now)},
          {"ratings_given", activity.ratings_given},
          {"handoffs", activity.handoffs}};
}

nlohmann::json CustomerField(const store::Customer& customer, std::string_view field, int64_t now,
                             std::string_view monetary_field) {
  if (IsActivityField(field)) return ActivityField(customer.activity, field, now);
  if (field == "monetary") {
    return monetary_field.empty() ? nlohmann::json(nullptr) : ProfileField(customer.profile, monetary_field);
  }
  constexpr std::string_view kProfilePrefix = "profile.";
  if (field.substr(0, kProfilePrefix.size()) == kProfilePrefix) field.remove_prefix(kProfilePrefix.size());
  return ProfileField(customer.profile, field);
}

std::optional<double> NumericValue(const nlohmann::json& value) {
  if (value.is_boolean()) return value.get<bool>() ? 1.0 : 0.0;
  if (value.is_number()) return value.get<double>();
  return std::nullopt;
}

}  // namespace troupe::chat::customers
