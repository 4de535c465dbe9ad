#include "llm/engine_status_internal.h"

namespace troupe::llm {

Status StatusFromEngineError(const engine::EngineError& error) {
  switch (error.kind()) {
    case engine::EngineError::Kind::kInvalidInput:
    case engine::EngineError::Kind::kUnsupported:
      return InvalidArgument(error.what());
    case engine::EngineError::Kind::kIo:
      return Unavailable(error.what());
    case engine::EngineError::Kind::kExhausted:
      return Status(StatusCode::kResourceExhausted, error.what());
  }
  return Internal(error.what());
}

}  // namespace troupe::llm
