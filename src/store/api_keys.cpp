// API key minting and hashing on OpenSSL: the CSPRNG for secrets, SHA-256 for storage and
// CRYPTO_memcmp for comparisons that leak no timing.
#include "store/api_keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <cstdint>

namespace troupe::store {
namespace {

constexpr std::string_view kKeyPrefix = "trp_";
constexpr size_t kPrefixLength = 12;
// 43 base-62 characters carry 256 bits of secret (43 * log2(62) = 256.03).
constexpr size_t kSecretLength = 43;
constexpr std::string_view kBase36 = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool RandomBytes(uint8_t* out, size_t size) { return RAND_bytes(out, static_cast<int>(size)) == 1; }

// Maps random bytes to an alphabet without modulo bias by rejecting bytes above the largest
// multiple of the alphabet size.
bool RandomString(std::string_view alphabet, size_t length, std::string& out) {
  const unsigned limit = 256 - (256 % alphabet.size());
  out.clear();
  std::array<uint8_t, 64> buffer{};
  while (out.size() < length) {
    if (!RandomBytes(buffer.data(), buffer.size())) return false;
    for (uint8_t byte : buffer) {
      if (byte >= limit) continue;
      out += alphabet[byte % alphabet.size()];
      if (out.size() == length) break;
    }
  }
  return true;
}

bool InAlphabet(std::string_view text, std::string_view alphabet) {
  return text.find_first_not_of(alphabet) == std::string_view::npos;
}

}  // namespace

Result<MintedKey> MintApiKey() {
  MintedKey minted;
  std::string secret;
  if (!RandomString(kBase36, kPrefixLength, minted.prefix) ||
      !RandomString(kBase62, kSecretLength, secret)) {
    return Internal("the operating system's random number generator failed");
  }
  minted.key = std::string(kKeyPrefix) + minted.prefix + "_" + secret;
  minted.secret_hash = HashApiKey(minted.key);
  return minted;
}

Result<std::string> ApiKeyPrefix(std::string_view key) {
  const auto malformed = [] {
    return Status(StatusCode::kUnauthenticated, "the API key is not a Troupe key (trp_<prefix>_<secret>)");
  };
  if (!key.starts_with(kKeyPrefix)) return malformed();
  key.remove_prefix(kKeyPrefix.size());
  if (key.size() < kPrefixLength + 2 || key[kPrefixLength] != '_') return malformed();
  const std::string_view prefix = key.substr(0, kPrefixLength);
  const std::string_view secret = key.substr(kPrefixLength + 1);
  if (!InAlphabet(prefix, kBase36) || !InAlphabet(secret, kBase62)) return malformed();
  return std::string(prefix);
}

std::string HashApiKey(std::string_view key) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  unsigned int size = 0;
  EVP_Digest(key.data(), key.size(), digest.data(), &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (unsigned i = 0; i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // The length of a SHA-256 hex digest is public; only the content must not leak.
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace troupe::store
