// Characters serialised once per version. Listing characters is the API's hottest read and most
// of its cost was building and dumping a JSON tree per character per request; a character's JSON
// changes only when its version does (every update bumps it), so a cached text can never be stale.
// One cache per API instance (ids are per database). Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "store/records.h"

namespace troupe::server::api {

class CharacterJsonCache {
 public:
  // The compact JSON of `character`, exactly as Response::Json(ToJson(character)) writes it.
  std::string Get(const store::Character& character);

 private:
  struct Entry {
    int64_t version = 0;
    std::string text;
  };
  static constexpr size_t kMaxEntries = 20'000;  // ~1 KiB each; past this, start over

  std::mutex mutex_;  // guards entries_
  std::unordered_map<int64_t, Entry> entries_;
};

}  // namespace troupe::server::api
