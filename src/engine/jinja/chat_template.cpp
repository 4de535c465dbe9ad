// ChatTemplate: the engine-facing edge of the Jinja interpreter. Runtime errors inside become
// EngineError here, with the line the renderer was executing.
#include "engine/chat_template.h"

#include "engine/error.h"
#include "engine/jinja/ast.h"
#include "engine/jinja/globals.h"
#include "engine/jinja/lexer.h"
#include "engine/jinja/parser.h"
#include "engine/jinja/renderer.h"
#include "engine/jinja/template_error.h"

namespace troupe::engine {

namespace {

// llama.cpp's and transformers' ChatML: no default system prompt.
constexpr std::string_view kChatMlSource =
    "{%- for message in messages -%}\n"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}\n"
    "{%- endfor -%}\n"
    "{%- if add_generation_prompt -%}\n"
    "{{- '<|im_start|>assistant\\n' -}}\n"
    "{%- endif -%}\n";

}  // namespace

struct ChatTemplate::Program {
  std::string source;
  jinja::Body body;
};

ChatTemplate::ChatTemplate(std::shared_ptr<const Program> program) : program_(std::move(program)) {}
ChatTemplate::~ChatTemplate() = default;
ChatTemplate::ChatTemplate(const ChatTemplate&) = default;
ChatTemplate& ChatTemplate::operator=(const ChatTemplate&) = default;
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;

ChatTemplate ChatTemplate::Parse(std::string_view source) {
  auto program = std::make_shared<Program>();
  program->source = std::string(source);
  program->body = jinja::Parse(jinja::Tokenize(source));
  return ChatTemplate(std::move(program));
}

ChatTemplate ChatTemplate::ChatMl() { return Parse(kChatMlSource); }

const std::string& ChatTemplate::source() const { return program_->source; }

std::string ChatTemplate::Render(const ChatTemplateInputs& inputs, const ChatTemplateLimits& limits) const {
  jinja::RenderLimits render_limits{limits.max_steps, limits.max_output_bytes, limits.max_depth};
  int line = 0;
  try {
    auto variables = jinja::GlobalFunctions(inputs.now.value_or(std::chrono::system_clock::now()));
    auto set = [&](const std::string& name, jinja::Value value) {
      for (auto& [existing, existing_value] : variables) {
        if (existing == name) {
          existing_value = std::move(value);
          return;
        }
      }
      variables.emplace_back(name, std::move(value));
    };
    set("messages", jinja::Value::FromJson(inputs.messages));
    set("tools", jinja::Value::FromJson(inputs.tools));
    set("documents", jinja::Value::None());
    set("add_generation_prompt", jinja::Value::Bool(inputs.add_generation_prompt));
    if (!inputs.bos_token.empty()) set("bos_token", jinja::Value::String(inputs.bos_token));
    if (!inputs.eos_token.empty()) set("eos_token", jinja::Value::String(inputs.eos_token));
    if (inputs.extra_context.is_object()) {
      for (const auto& [name, value] : inputs.extra_context.items()) set(name, jinja::Value::FromJson(value));
    }
    jinja::Renderer renderer(render_limits, std::move(variables));
    try {
      return renderer.Render(program_->body);
    } catch (const jinja::TemplateError&) {
      line = renderer.line();
      throw;
    }
  } catch (const jinja::RaisedByTemplate& raised) {
    ThrowInvalid("chat template raised an error at line " + std::to_string(line) + ": " + raised.what());
  } catch (const jinja::TemplateError& error) {
    ThrowInvalid(line > 0 ? "chat template line " + std::to_string(line) + ": " + error.what()
                          : std::string("chat template inputs: ") + error.what());
  }
}

}  // namespace troupe::engine
