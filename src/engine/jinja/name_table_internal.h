// A builtin by name in a small constant table (the filters, the tests): a linear scan, which for a
// few dozen short names beats hashing and needs no start-up work.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

namespace troupe::engine::jinja {

template <typename Function, size_t N>
Function FindIn(const std::pair<std::string_view, Function> (&table)[N], std::string_view name) {
  for (const auto& [entry_name, function] : table) {
    if (entry_name == name) return function;
  }
  return nullptr;
}

}  // namespace troupe::engine::jinja
