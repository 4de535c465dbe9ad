// Feeds arbitrary bytes to the configuration loader as if they were a troupe.yaml file: it must
// answer with a config or an error, never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  troupe::Result<troupe::config::LoadedConfig> loaded = troupe::config::LoadFromYamlText(text, "fuzz.yaml");
  if (loaded.ok()) {
    // Whatever loads must render, and what renders must load again.
    const std::string rendered = troupe::config::Render(*loaded);
    troupe::Result<troupe::config::LoadedConfig> again =
        troupe::config::LoadFromYamlText(rendered, "rendered.yaml");
    if (!again.ok()) __builtin_trap();
  }
  return 0;
}
