// Chat templates from untrusted files: the input is the template source. It is parsed, and when
// it parses it is rendered over a fixed conversation with tools, under small limits so runaway
// templates stop quickly. Invariants: only EngineError escapes, its message names the template
// ("chat template ..."), and a second render of the same template gives the same text.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/chat_template.h"
#include "engine/error.h"

namespace {

using troupe::engine::ChatTemplate;
using troupe::engine::ChatTemplateInputs;
using troupe::engine::ChatTemplateLimits;
using troupe::engine::EngineError;

const ChatTemplateInputs& Inputs() {
  static const ChatTemplateInputs inputs = [] {
    ChatTemplateInputs made;
    made.messages = nlohmann::ordered_json::parse(R"([
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": "Weather in Zürich? 🌧"},
      {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Zürich"}}}]},
      {"role": "tool", "content": "{\"temperature\": 18}"},
      {"role": "assistant", "content": "<think>\nhm\n</think>\n\n18 degrees."}])");
    made.tools = nlohmann::ordered_json::parse(R"([{"type": "function", "function": {"name": "get_weather",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])");
    made.bos_token = "<s>";
    made.eos_token = "</s>";
    made.now = std::chrono::system_clock::time_point(std::chrono::seconds(1718452800));
    return made;
  }();
  return inputs;
}

void CheckMessage(const EngineError& error) {
  if (std::string_view(error.what()).rfind("chat template ", 0) != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view source(reinterpret_cast<const char*>(data), size);
  ChatTemplateLimits limits;
  limits.max_steps = 20'000;
  limits.max_output_bytes = 64 * 1024;
  limits.max_depth = 200;
  try {
    const ChatTemplate chat_template = ChatTemplate::Parse(source);
    std::string first;
    try {
      first = chat_template.Render(Inputs(), limits);
    } catch (const EngineError& error) {
      CheckMessage(error);
      return 0;
    }
    if (chat_template.Render(Inputs(), limits) != first) std::abort();
  } catch (const EngineError& error) {
    CheckMessage(error);
  }
  return 0;
}
