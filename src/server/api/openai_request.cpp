#include "server/api/openai_request.h"

#include <algorithm>
#include <optional>

namespace troupe::server::api {
namespace {

using nlohmann::json;

// OpenAI takes at most this many stop strings.
constexpr size_t kMaxStopStrings = 4;
// Larger values are clamped: no provider generates that much, and the cast stays in range.
constexpr int64_t kMaxTokensCap = 1 << 20;

Status Bad(const std::string& param, const std::string& message) {
  return Status(StatusCode::kInvalidArgument, message, param);
}

std::string Index(const std::string& base, size_t index) { return base + "[" + std::to_string(index) + "]"; }

// The member `name` of `object`, or null when absent (absent and null mean the same to OpenAI).
const json& Member(const json& object, const char* name) {
  static const json kNull;
  auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

bool IsString(const json& value, const char* name) { return Member(value, name).is_string(); }

std::string StringOr(const json& object, const char* name, std::string fallback = {}) {
  const json& value = Member(object, name);
  return value.is_string() ? value.get<std::string>() : fallback;
}

// A function or tool name as OpenAI allows it: letters, digits, '_' and '-', at most 64.
bool ValidFunctionName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// Message content: a string, or an array of text parts (joined); null when `optional`.
Result<std::string> ContentText(const json& content, const std::string& param, bool optional) {
  if (content.is_null()) {
    if (optional) return std::string();
    return Bad(param, param + " is required");
  }
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return Bad(param, param + " must be a string or an array of text parts");
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const json& part = content[i];
    if (!part.is_object() || !IsString(part, "type")) {
      return Bad(Index(param, i), "a content part is an object with a type");
    }
    const std::string type = part["type"].get<std::string>();
    // An assistant's refusal part is text the model wrote, like a text part.
    const char* field = type == "text" ? "text" : type == "refusal" ? "refusal" : nullptr;
    if (field == nullptr) {
      return Bad(Index(param, i), "content parts of type '" + Excerpt(type) + "' are not supported (text only)");
    }
    if (!IsString(part, field)) return Bad(Index(param, i) + "." + field, "a " + type + " part needs its text");
    text += part[field].get<std::string>();
  }
  return text;
}

Result<std::vector<llm::ToolCall>> ToolCalls(const json& calls, const std::string& param) {
  std::vector<llm::ToolCall> out;
  if (calls.is_null()) return out;
  if (!calls.is_array()) return Bad(param, param + " must be an array");
  for (size_t i = 0; i < calls.size(); ++i) {
    const std::string at = Index(param, i);
    const json& call = calls[i];
    if (!call.is_object() || !Member(call, "function").is_object()) {
      return Bad(at, "a tool call is {\"id\", \"type\": \"function\", \"function\": {\"name\", \"arguments\"}}");
    }
    const json& function = call["function"];
    if (!IsString(function, "name")) return Bad(at + ".function.name", "a tool call names its function");
    const json& arguments = Member(function, "arguments");
    if (!arguments.is_null() && !arguments.is_string()) {
      return Bad(at + ".function.arguments", "arguments are a string holding a JSON object");
    }
    out.push_back({StringOr(call, "id"), function["name"].get<std::string>(),
                   arguments.is_string() ? arguments.get<std::string>() : "{}"});
  }
  return out;
}

Result<llm::ChatMessage> ReadMessage(const json& item, const std::string& at) {
  if (!item.is_object()) return Bad(at, "each message is an object with a role");
  if (!IsString(item, "role")) return Bad(at + ".role", "each message needs a role");
  llm::ChatMessage message;
  message.role = item["role"].get<std::string>();
  if (message.role != "system" && message.role != "developer" && message.role != "user" &&
      message.role != "assistant" && message.role != "tool") {
    return Bad(at + ".role", "unknown role '" + Excerpt(message.role) + "' (system, developer, user, assistant or tool)");
  }
  const bool assistant = message.role == "assistant";
  TROUPE_ASSIGN_OR_RETURN(message.content, ContentText(Member(item, "content"), at + ".content", assistant));
  for (const char* field : {"name", "tool_call_id"}) {
    const json& value = Member(item, field);
    if (!value.is_null() && !value.is_string()) return Bad(at + "." + field, std::string(field) + " must be a string");
  }
  message.name = StringOr(item, "name");
  message.tool_call_id = StringOr(item, "tool_call_id");
  if (message.role == "tool" && message.tool_call_id.empty()) {
    return Bad(at + ".tool_call_id", "a tool message names the call it answers (tool_call_id)");
  }
  const json& calls = Member(item, "tool_calls");
  if (!calls.is_null() && !assistant) return Bad(at + ".tool_calls", "only assistant messages carry tool_calls");
  TROUPE_ASSIGN_OR_RETURN(message.tool_calls, ToolCalls(calls, at + ".tool_calls"));
  return message;
}

// An optional number within [low, high]; `exclusive_low` excludes low itself.
Result<std::optional<double>> Number(const json& body, const char* name, double low, double high,
                                     bool exclusive_low = false) {
  const json& value = Member(body, name);
  if (value.is_null()) return std::optional<double>();
  const bool in_range = value.is_number() && (exclusive_low ? value.get<double>() > low : value.get<double>() >= low) &&
                        value.get<double>() <= high;
  if (!in_range) {
    auto shown = [](double bound) {
      std::string text = std::to_string(bound);
      text.erase(text.find_last_not_of('0') + 1);
      if (text.back() == '.') text.pop_back();
      return text;
    };
    return Bad(name, std::string(name) + " must be a number " + (exclusive_low ? "above " : "from ") + shown(low) +
                         (exclusive_low ? " up to " : " to ") + shown(high));
  }
  return std::optional<double>(value.get<double>());
}

Status ReadSampling(const json& body, chat::CompletionRequest& request) {
  llm::Sampling& sampling = request.sampling;
  TROUPE_ASSIGN_OR_RETURN(sampling.temperature, Number(body, "temperature", 0, 2));
  TROUPE_ASSIGN_OR_RETURN(sampling.top_p, Number(body, "top_p", 0, 1));
  TROUPE_ASSIGN_OR_RETURN(sampling.frequency_penalty, Number(body, "frequency_penalty", -2, 2));
  TROUPE_ASSIGN_OR_RETURN(sampling.presence_penalty, Number(body, "presence_penalty", -2, 2));
  TROUPE_ASSIGN_OR_RETURN(sampling.min_p, Number(body, "min_p", 0, 1));
  TROUPE_ASSIGN_OR_RETURN(sampling.repetition_penalty, Number(body, "repetition_penalty", 0, 10, true));
  if (const json& top_k = Member(body, "top_k"); !top_k.is_null()) {
    if (!top_k.is_number_integer() || top_k.get<int64_t>() < 0 || top_k.get<int64_t>() > (1 << 20)) {
      return Bad("top_k", "top_k must be an integer from 0 (off)");
    }
    sampling.top_k = static_cast<int>(top_k.get<int64_t>());
  }
  // max_completion_tokens is the newer name; it wins when both are sent.
  for (const char* name : {"max_completion_tokens", "max_tokens"}) {
    const json& value = Member(body, name);
    if (value.is_null()) continue;
    if (!value.is_number_integer() || value.get<int64_t>() < 1) {
      return Bad(name, std::string(name) + " must be a positive integer");
    }
    sampling.max_tokens = static_cast<int>(std::min<int64_t>(value.get<int64_t>(), kMaxTokensCap));
    request.max_tokens_given = true;
    break;
  }
  if (const json& seed = Member(body, "seed"); !seed.is_null()) {
    if (!seed.is_number_integer()) return Bad("seed", "seed must be an integer");
    sampling.seed = seed.is_number_unsigned() ? seed.get<uint64_t>() : static_cast<uint64_t>(seed.get<int64_t>());
  }
  return Status();
}

Status ReadStop(const json& stop, std::vector<std::string>& out) {
  if (stop.is_null()) return Status();
  if (stop.is_string()) {
    out.push_back(stop.get<std::string>());
  } else if (stop.is_array() && stop.size() <= kMaxStopStrings) {
    for (const json& item : stop) {
      if (!item.is_string()) return Bad("stop", "stop must be a string or an array of up to 4 strings");
      out.push_back(item.get<std::string>());
    }
  } else {
    return Bad("stop", "stop must be a string or an array of up to 4 strings");
  }
  // An empty stop string would end every reply before it began; OpenAI ignores them too.
  out.erase(std::remove(out.begin(), out.end(), std::string()), out.end());
  return Status();
}

Status ReadTools(const json& body, chat::CompletionRequest& request) {
  const json& tools = Member(body, "tools");
  if (!tools.is_null()) {
    if (!tools.is_array()) return Bad("tools", "tools must be an array");
    for (size_t i = 0; i < tools.size(); ++i) {
      const std::string at = Index("tools", i);
      const json& tool = tools[i];
      if (!tool.is_object() || StringOr(tool, "type") != "function" || !Member(tool, "function").is_object()) {
        return Bad(at, "a tool is {\"type\": \"function\", \"function\": {\"name\", \"description\", \"parameters\"}}");
      }
      const json& function = tool["function"];
      const std::string name = StringOr(function, "name");
      if (!ValidFunctionName(name)) {
        return Bad(at + ".function.name", "a function name is 1 to 64 letters, digits, '_' or '-'");
      }
      const json& description = Member(function, "description");
      if (!description.is_null() && !description.is_string()) {
        return Bad(at + ".function.description", "description must be a string");
      }
      const json& parameters = Member(function, "parameters");
      if (!parameters.is_null() && !parameters.is_object()) {
        return Bad(at + ".function.parameters", "parameters must be a JSON Schema object");
      }
      llm::ToolDefinition definition;
      definition.name = name;
      definition.description = StringOr(function, "description");
      if (parameters.is_object()) {
        // The parser already refused text that is not UTF-8; `replace` only keeps dump() from throwing.
        definition.parameters_json = parameters.dump(-1, ' ', false, json::error_handler_t::replace);
      }
      request.tools.push_back(std::move(definition));
    }
  }
  const json& choice = Member(body, "tool_choice");
  if (choice.is_null()) return Status();
  std::string chosen;
  if (choice.is_string()) {
    chosen = choice.get<std::string>();
    if (chosen != "none" && chosen != "auto" && chosen != "required") {
      return Bad("tool_choice", "tool_choice is none, auto, required or {\"type\": \"function\", ...}");
    }
  } else if (choice.is_object() && Member(choice, "function").is_object() && IsString(choice["function"], "name")) {
    chosen = choice["function"]["name"].get<std::string>();
    const bool known = std::any_of(request.tools.begin(), request.tools.end(),
                                   [&](const llm::ToolDefinition& tool) { return tool.name == chosen; });
    if (!known) return Bad("tool_choice", "tool_choice names '" + Excerpt(chosen) + "', which is not among the tools");
  } else {
    return Bad("tool_choice", "tool_choice is none, auto, required or {\"type\": \"function\", ...}");
  }
  if (chosen == "required" && request.tools.empty()) {
    return Bad("tool_choice", "tool_choice 'required' needs tools");
  }
  request.tool_choice = chosen;
  return Status();
}

// OpenAI's response_format: {"type": "text"}, {"type": "json_object"}, or {"type": "json_schema",
// "json_schema": {"name", "schema", "strict"}}; Troupe's own {"type": "grammar", "grammar": TEXT}
// for the local engine. Whether the provider can enforce the schema is the provider's to say.
Status ReadResponseFormat(const json& body, chat::CompletionRequest& request) {
  const json& format = Member(body, "response_format");
  if (format.is_null()) return Status();
  if (!format.is_object()) return Bad("response_format", "response_format must be an object");
  const std::string type = StringOr(format, "type");
  llm::ResponseFormat& out = request.response_format;
  if (type == "text") {
    out.kind = llm::ResponseFormat::Kind::kText;
  } else if (type == "json_object") {
    out.kind = llm::ResponseFormat::Kind::kJsonObject;
  } else if (type == "json_schema") {
    const json& described = Member(format, "json_schema");
    if (!described.is_object()) return Bad("response_format.json_schema", "json_schema must be an object");
    const json& schema = Member(described, "schema");
    if (!schema.is_object() && !schema.is_boolean()) {
      return Bad("response_format.json_schema.schema", "json_schema.schema must be a JSON Schema object");
    }
    const json& strict = Member(described, "strict");
    if (!strict.is_null() && !strict.is_boolean()) return Bad("response_format.json_schema.strict", "strict must be true or false");
    out.kind = llm::ResponseFormat::Kind::kJsonSchema;
    out.name = StringOr(described, "name");
    out.schema_json = schema.dump();
    out.strict = strict.is_boolean() && strict.get<bool>();
  } else if (type == "grammar") {
    if (!IsString(format, "grammar")) return Bad("response_format.grammar", "grammar must be a string");
    out.kind = llm::ResponseFormat::Kind::kGrammar;
    out.grammar = format["grammar"].get<std::string>();
  } else {
    return Bad("response_format.type", "response_format's type is text, json_object, json_schema or grammar");
  }
  return Status();
}

// Fields that would change the answer's shape: refused rather than silently not honoured.
Status RefuseUnsupported(const json& body) {
  if (const json& n = Member(body, "n"); !n.is_null() && (!n.is_number_integer() || n.get<int64_t>() != 1)) {
    return Bad("n", "only n = 1 is supported");
  }
  if (const json& logprobs = Member(body, "logprobs"); !logprobs.is_null()) {
    if (!logprobs.is_boolean()) return Bad("logprobs", "logprobs must be true or false");
    if (logprobs.get<bool>()) return Bad("logprobs", "logprobs are not supported");
  }
  for (const char* name : {"user", "parallel_tool_calls"}) {
    const json& value = Member(body, name);
    const bool typed = std::string_view(name) == "user" ? value.is_string() : value.is_boolean();
    if (!value.is_null() && !typed) return Bad(name, std::string(name) + " has the wrong type");
  }
  return Status();
}

}  // namespace

Result<OpenAiChatRequest> ParseChatCompletionRequest(const json& body) {
  if (!body.is_object()) return Bad("", "the body must be a JSON object");
  OpenAiChatRequest parsed;
  chat::CompletionRequest& request = parsed.completion;
  if (!IsString(body, "model") || body["model"].get<std::string>().empty()) {
    return Bad("model", "model is required: a character's slug or id (GET /v1/models lists them)");
  }
  parsed.model = body["model"].get<std::string>();

  const json& messages = Member(body, "messages");
  if (!messages.is_array() || messages.empty()) return Bad("messages", "messages must be a non-empty array");
  for (size_t i = 0; i < messages.size(); ++i) {
    TROUPE_ASSIGN_OR_RETURN(llm::ChatMessage message, ReadMessage(messages[i], Index("messages", i)));
    request.messages.push_back(std::move(message));
  }
  if (Status status = RefuseUnsupported(body); !status.ok()) return status;
  if (Status status = ReadSampling(body, request); !status.ok()) return status;
  if (Status status = ReadStop(Member(body, "stop"), request.stop); !status.ok()) return status;
  if (Status status = ReadTools(body, request); !status.ok()) return status;
  if (Status status = ReadResponseFormat(body, request); !status.ok()) return status;

  if (const json& stream = Member(body, "stream"); !stream.is_null()) {
    if (!stream.is_boolean()) return Bad("stream", "stream must be true or false");
    parsed.stream = stream.get<bool>();
  }
  if (const json& options = Member(body, "stream_options"); !options.is_null()) {
    if (!options.is_object()) return Bad("stream_options", "stream_options must be an object");
    const json& include_usage = Member(options, "include_usage");
    if (!include_usage.is_null() && !include_usage.is_boolean()) {
      return Bad("stream_options.include_usage", "include_usage must be true or false");
    }
    parsed.include_usage = include_usage.is_boolean() && include_usage.get<bool>();
  }
  return parsed;
}

}  // namespace troupe::server::api
