// The one place an engine failure becomes a Status. The engine throws EngineError like a
// third-party library (engine/error.h); every adapter in src/llm catches it at its edge and calls
// this, so a bad model file, template or setting reads the same from the CLI, a provider call or
// a download. Internal to src/llm: the libraries above never see EngineError.
#pragma once

#include "base/status.h"
#include "engine/error.h"

namespace troupe::llm {

// kInvalidInput and kUnsupported: kInvalidArgument (a file, template or setting the user can fix:
// HTTP 400, exit 1); kIo: kUnavailable (the filesystem failed: 503, exit 2); kExhausted:
// kResourceExhausted (the KV cache budget is full for now: 429). The message is the
// engine's, which names the file and the byte offset, key, tensor or template line at fault.
Status StatusFromEngineError(const engine::EngineError& error);

}  // namespace troupe::llm
