// API keys as stored: prefix and secret hash, never the secret (see MintApiKey in api_keys.h).
// Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

class ApiKeyRepository {
 public:
  virtual ~ApiKeyRepository() = default;
  // Stores a key whose secret was minted with MintApiKey. kConflict if the prefix is taken.
  virtual Result<ApiKey> Create(ApiKey key) = 0;
  virtual Result<ApiKey> Get(int64_t id) = 0;
  // The key (revoked or not) with this public prefix; kNotFound if none.
  virtual Result<ApiKey> GetByPrefix(std::string_view prefix) = 0;
  virtual Result<Page<ApiKey>> List(const PageRequest& page) = 0;
  virtual Status Revoke(int64_t id) = 0;  // idempotent; kNotFound if absent
  virtual Status TouchLastUsed(int64_t id) = 0;
  virtual Result<int64_t> CountActive() = 0;  // keys not revoked
};

}  // namespace troupe::store
