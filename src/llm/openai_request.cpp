#include "llm/openai_request.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "llm/openai_provider.h"

namespace troupe::llm {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxStopStringsSent = 4;  // OpenAI refuses more; the rest are enforced by the provider

Json MessagesJson(const std::vector<ChatMessage>& messages) {
  Json out = Json::array();
  for (const ChatMessage& message : messages) {
    Json item = {{"role", message.role}};
    if (message.content.empty() && !message.tool_calls.empty()) {
      item["content"] = nullptr;
    } else {
      item["content"] = message.content;
    }
    if (!message.name.empty()) item["name"] = message.name;
    if (!message.tool_calls.empty()) {
      Json calls = Json::array();
      for (const ToolCall& call : message.tool_calls) {
        calls.push_back(
            {{"id", call.id}, {"type", "function"}, {"function", {{"name", call.name}, {"arguments", call.arguments_json}}}});
      }
      item["tool_calls"] = std::move(calls);
    }
    if (!message.tool_call_id.empty()) item["tool_call_id"] = message.tool_call_id;
    out.push_back(std::move(item));
  }
  return out;
}

void AddSampling(const Sampling& sampling, Json& body) {
  body["max_tokens"] = std::max(sampling.max_tokens, 1);
  if (sampling.temperature) body["temperature"] = *sampling.temperature;
  if (sampling.top_p) body["top_p"] = *sampling.top_p;
  if (sampling.frequency_penalty) body["frequency_penalty"] = *sampling.frequency_penalty;
  if (sampling.presence_penalty) body["presence_penalty"] = *sampling.presence_penalty;
  if (sampling.seed) body["seed"] = *sampling.seed;
  // Not in OpenAI's API (which refuses unknown fields), understood by llama.cpp, vLLM and Ollama:
  // sent only when asked for.
  if (sampling.top_k) body["top_k"] = *sampling.top_k;
  if (sampling.min_p) body["min_p"] = *sampling.min_p;
  if (sampling.repetition_penalty) body["repetition_penalty"] = *sampling.repetition_penalty;
}

Status AddTools(const ChatRequest& request, Json& body) {
  if (request.tools.empty()) return Status::Ok();
  Json tools = Json::array();
  for (size_t i = 0; i < request.tools.size(); ++i) {
    const ToolDefinition& tool = request.tools[i];
    Json parameters = Json::parse(tool.parameters_json, nullptr, /*allow_exceptions=*/false);
    if (parameters.is_discarded() || !parameters.is_object()) {
      return InvalidArgument("tool '" + tool.name + "': parameters are not a JSON object",
                             "tools[" + std::to_string(i) + "].parameters");
    }
    Json function = {{"name", tool.name}};
    if (!tool.description.empty()) function["description"] = tool.description;
    function["parameters"] = std::move(parameters);
    tools.push_back({{"type", "function"}, {"function", std::move(function)}});
  }
  body["tools"] = std::move(tools);
  if (request.tool_choice == "auto" || request.tool_choice == "none" || request.tool_choice == "required") {
    body["tool_choice"] = request.tool_choice;
  } else if (!request.tool_choice.empty()) {
    body["tool_choice"] = {{"type", "function"}, {"function", {{"name", request.tool_choice}}}};
  }
  return Status::Ok();
}

// OpenAI's response_format; a grammar has no OpenAI form and is refused.
Status AddResponseFormat(const ResponseFormat& format, Json& body) {
  switch (format.kind) {
    case ResponseFormat::Kind::kText:
      return Status::Ok();
    case ResponseFormat::Kind::kJsonObject:
      body["response_format"] = {{"type", "json_object"}};
      return Status::Ok();
    case ResponseFormat::Kind::kJsonSchema: {
      Json schema = Json::parse(format.schema_json, nullptr, /*allow_exceptions=*/false);
      if (schema.is_discarded()) return InvalidArgument("response_format: the schema is not JSON", "response_format");
      Json described = {{"name", format.name.empty() ? "reply" : format.name}, {"schema", std::move(schema)}};
      if (format.strict) described["strict"] = true;
      body["response_format"] = {{"type", "json_schema"}, {"json_schema", std::move(described)}};
      return Status::Ok();
    }
    case ResponseFormat::Kind::kGrammar:
      return InvalidArgument("response_format: a grammar needs the local engine; OpenAI-compatible endpoints take a JSON schema",
                             "response_format");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> OpenAiRequestBody(const ChatRequest& request, const std::string& model) {
  Json body = Json::object();
  if (!model.empty()) body["model"] = model;
  body["messages"] = MessagesJson(request.messages);
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  AddSampling(request.sampling, body);
  Json stops = Json::array();
  for (const std::string& stop : request.stop) {
    if (!stop.empty() && stops.size() < kMaxStopStringsSent) stops.push_back(stop);
  }
  if (!stops.empty()) body["stop"] = std::move(stops);
  TROUPE_RETURN_IF_ERROR(AddTools(request, body));
  TROUPE_RETURN_IF_ERROR(AddResponseFormat(request.response_format, body));
  try {
    return body.dump();
  } catch (const nlohmann::json::exception& error) {  // text that is not UTF-8
    return InvalidArgument(std::string("the request cannot be sent as JSON: ") + error.what(), "messages");
  }
}

std::vector<std::string> OpenAiRequestHeaders(const std::string& api_key, const std::string& api_version) {
  std::vector<std::string> headers{"Content-Type: application/json", "Accept: text/event-stream", "Expect:"};
  if (!api_key.empty()) headers.push_back(api_version.empty() ? "Authorization: Bearer " + api_key : "api-key: " + api_key);
  return headers;
}

int64_t EstimateChatTokens(const std::vector<ChatMessage>& messages) {
  int64_t total = 3;  // the reply's opening
  for (const ChatMessage& message : messages) {
    total += 4 + EstimateTokens(message.content) + EstimateTokens(message.name);
    for (const ToolCall& call : message.tool_calls) total += EstimateTokens(call.name) + EstimateTokens(call.arguments_json);
  }
  return total;
}

}  // namespace troupe::llm
