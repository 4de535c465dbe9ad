// Characters: the stored cards, versioned for optimistic updates.
// Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

struct CharacterQuery {
  std::string search;  // case-insensitive substring of name, nickname, description or tags
  std::string tag;     // exact tag
  std::optional<bool> published;
  PageRequest page;
};

class CharacterRepository {
 public:
  virtual ~CharacterRepository() = default;
  // Fills id, version (1) and times. Derives the slug from the name when empty, appending -2, -3...
  // when taken; kConflict if an explicit slug is taken. kInvalidArgument for a bad *_json field.
  virtual Result<Character> Create(Character character) = 0;
  virtual Result<Character> Get(int64_t id) = 0;
  virtual Result<Character> GetBySlug(std::string_view slug) = 0;
  // Replaces every field of character.id if its stored version equals character.version, then
  // bumps the version. kConflict when someone else updated it first, kNotFound if absent.
  virtual Result<Character> Update(Character character) = 0;
  virtual Status Delete(int64_t id) = 0;  // kConflict while conversations reference it
  virtual Result<Page<Character>> List(const CharacterQuery& query) = 0;
};

}  // namespace troupe::store
