// The OpenAI-compatible surface: every published character is a model. GET /v1/models lists them
// (id = slug; requests may also name the numeric id), POST /v1/chat/completions answers as the
// character, streaming (`data:` chunks ending with `data: [DONE]`) or not, exactly in OpenAI's
// shapes, so existing OpenAI clients can talk to characters. Errors on these routes use OpenAI's
// error shape; authentication failures keep the API's (both carry error.message). Unknown request
// fields are ignored, as OpenAI-compatible servers do, so newer clients keep working.
#include <atomic>
#include <chrono>
#include <memory>
#include <random>

#include <nlohmann/json.hpp>

#include "chat/completion.h"
#include "server/api/api_call.h"
#include "server/api/json_io.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

Response OpenAiError(int status, const std::string& type, const std::string& message, const std::string& param = "",
                     const std::string& code = "") {
  json error = {{"message", message},
                {"type", type},
                {"param", param.empty() ? json(nullptr) : json(param)},
                {"code", code.empty() ? json(nullptr) : json(code)}};
  Response response = Response::Json(json{{"error", error}}, status);
  return response;
}

Response OpenAiError(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return OpenAiError(400, "invalid_request_error", status.message(), status.field());
    case StatusCode::kNotFound:
      return OpenAiError(404, "invalid_request_error", status.message(), status.field(), "model_not_found");
    case StatusCode::kResourceExhausted:
      return OpenAiError(429, "rate_limit_error", status.message());
    case StatusCode::kUnavailable:
      return OpenAiError(503, "server_error", status.message());
    case StatusCode::kDeadlineExceeded:
      return OpenAiError(504, "server_error", status.message());
    default:
      return OpenAiError(500, "server_error", status.message());
  }
}

Status Bad(const std::string& param, const std::string& message) {
  return Status(StatusCode::kInvalidArgument, message, param);
}

// The character named by `model`: a slug or a numeric id. Client keys see published ones only.
Result<store::Character> ModelCharacter(ApiCall& call, const std::string& model) {
  const bool numeric = !model.empty() && model.find_first_not_of("0123456789") == std::string::npos;
  Result<store::Character> character =
      numeric ? call.store.characters().Get(std::stoll(model)) : call.store.characters().GetBySlug(model);
  if (character.ok() && (!character->published && call.as_client())) character = Status(StatusCode::kNotFound, "");
  if (!character.ok()) {
    if (character.status().code() != StatusCode::kNotFound) return character.status();
    return Status(StatusCode::kNotFound, "The model '" + model + "' does not exist (models are published characters: "
                                         "GET /v1/models lists them)", "model");
  }
  return character;
}

json ModelJson(const store::Character& character) {
  return {{"id", character.slug}, {"object", "model"}, {"created", character.created_at / 1000}, {"owned_by", "troupe"}};
}

Response ListModels(ApiCall& call) {
  json data = json::array();
  store::CharacterQuery query;
  query.published = true;
  query.page.limit = 500;
  do {
    Result<store::Page<store::Character>> page = call.store.characters().List(query);
    if (!page.ok()) return OpenAiError(page.status());
    for (const store::Character& character : page->items) data.push_back(ModelJson(character));
    query.page.cursor = page->next_cursor;
  } while (!query.page.cursor.empty());
  return Response::Json({{"object", "list"}, {"data", data}});
}

Response GetModel(ApiCall& call) {
  Result<store::Character> character = ModelCharacter(call, std::string(call.request.PathParam("model")));
  if (!character.ok()) return OpenAiError(character.status());
  return Response::Json(ModelJson(*character));
}

std::string Text(const json& content, const std::string& param, Status& error) {
  if (content.is_null()) return "";
  if (content.is_string()) return content.get<std::string>();
  if (content.is_array()) {
    std::string text;
    for (size_t i = 0; i < content.size(); ++i) {
      const json& part = content[i];
      if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string()) {
        error = Bad(param + "[" + std::to_string(i) + "]", "only text content parts are supported");
        return "";
      }
      text += part["text"].get<std::string>();
    }
    return text;
  }
  error = Bad(param, "content must be a string or an array of text parts");
  return "";
}

