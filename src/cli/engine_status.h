// The CLI's edge with the engine: the engine throws EngineError like a third-party library, and
// commands report Status values. Internal to src/cli.
#pragma once

#include "base/status.h"
#include "engine/error.h"

namespace troupe::cli {

// Bad or unsupported files are the user's to fix (exit 1); I/O failures are the environment's.
Status StatusFromEngineError(const engine::EngineError& error);

}  // namespace troupe::cli
