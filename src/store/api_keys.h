// API key secrets: how they are minted and how they are hashed for storage. The whole key is
// shown once, to whoever created it; the store keeps only its prefix and SHA-256.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace troupe::store {

struct MintedKey {
  std::string key;          // "trp_<prefix>_<secret>": give this to the client, never store it
  std::string prefix;       // 12 lowercase base-36 characters, public, unique per key
  std::string secret_hash;  // hex SHA-256 of `key`
};

// 256 bits of secret from the operating system's CSPRNG.
Result<MintedKey> MintApiKey();

// Splits a presented key into its prefix; kUnauthenticated when it is not shaped like ours.
Result<std::string> ApiKeyPrefix(std::string_view key);

std::string HashApiKey(std::string_view key);

// Compares two hashes in time independent of where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace troupe::store
