// The fields a segment can look at for one customer: their interaction history (activity fields,
// computed as of a moment) and their profile fields, by name.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "store/customer_repository.h"

namespace troupe::chat::customers {

// Activity fields, all numbers: conversations, messages_sent (alias messages), frequency_30d
// (alias messages_30d), recency_days (whole days since the user's last message, or since they
// were first seen when they wrote none), first_seen and last_active_at (milliseconds since the
// epoch; last_active_at is absent for a user who never wrote), ratings_given, handoffs.
bool IsActivityField(std::string_view field);

// The activity as a JSON object of every activity field (last_active_at null when absent).
nlohmann::json ActivityJson(const store::UserActivity& activity, int64_t now);

// The value of `field` for the customer as of `now`: an activity field; "monetary", the profile
// field named `monetary_field`; "profile.NAME" or a bare NAME, a profile field. null when the
// customer has no such value (a missing profile field, last_active_at of a user who never wrote).
nlohmann::json CustomerField(const store::Customer& customer, std::string_view field, int64_t now,
                             std::string_view monetary_field = "");

// A value as a number for clustering: numbers as they are, booleans as 0 or 1; nullopt otherwise.
std::optional<double> NumericValue(const nlohmann::json& value);

}  // namespace troupe::chat::customers
