// The llama.cpp goldens in shared/testdata/golden (one JSON file per model: the rendered chat, its
// token ids, the logits and the greedy continuation llama.cpp produced), with the model each names.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace troupe::testing {

struct LlamaGolden {
  std::string stem;             // the file's name without .json, e.g. "stories260K"
  nlohmann::json json;
  std::filesystem::path model;  // under shared/models, or shared/models/synthetic
  bool quantized = false;       // the README's looser tolerance applies (not F32/F16 weights)
};

// Every golden, sorted by stem; fails the test unless all seven the README lists are there.
std::vector<LlamaGolden> LlamaGoldens();

// The prompt of a golden with this name; throws when the golden has none.
const nlohmann::json& GoldenPrompt(const nlohmann::json& golden, std::string_view name);

}  // namespace troupe::testing
