// A model from ../shared/models, loaded once per test binary and kept (tests share it read-only;
// Generate and the batch tests each make their own KV caches).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "support/temp_dir.h"

namespace troupe::engine {

inline Model& SharedModel(const std::string& relative) {
  static auto* models = new std::map<std::string, std::unique_ptr<Model>>;
  std::unique_ptr<Model>& model = (*models)[relative];
  if (!model) model = Model::Load(troupe::testing::SharedDir() / relative);
  return *model;
}

}  // namespace troupe::engine
