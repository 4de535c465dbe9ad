// Who is calling: API key scopes, bearer-token authentication against the store, and the end user
// a client key acts for. The scope names live here so the CLI (`troupe keys create`) and the HTTP
// API agree on them.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "store/records.h"
#include "store/store.h"

namespace troupe::server {

// admin: everything. studio: characters, flows, analytics, jobs. agent: the support console (read
// any user's conversations and messages, read characters). client: a chat front end acting for one
// end user at a time (named by X-Troupe-User), seeing only that user's data and published characters.
inline constexpr std::string_view kScopeAdmin = "admin";
inline constexpr std::string_view kScopeStudio = "studio";
inline constexpr std::string_view kScopeAgent = "agent";
inline constexpr std::string_view kScopeClient = "client";

// Every scope, in the order documentation lists them.
std::span<const std::string_view> AllScopes();
bool IsKnownScope(std::string_view scope);
// Ok, or kInvalidArgument naming `field` and the first unknown scope.
Status CheckScopes(const std::vector<std::string>& scopes, std::string_view field);

// The header a client key uses to name the end user (the operator's external id).
inline constexpr std::string_view kEndUserHeader = "X-Troupe-User";

// An authenticated caller.
struct Principal {
  store::ApiKey key;  // secret_hash is cleared after verification

  bool HasScope(std::string_view scope) const;
  // "key:<prefix>", the audit log's actor.
  std::string Actor() const { return "key:" + key.prefix; }
};

// Checks bearer keys against the store. Thread-safe; the store and clock must outlive it.
class Authenticator {
 public:
  // last_used_at is written at most once per `touch_interval_ms` per key, so a busy key does not
  // cost a write per request.
  Authenticator(store::Store& store, const Clock& clock, int64_t touch_interval_ms = 60'000);

  // Reads "Authorization: Bearer <key>".
  //   kUnauthenticated: no header, not a bearer token, not a Troupe key, unknown or revoked key,
  //                     wrong secret (all with the same kind of message: which part failed, never
  //                     whether a prefix exists);
  //   kUnavailable / kInternal from the store.
  Result<Principal> Authenticate(std::optional<std::string_view> authorization_header);

 private:
  void MaybeTouch(int64_t key_id);

  store::Store& store_;
  const Clock& clock_;
  const int64_t touch_interval_ms_;
  std::mutex mutex_;
  std::unordered_map<int64_t, int64_t> last_touch_ms_;  // guarded by mutex_
};

// The end user a client call acts for, from the key's binding and the X-Troupe-User header:
//   a key bound to a user (ApiKey.user_id) is always that user; a header naming someone else is
//   kPermissionDenied;
//   an unbound key needs the header (kInvalidArgument naming it when missing or empty); the user
//   is created on first sight.
Result<store::User> ResolveEndUser(store::Store& store, const Principal& principal,
                                   std::optional<std::string_view> end_user_header);

}  // namespace troupe::server
