// The engine model behind a LocalModel, for src/llm's own adapters (the local provider, sequences).
// Private to src/llm (the `_internal.h` suffix; scripts/check-layers refuses it elsewhere): the
// libraries above hold a LocalModel and never name an engine type.
#pragma once

#include <memory>

#include "engine/engine.h"
#include "llm/local_model.h"

namespace troupe::llm {

struct LocalModel::Impl {
  // Shared, not owned alone: each sequence and each local provider made from the model keeps it
  // alive, so a caller may drop its LocalModel while they still run.
  std::shared_ptr<engine::Model> model;
};

// The one way into a LocalModel's engine model (a friend of LocalModel).
class LocalModelAccess {
 public:
  static const std::shared_ptr<engine::Model>& EngineModel(const LocalModel& model) { return model.impl_->model; }
};

}  // namespace troupe::llm
