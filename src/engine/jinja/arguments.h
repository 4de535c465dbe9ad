// Binds call arguments to a builtin's Python-style parameter list, so every filter, test, method
// and global reports a wrong call the same way.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/jinja/value.h"

namespace troupe::engine::jinja {

class BoundArguments {
 public:
  // Throws TemplateError for more positional arguments than parameters, an unknown keyword, or
  // a parameter given twice.
  BoundArguments(std::string_view function, const CallArguments& arguments,
                 std::initializer_list<std::string_view> parameters);

  // The argument for `name`, or nullptr when it was not passed.
  const Value* Find(std::string_view name) const;
  Value Get(std::string_view name, Value fallback) const;
  // Throws TemplateError when missing.
  const Value& Require(std::string_view name) const;

  std::optional<std::string> OptionalString(std::string_view name) const;  // None counts as absent
  int64_t Int(std::string_view name, int64_t fallback) const;
  bool Bool(std::string_view name, bool fallback) const;  // truthiness

 private:
  std::string function_;
  std::vector<std::string_view> names_;
  std::vector<const Value*> values_;
};

}  // namespace troupe::engine::jinja
