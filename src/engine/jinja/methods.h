// Methods templates call on strings, dicts and lists (`text.strip()`, `message.get('x')`): only
// the ones an immutable sandbox allows, since lists and dicts may not be changed.
#pragma once

#include <string>

#include "engine/jinja/value.h"

namespace troupe::engine::jinja {

// A callable bound to `object`, or Undefined when `object` has no method `name`.
Value FindMethod(const Value& object, const std::string& name);

}  // namespace troupe::engine::jinja
