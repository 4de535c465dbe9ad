// The tojson filter as Hugging Face defines it: Python's json.dumps with ensure_ascii=False by
// default, so ", " and ": " separate items (or "," and ": " with an indent), keys keep their
// insertion order unless sort_keys, and floats print as Python prints them.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "engine/jinja/value.h"

namespace troupe::engine::jinja {

struct JsonFormat {
  std::optional<std::string> indent;  // the text per indent level; absent means one line
  std::optional<std::pair<std::string, std::string>> separators;  // (item, key) separators
  bool ensure_ascii = false;
  bool sort_keys = false;
};

// Throws TemplateError for values JSON cannot hold (undefined, macros, namespaces) and when the
// text would pass max_bytes.
std::string ToJson(const Value& value, const JsonFormat& format, size_t max_bytes);

}  // namespace troupe::engine::jinja