struct Parsed {
  chat::CompletionRequest completion;
  std::string model;
  bool stream = false;
  bool include_usage = false;
};

Result<Parsed> ParseRequest(const json& body) {
  Parsed parsed;
  chat::CompletionRequest& request = parsed.completion;
  auto model = body.find("model");
  if (model == body.end() || !model->is_string()) return Bad("model", "model is required (a character's slug or id)");
  parsed.model = model->get<std::string>();

  auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array() || messages->empty()) {
    return Bad("messages", "messages must be a non-empty array");
  }
  for (size_t i = 0; i < messages->size(); ++i) {
    const json& item = (*messages)[i];
    const std::string at = "messages[" + std::to_string(i) + "]";
    if (!item.is_object() || !item.contains("role") || !item["role"].is_string()) {
      return Bad(at + ".role", "each message needs a role");
    }
    llm::ChatMessage message;
    message.role = item["role"].get<std::string>();
    if (message.role != "system" && message.role != "developer" && message.role != "user" &&
        message.role != "assistant" && message.role != "tool") {
      return Bad(at + ".role", "unknown role '" + message.role + "'");
    }
    Status error;
    message.content = Text(item.value("content", json()), at + ".content", error);
    if (!error.ok()) return error;
    if (item.contains("name") && item["name"].is_string()) message.name = item["name"].get<std::string>();
    if (item.contains("tool_call_id") && item["tool_call_id"].is_string()) {
      message.tool_call_id = item["tool_call_id"].get<std::string>();
    }
    if (auto calls = item.find("tool_calls"); calls != item.end() && calls->is_array()) {
      for (size_t c = 0; c < calls->size(); ++c) {
        const json& call = (*calls)[c];
        if (!call.is_object() || !call.contains("function") || !call["function"].is_object()) {
          return Bad(at + ".tool_calls[" + std::to_string(c) + "]", "a tool call needs a function");
        }
        const json& function = call["function"];
        message.tool_calls.push_back({call.value("id", ""), function.value("name", ""),
                                      function.contains("arguments") && function["arguments"].is_string()
                                          ? function["arguments"].get<std::string>()
                                          : "{}"});
      }
    }
    request.messages.push_back(std::move(message));
  }

  auto number = [&](const char* name, double low, double high) -> Result<std::optional<double>> {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return std::optional<double>();
    if (!it->is_number() || it->get<double>() < low || it->get<double>() > high) {
      return Bad(name, std::string(name) + " must be a number from " + std::to_string(low).substr(0, 4) + " to " +
                           std::to_string(high).substr(0, 4));
    }
    return std::optional<double>(it->get<double>());
  };
  TROUPE_ASSIGN_OR_RETURN(request.sampling.temperature, number("temperature", 0, 2));
  TROUPE_ASSIGN_OR_RETURN(request.sampling.top_p, number("top_p", 0, 1));
  TROUPE_ASSIGN_OR_RETURN(request.sampling.frequency_penalty, number("frequency_penalty", -2, 2));
  TROUPE_ASSIGN_OR_RETURN(request.sampling.presence_penalty, number("presence_penalty", -2, 2));
  for (const char* name : {"max_completion_tokens", "max_tokens"}) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_number_integer() || it->get<int64_t>() < 1) return Bad(name, std::string(name) + " must be a positive integer");
    request.sampling.max_tokens = static_cast<int>(std::min<int64_t>(it->get<int64_t>(), 1 << 20));
    request.max_tokens_given = true;
    break;
  }
  if (auto seed = body.find("seed"); seed != body.end() && !seed->is_null()) {
    if (!seed->is_number_integer()) return Bad("seed", "seed must be an integer");
    request.sampling.seed = static_cast<uint64_t>(seed->get<int64_t>());
  }
  if (auto n = body.find("n"); n != body.end() && !n->is_null() && (!n->is_number_integer() || n->get<int64_t>() != 1)) {
    return Bad("n", "only n = 1 is supported");
  }
  if (auto stop = body.find("stop"); stop != body.end() && !stop->is_null()) {
    if (stop->is_string()) {
      request.stop.push_back(stop->get<std::string>());
    } else if (stop->is_array() && stop->size() <= 4) {
      for (const json& item : *stop) {
        if (!item.is_string()) return Bad("stop", "stop must be a string or up to 4 strings");
        request.stop.push_back(item.get<std::string>());
      }
    } else {
      return Bad("stop", "stop must be a string or up to 4 strings");
    }
  }
  if (auto tools = body.find("tools"); tools != body.end() && !tools->is_null()) {
    if (!tools->is_array()) return Bad("tools", "tools must be an array");
    for (size_t i = 0; i < tools->size(); ++i) {
      const json& tool = (*tools)[i];
      if (!tool.is_object() || tool.value("type", "") != "function" || !tool.contains("function") ||
          !tool["function"].is_object() || !tool["function"].contains("name") || !tool["function"]["name"].is_string()) {
        return Bad("tools[" + std::to_string(i) + "]", "a tool is {\"type\": \"function\", \"function\": {\"name\": ...}}");
      }
      const json& function = tool["function"];
      request.tools.push_back({function["name"].get<std::string>(), function.value("description", ""),
                               function.contains("parameters") ? function["parameters"].dump()
                                                               : "{\"type\":\"object\",\"properties\":{}}"});
    }
  }
  if (auto choice = body.find("tool_choice"); choice != body.end() && !choice->is_null()) {
    if (choice->is_string()) {
      request.tool_choice = choice->get<std::string>();
    } else if (choice->is_object() && choice->contains("function") && (*choice)["function"].is_object()) {
      request.tool_choice = (*choice)["function"].value("name", "");
    } else {
      return Bad("tool_choice", "tool_choice must be none, auto, required or {\"type\":\"function\",...}");
    }
  }
  if (auto stream = body.find("stream"); stream != body.end() && !stream->is_null()) {
    if (!stream->is_boolean()) return Bad("stream", "stream must be true or false");
    parsed.stream = stream->get<bool>();
  }
  if (auto options = body.find("stream_options"); options != body.end() && options->is_object()) {
    parsed.include_usage = options->value("include_usage", false);
  }
  return parsed;
}

