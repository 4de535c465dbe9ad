// The engine's one error type. The engine knows nothing of Troupe, so it does not use
// base::Status: like a third-party library it throws EngineError from loaders and parsers, and
// the adapter above it (src/llm: llm/engine_status_internal.h) catches it and turns it into a Status.
#pragma once

#include <stdexcept>
#include <string>

namespace troupe::engine {

class EngineError : public std::runtime_error {
 public:
  enum class Kind {
    kInvalidInput,  // a file, template or argument is malformed; the message says where
    kUnsupported,   // well-formed, but uses something this engine does not implement
    kIo,            // the filesystem failed (missing file, unreadable, disk full)
    kExhausted,     // a memory budget is full for now (the KV cache's blocks); retry later
  };

  EngineError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

[[noreturn]] inline void ThrowInvalid(const std::string& message) {
  throw EngineError(EngineError::Kind::kInvalidInput, message);
}
[[noreturn]] inline void ThrowUnsupported(const std::string& message) {
  throw EngineError(EngineError::Kind::kUnsupported, message);
}
[[noreturn]] inline void ThrowExhausted(const std::string& message) {
  throw EngineError(EngineError::Kind::kExhausted, message);
}
[[noreturn]] inline void ThrowIo(const std::string& message) {
  throw EngineError(EngineError::Kind::kIo, message);
}

}  // namespace troupe::engine
