// What the store keeps and computes about end users as customers: each user's profile (typed
// fields the operator imports or sets) and their interaction history (computed from the
// conversations, messages and feedback already stored). Segments (segment_repository.h) are built
// on both. Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

// The profile of one end user: a JSON object of field -> string, number or boolean. Dates are
// strings in ISO 8601 form ("2026-03-01" or with a time), so they sort as text.
struct UserProfile {
  int64_t user_id = 0;
  std::string profile_json = "{}";
  int64_t updated_at = 0;  // 0 while the profile was never set
};

// One end user's interaction history as of a moment `now` (milliseconds since the epoch).
struct UserActivity {
  int64_t user_id = 0;
  int64_t conversations = 0;
  int64_t messages_sent = 0;  // messages the user wrote (role user), in all conversations
  int64_t messages_30d = 0;   // of those, written in the 30 days before `now`
  int64_t first_seen = 0;     // when the user was created
  std::optional<int64_t> last_active_at;  // the user's latest message; nullopt if they wrote none
  int64_t ratings_given = 0;  // feedback events of kind "rating" the user gave
  int64_t handoffs = 0;       // the user's conversations handed to a person (now or earlier)
};

// A user with their profile and history: what segment rules and k-means look at.
struct Customer {
  User user;
  UserProfile profile;
  UserActivity activity;
};

class CustomerRepository {
 public:
  virtual ~CustomerRepository() = default;

  // The user's profile ("{}" when none was set). kNotFound naming user_id for an unknown user.
  virtual Result<UserProfile> GetProfile(int64_t user_id) = 0;
  // Replaces the user's profile. kInvalidArgument (field "profile") unless `profile_json` is a
  // JSON object whose values are strings, numbers or booleans; kNotFound for an unknown user.
  virtual Result<UserProfile> PutProfile(int64_t user_id, std::string profile_json) = 0;
  // The user's history as of `now`. kNotFound naming user_id for an unknown user.
  virtual Result<UserActivity> Activity(int64_t user_id, int64_t now) = 0;
  // Every user with profile and history as of `now`, in ascending user id, one page at a time.
  virtual Result<Page<Customer>> ListCustomers(const PageRequest& page, int64_t now) = 0;
};

}  // namespace troupe::store
