// Chat templates: the Jinja source a model carries in `tokenizer.chat_template`, which turns a
// conversation into the prompt text the model was trained on.
//
// ChatTemplate renders exactly as Hugging Face transformers' apply_chat_template does with
// Jinja2: trim_blocks and lstrip_blocks, the loop-controls extension (break, continue), an
// immutable sandbox (lists and dicts cannot be changed; namespace() attributes can), the globals
// raise_exception(message) and strftime_now(format), and a tojson filter that is Python's
// json.dumps with ensure_ascii=False. Values follow Python: 1.0 prints "1.0", True prints "True",
// dict keys keep their insertion order, and a missing variable or key is Jinja's default
// Undefined (prints as "", is false and empty, fails when used in arithmetic or looked into).
//
// What is not supported: include/extends/import/block, recursive loops, *args/**kwargs at call
// sites, printf-style `%` on strings, and filters no chat template uses (the parse fails naming
// them). Upper and lower case conversions change ASCII letters only.
//
// Templates come from downloaded files, so rendering is bounded: a step limit, an output size
// limit (which also bounds every string the template builds) and a nesting limit turn a runaway
// template into an error instead of a hang, memory exhaustion or a stack overflow.
//
// Thread safety: a ChatTemplate is immutable after Parse; Render may run on any number of threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace troupe::engine {

// ordered_json, because tojson must print objects in their original key order.
struct ChatTemplateInputs {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();  // [{role, content, tool_calls?}]
  nlohmann::ordered_json tools;  // a list of tool schemas, or null when there are none
  bool add_generation_prompt = true;
  std::string bos_token;  // each passed to the template only when non-empty
  std::string eos_token;
  nlohmann::ordered_json extra_context = nlohmann::ordered_json::object();  // more variables
  // The time strftime_now formats (local time); the system clock when absent.
  std::optional<std::chrono::system_clock::time_point> now;
};

struct ChatTemplateLimits {
  int64_t max_steps = 10'000'000;  // statements, expressions and items walked by builtins
  size_t max_output_bytes = 16u << 20;  // the rendered text, and any one string built on the way
  int max_depth = 500;  // nesting of statements, expressions and macro calls while rendering
};

class ChatTemplate {
 public:
  // Parses once. Throws EngineError(kInvalidInput) "chat template line L, column C: ..." on a
  // syntax error, EngineError(kUnsupported) for a Jinja feature outside the supported subset.
  static ChatTemplate Parse(std::string_view source);

  // Plain ChatML, for models that carry no template.
  static ChatTemplate ChatMl();

  // Renders the conversation. Throws EngineError(kInvalidInput) "chat template line L: ..." on a
  // runtime error (an undefined value used, a type error, a limit reached); when the template
  // calls raise_exception(message), the error says "chat template raised an error at line L:
  // message".
  std::string Render(const ChatTemplateInputs& inputs, const ChatTemplateLimits& limits = {}) const;

  const std::string& source() const;

  ~ChatTemplate();
  ChatTemplate(const ChatTemplate&);
  ChatTemplate& operator=(const ChatTemplate&);
  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;

 private:
  struct Program;
  explicit ChatTemplate(std::shared_ptr<const Program> program);

  // Shared: copies of a template share one immutable parse tree.
  std::shared_ptr<const Program> program_;
};

}  // namespace troupe::engine
