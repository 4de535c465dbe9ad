// The one way the lexer and the parser report a malformed template.
#pragma once

#include <string>

#include "engine/error.h"

namespace troupe::engine::jinja {

[[noreturn]] inline void ThrowSyntaxError(int line, int column, const std::string& message) {
  ThrowInvalid("chat template line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
               message);
}

}  // namespace troupe::engine::jinja
