// The local model `serve` and `chat` run in-process: model.path, or the downloaded default.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "config/config.h"
#include "engine/engine.h"

namespace troupe::cli {

// The model the engine runs in-process, or why there is none.
struct LocalModel {
  std::unique_ptr<engine::Model> model;
  std::string missing_hint;  // set when no model is loaded
};

// How to get a model, for logs and readiness when there is none.
std::string HowToGetAModel(const config::Config& config);

// Loads model.path, or the default catalog model when it was downloaded. A configured model that
// does not load is an error; no configured model is not (missing_hint says how to get one).
Result<LocalModel> LoadLocalModel(const config::Config& config);

}  // namespace troupe::cli
