#include "server/api/character_json_cache.h"

#include "server/api/json_io.h"

namespace troupe::server::api {

std::string CharacterJsonCache::Get(const store::Character& character) {
  {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(character.id);
    if (found != entries_.end() && found->second.version == character.version) return found->second.text;
  }
  // As Response::Json writes it: a stray invalid UTF-8 byte is replaced, never a 500.
  std::string text = ToJson(character).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[character.id] = Entry{character.version, text};
  return text;
}

}  // namespace troupe::server::api
