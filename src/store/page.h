// Keyset pagination for every list the store returns.
#pragma once

#include <string>
#include <vector>

namespace troupe::store {

// Keyset pagination: `cursor` is the opaque `next_cursor` of the previous page ("" = first page).
struct PageRequest {
  std::string cursor;
  int limit = 50;  // clamped to 1..500
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_cursor;  // "" when there are no more items
};

}  // namespace troupe::store
