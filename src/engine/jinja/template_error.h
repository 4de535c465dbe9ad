// Errors raised while a template runs. They carry no line: the renderer knows which line it was
// executing and turns them into EngineError("chat template line L: ...") at the API edge.
#pragma once

#include <stdexcept>
#include <string>

namespace troupe::engine::jinja {

// A runtime error in the template (a TypeError, an UndefinedError, a limit reached...).
class TemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The template called raise_exception(message) on purpose.
class RaisedByTemplate : public TemplateError {
 public:
  using TemplateError::TemplateError;
};

[[noreturn]] inline void ThrowTemplateError(const std::string& message) { throw TemplateError(message); }

}  // namespace troupe::engine::jinja
