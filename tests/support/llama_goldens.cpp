#include "support/llama_goldens.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "support/temp_dir.h"

namespace troupe::testing {

namespace fs = std::filesystem;

std::vector<LlamaGolden> LlamaGoldens() {
  std::vector<LlamaGolden> goldens;
  for (const auto& entry : fs::directory_iterator(SharedDir() / "testdata/golden")) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    LlamaGolden golden{entry.path().stem().string(), nlohmann::json::parse(in), {}, false};
    const std::string file = golden.json["model_file"];
    golden.model = fs::exists(SharedDir() / "models" / file) ? SharedDir() / "models" / file
                                                              : SharedDir() / "models/synthetic" / file;
    // The README's tolerances: F32/F16 weights move 0.05 at most, quantized ones 0.6.
    golden.quantized = golden.stem != "stories260K" && golden.stem.find("F16") == std::string::npos;
    goldens.push_back(std::move(golden));
  }
  std::sort(goldens.begin(), goldens.end(),
            [](const LlamaGolden& a, const LlamaGolden& b) { return a.stem < b.stem; });
  EXPECT_EQ(goldens.size(), 7u);
  return goldens;
}

const nlohmann::json& GoldenPrompt(const nlohmann::json& golden, std::string_view name) {
  for (const nlohmann::json& prompt : golden["prompts"]) {
    if (prompt["name"] == name) return prompt;
  }
  throw std::runtime_error("no prompt " + std::string(name) + " in golden " + golden.value("model_file", "?"));
}

}  // namespace troupe::testing
