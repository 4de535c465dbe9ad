#include "server/api/auth.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "store/api_keys.h"

namespace troupe::server {
namespace {

constexpr std::array<std::string_view, 4> kScopes = {kScopeAdmin, kScopeStudio, kScopeAgent,
                                                     kScopeClient};

Status Unauthenticated(std::string message) {
  return Status(StatusCode::kUnauthenticated, std::move(message));
}

// Longest external id we accept from a header; ids are the operator's, not free text.
constexpr size_t kMaxExternalIdBytes = 256;

}  // namespace

std::span<const std::string_view> AllScopes() { return kScopes; }

bool IsKnownScope(std::string_view scope) {
  return std::find(kScopes.begin(), kScopes.end(), scope) != kScopes.end();
}

Status CheckScopes(const std::vector<std::string>& scopes, std::string_view field) {
  if (scopes.empty()) return InvalidArgument("at least one scope is required", std::string(field));
  for (const std::string& scope : scopes) {
    if (!IsKnownScope(scope)) {
      return InvalidArgument(
          "unknown scope '" + Excerpt(scope) + "': expected admin, studio, agent or client",
          std::string(field));
    }
  }
  return Status::Ok();
}

bool Principal::HasScope(std::string_view scope) const {
  return std::find(key.scopes.begin(), key.scopes.end(), scope) != key.scopes.end();
}

Authenticator::Authenticator(store::Store& store, const Clock& clock, int64_t touch_interval_ms)
    : store_(store), clock_(clock), touch_interval_ms_(touch_interval_ms) {}

Result<Principal> Authenticator::Authenticate(std::optional<std::string_view> header) {
  if (!header || header->empty()) {
    return Unauthenticated("an API key is required: send 'Authorization: Bearer <key>'");
  }
  std::string_view value = *header;
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), value.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return Unauthenticated("the Authorization header must be 'Bearer <key>'");
  }
  value.remove_prefix(kBearer.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);

  Result<std::string> prefix = store::ApiKeyPrefix(value);
  if (!prefix.ok()) return prefix.status();
  Result<store::ApiKey> found = store_.api_keys().GetByPrefix(*prefix);
  if (!found.ok()) {
    if (found.status().code() == StatusCode::kNotFound) {
      return Unauthenticated("the API key is not valid");
    }
    return found.status();
  }
  // Hash and compare even for revoked keys, so timing says nothing about which check failed.
  const bool secret_matches = store::ConstantTimeEquals(store::HashApiKey(value), found->secret_hash);
  if (!secret_matches) return Unauthenticated("the API key is not valid");
  if (found->revoked_at) return Unauthenticated("the API key has been revoked");

  Principal principal;
  principal.key = std::move(found).value();
  principal.key.secret_hash.clear();
  MaybeTouch(principal.key.id);
  return principal;
}

void Authenticator::MaybeTouch(int64_t key_id) {
  const int64_t now = clock_.NowMillis();
  {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = last_touch_ms_.try_emplace(key_id, now);
    if (!inserted) {
      if (now - it->second < touch_interval_ms_) return;
      it->second = now;
    }
  }
  // Best effort: a failed touch must not fail the request it records.
  (void)store_.api_keys().TouchLastUsed(key_id);
}

Result<store::User> ResolveEndUser(store::Store& store, const Principal& principal,
                                   std::optional<std::string_view> header) {
  const std::string field(kEndUserHeader);
  if (header && (header->empty() || header->size() > kMaxExternalIdBytes ||
                 std::any_of(header->begin(), header->end(),
                             [](char c) { return static_cast<unsigned char>(c) < 0x20; }))) {
    return InvalidArgument(field + " must be 1 to 256 printable bytes", field);
  }
  if (principal.key.user_id) {
    Result<store::User> bound = store.users().Get(*principal.key.user_id);
    if (!bound.ok()) {
      if (bound.status().code() == StatusCode::kNotFound) {
        return Status(StatusCode::kPermissionDenied, "the key's end user no longer exists");
      }
      return bound.status();
    }
    if (header && *header != bound->external_id) {
      return Status(StatusCode::kPermissionDenied,
                    "this key acts for one end user only; " + field + " names another", field);
    }
    return bound;
  }
  if (!header) {
    return InvalidArgument(field + " is required: client keys name the end user they act for",
                           field);
  }
  Result<store::User> existing = store.users().GetByExternalId(*header);
  if (existing.ok() || existing.status().code() != StatusCode::kNotFound) return existing;
  store::User user;
  user.external_id = std::string(*header);
  Result<store::User> created = store.users().Create(std::move(user));
  // Two first requests for one new user race; the loser reads the winner's row.
  if (!created.ok() && created.status().code() == StatusCode::kConflict) {
    return store.users().GetByExternalId(*header);
  }
  return created;
}

}  // namespace troupe::server