std::string CompletionId() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string id = "chatcmpl-";
  for (int i = 0; i < 24; ++i) id += kAlphabet[random() % (sizeof(kAlphabet) - 1)];
  return id;
}

json ToolCallsJson(const std::vector<llm::ToolCall>& calls, bool with_index) {
  json out = json::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    json call = {{"id", calls[i].id}, {"type", "function"},
                 {"function", {{"name", calls[i].name}, {"arguments", calls[i].arguments_json}}}};
    if (with_index) call["index"] = i;
    out.push_back(std::move(call));
  }
  return out;
}

std::string FinishReason(llm::FinishReason reason) {
  // A cancelled request only happens when the client left; "stop" is what OpenAI would say.
  return reason == llm::FinishReason::kCancelled ? "stop" : std::string(llm::ToString(reason));
}

json UsageJson(const llm::Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
}

Response ChatCompletions(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return OpenAiError(400, "invalid_request_error", body.error().message);
  Result<Parsed> parsed = ParseRequest(*body);
  if (!parsed.ok()) return OpenAiError(parsed.status());
  Result<store::Character> character = ModelCharacter(call, parsed->model);
  if (!character.ok()) return OpenAiError(character.status());
  if (!call.options.providers) return OpenAiError(503, "server_error", "no language model is configured on this server");
  Result<llm::Provider*> provider = call.options.providers(chat::ProviderNameFor(*character));
  if (!provider.ok()) return OpenAiError(provider.status());

  const std::string id = CompletionId();
  const int64_t created = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  auto shared_character = std::make_shared<store::Character>(std::move(*character));
  auto request = std::make_shared<Parsed>(std::move(*parsed));
  request->completion.character = shared_character.get();

  if (!request->stream) {
    // This handler already runs on a background thread (the route is blocking).
    Result<llm::ChatResult> result = chat::CompleteAsCharacter(request->completion, **provider, {});
    if (!result.ok()) return OpenAiError(result.status());
    json message = {{"role", "assistant"}, {"content", result->content}};
    if (!result->tool_calls.empty()) {
      message["tool_calls"] = ToolCallsJson(result->tool_calls, false);
      if (result->content.empty()) message["content"] = nullptr;
    }
    return Response::Json({{"id", id},
                           {"object", "chat.completion"},
                           {"created", created},
                           {"model", request->model},
                           {"system_fingerprint", "troupe"},
                           {"choices", json::array({{{"index", 0},
                                                     {"message", message},
                                                     {"logprobs", nullptr},
                                                     {"finish_reason", FinishReason(result->finish_reason)}}})},
                           {"usage", UsageJson(result->usage)}});
  }

  SseStream stream;
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  stream.OnCancel([cancel] { cancel->store(true); });
  request->completion.cancel = cancel.get();
  llm::Provider* chosen = *provider;
  auto chunk = [id, created, model = request->model](json delta, json finish_reason) {
    return json{{"id", id},
                {"object", "chat.completion.chunk"},
                {"created", created},
                {"model", model},
                {"system_fingerprint", "troupe"},
                {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr},
                                          {"finish_reason", std::move(finish_reason)}}})}};
  };
  const bool posted = call.options.run_in_background([stream, cancel, request, shared_character, chosen, chunk, id,
                                                      created]() mutable {
    auto send = [&stream](const json& value) { stream.Send(SseEvent{"", "", value.dump()}); };
    send(chunk({{"role", "assistant"}, {"content", ""}}, nullptr));
    llm::ChatCallbacks callbacks;
    callbacks.on_delta = [&](std::string_view text) { send(chunk({{"content", std::string(text)}}, nullptr)); };
    Result<llm::ChatResult> result = chat::CompleteAsCharacter(request->completion, *chosen, callbacks);
    if (!result.ok()) {
      // Headers are gone: the error travels as a chunk, as OpenAI-compatible servers do.
      const Response error = OpenAiError(result.status());
      stream.Send(SseEvent{"", "", error.body});
    } else {
      if (!result->tool_calls.empty()) send(chunk({{"tool_calls", ToolCallsJson(result->tool_calls, true)}}, nullptr));
      send(chunk(json::object(), FinishReason(result->finish_reason)));
      if (request->include_usage) {
        send({{"id", id},
              {"object", "chat.completion.chunk"},
              {"created", created},
              {"model", request->model},
              {"system_fingerprint", "troupe"},
              {"choices", json::array()},
              {"usage", UsageJson(result->usage)}});
      }
    }
    stream.Send(SseEvent{"", "", "[DONE]"});
    stream.Close();
  });
  if (!posted) {
    stream.Close();
    Response busy = OpenAiError(429, "rate_limit_error", "every worker is busy; retry in a few seconds");
    busy.WithHeader("Retry-After", "2");
    return busy;
  }
  return Response::EventStream(std::move(stream));
}

}  // namespace

void AddOpenAiRoutes(RouteTable& table) {
  const std::vector<std::string_view> callers = {kScopeStudio, kScopeAgent, kScopeClient};
  table.push_back({"GET", "/v1/models", "listModels", "openai",
                   "OpenAI-compatible: every published character as a model (id = slug)", callers, false, {}, "",
                   "", false, 200, ListModels});
  table.push_back({"GET", "/v1/models/{model}", "getModel", "openai",
                   "OpenAI-compatible: one character as a model, by slug or id", callers, false, {}, "", "", false,
                   200, GetModel});
  ApiRoute completions{"POST", "/v1/chat/completions", "createChatCompletion", "openai",
                       "OpenAI-compatible chat completion as the character named by `model`, streamed "
                       "(stream: true) or not",
                       callers, false, {}, "", "", false, 200, ChatCompletions};
  completions.blocking = true;
  table.push_back(std::move(completions));
}

}  // namespace troupe::server::api
