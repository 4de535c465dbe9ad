// The OpenAI-compatible surface: every published character is a model. GET /v1/models lists them
// (id = slug; requests may also name the numeric id), POST /v1/chat/completions answers as the
// character, streaming (`data:` chunks ending with `data: [DONE]`) or not, in OpenAI's shapes, so
// existing OpenAI clients can talk to characters. Every error on these routes, authentication and
// rate limiting included, is in OpenAI's shape {"error": {"message", "type", "param", "code"}}.
#include <atomic>
#include <charconv>
#include <chrono>
#include <memory>
#include <random>

#include <nlohmann/json.hpp>

#include "chat/completion.h"
#include "server/api/api_call.h"
#include "server/api/json_io.h"
#include "server/api/openai_request.h"
#include "server/api/provider_errors.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

json ErrorJson(const std::string& type, const std::string& message, const std::string& param, const std::string& code) {
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", param.empty() ? json(nullptr) : json(param)},
            {"code", code.empty() ? json(nullptr) : json(code)}}}};
}

Response OpenAiError(int status, const std::string& type, const std::string& message, const std::string& param = "",
                     const std::string& code = "") {
  return Response::Json(ErrorJson(type, message, param, code), status);
}

// A status met while reading the request or finding the model, as OpenAI reports it.
Response OpenAiErrorFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return OpenAiError(400, "invalid_request_error", status.message(), status.field());
    case StatusCode::kUnauthenticated:
      return OpenAiError(401, "invalid_request_error", status.message(), "", "invalid_api_key");
    case StatusCode::kPermissionDenied:
      return OpenAiError(403, "invalid_request_error", status.message(), "", "insufficient_permissions");
    case StatusCode::kNotFound:
      return OpenAiError(404, "invalid_request_error", status.message(), status.field(), "model_not_found");
    case StatusCode::kPayloadTooLarge:
      return OpenAiError(413, "invalid_request_error", status.message());
    case StatusCode::kResourceExhausted:
      return OpenAiError(429, "rate_limit_error", status.message(), "", "rate_limit_exceeded");
    case StatusCode::kUnavailable:
      return OpenAiError(503, "server_error", status.message());
    case StatusCode::kDeadlineExceeded:
      return OpenAiError(504, "server_error", status.message(), "", "timeout");
    default:
      return OpenAiError(500, "server_error", status.message());
  }
}

// A failure of the character's provider (or of finding it). The client's key and model are fine
// by now, so a provider's own 401/403/404 (a wrong key or model name in the server's
// configuration) is the server's trouble: 503, not something the client should fix.
Response ProviderFailure(const Status& failure, const ErrorAudience& audience) {
  const Status status = ForCaller(failure, audience);
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      if (status.field() == "context_length") {
        return OpenAiError(400, "invalid_request_error", status.message(), "messages", "context_length_exceeded");
      }
      return OpenAiErrorFor(status);
    case StatusCode::kResourceExhausted:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kUnavailable:
      return OpenAiErrorFor(status);
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
    case StatusCode::kNotFound:
      return OpenAiError(503, "server_error", status.message());
    default:
      return OpenAiError(500, "server_error", status.message());
  }
}

// The character named by `model`: a slug or a numeric id. Client keys see published ones only.
Result<store::Character> ModelCharacter(ApiCall& call, const std::string& model) {
  int64_t id = 0;
  const char* end = model.data() + model.size();
  const auto [parsed_to, error] = std::from_chars(model.data(), end, id);
  const bool numeric = !model.empty() && error == std::errc() && parsed_to == end;
  Result<store::Character> character =
      numeric ? call.store.characters().Get(id) : call.store.characters().GetBySlug(model);
  if (character.ok() && !character->published && call.as_client()) character = Status(StatusCode::kNotFound, "");
  if (!character.ok()) {
    if (character.status().code() != StatusCode::kNotFound) return character.status();
    return Status(StatusCode::kNotFound,
                  "The model '" + Excerpt(model) + "' does not exist (models are published characters: GET /v1/models lists them)",
                  "model");
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
    if (!page.ok()) return OpenAiErrorFor(page.status());
    for (const store::Character& character : page->items) data.push_back(ModelJson(character));
    query.page.cursor = page->next_cursor;
  } while (!query.page.cursor.empty());
  return Response::Json({{"object", "list"}, {"data", data}});
}

Response GetModel(ApiCall& call) {
  Result<store::Character> character = ModelCharacter(call, std::string(call.request.PathParam("model")));
  if (!character.ok()) return OpenAiErrorFor(character.status());
  return Response::Json(ModelJson(*character));
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
    json call = {{"id", calls[i].id},
                 {"type", "function"},
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

// What every chunk of one streamed completion shares.
struct ChunkHeader {
  std::string id;
  int64_t created = 0;
  std::string model;

  json Chunk(json choices) const {
    return {{"id", id},
            {"object", "chat.completion.chunk"},
            {"created", created},
            {"model", model},
            {"system_fingerprint", "troupe"},
            {"choices", std::move(choices)}};
  }
  json Delta(json delta, json finish_reason = nullptr) const {
    return Chunk(json::array({{{"index", 0},
                               {"delta", std::move(delta)},
                               {"logprobs", nullptr},
                               {"finish_reason", std::move(finish_reason)}}}));
  }
};

// The chunks of one completion as the provider streams them, then [DONE]. The call stops when the
// client leaves (the stream is cancelled). `slot` is the call's place under the runtime's limits,
// held until the call ends.
void StreamCompletion(SseStream stream, llm::ChatRequest chat, llm::Provider& provider, ChunkHeader header,
                      ErrorAudience audience, bool include_usage, std::shared_ptr<void> slot) {
  auto send = [stream, header](const json& value) mutable { stream.Send(SseEvent{"", "", value.dump()}); };
  send(header.Delta({{"role", "assistant"}, {"content", ""}}));
  llm::ChatCallbacks callbacks;
  callbacks.on_delta = [send, header](std::string_view text) mutable {
    if (!text.empty()) send(header.Delta({{"content", std::string(text)}}));
  };
  callbacks.on_done = [stream, send, header, audience, include_usage,
                       slot = std::move(slot)](Result<llm::ChatResult> result) mutable {
    if (!result.ok()) {
      // The status line went out with the first byte: the error travels as a data line, as
      // OpenAI-compatible servers send it (the openai libraries raise it as an APIError).
      stream.Send(SseEvent{"", "", ProviderFailure(result.status(), audience).body});
    } else {
      if (!result->tool_calls.empty()) send(header.Delta({{"tool_calls", ToolCallsJson(result->tool_calls, true)}}));
      send(header.Delta(json::object(), FinishReason(result->finish_reason)));
      if (include_usage) {
        json usage = header.Chunk(json::array());
        usage["usage"] = UsageJson(result->usage);
        send(usage);
      }
    }
    stream.Send(SseEvent{"", "", "[DONE]"});
    stream.Close();
  };
  std::shared_ptr<llm::ChatCall> call = provider.Start(std::move(chat), std::move(callbacks));
  stream.OnCancel([weak = std::weak_ptr<llm::ChatCall>(call)] {
    if (auto running = weak.lock()) running->Cancel();
  });
}

// The whole completion as one JSON body, once the provider is done.
Response CompletionBody(const Result<llm::ChatResult>& result, const ChunkHeader& header,
                        const ErrorAudience& audience) {
  if (!result.ok()) return ProviderFailure(result.status(), audience);
  json message = {{"role", "assistant"}, {"content", result->content}, {"refusal", nullptr}};
  if (!result->tool_calls.empty()) {
    message["tool_calls"] = ToolCallsJson(result->tool_calls, false);
    if (result->content.empty()) message["content"] = nullptr;
  }
  return Response::Json({{"id", header.id},
                         {"object", "chat.completion"},
                         {"created", header.created},
                         {"model", header.model},
                         {"system_fingerprint", "troupe"},
                         {"choices", json::array({{{"index", 0},
                                                   {"message", std::move(message)},
                                                   {"logprobs", nullptr},
                                                   {"finish_reason", FinishReason(result->finish_reason)}}})},
                         {"usage", UsageJson(result->usage)}});
}

Response ChatCompletions(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return OpenAiError(body.error().http_status, "invalid_request_error", body.error().message);
  Result<OpenAiChatRequest> parsed = ParseChatCompletionRequest(*body);
  if (!parsed.ok()) return OpenAiErrorFor(parsed.status());
  Result<store::Character> character = ModelCharacter(call, parsed->model);
  if (!character.ok()) return OpenAiErrorFor(character.status());
  if (!call.options.providers) {
    return OpenAiError(503, "server_error", "no language model is configured on this server");
  }
  const ErrorAudience audience{call.principal().HasScope(kScopeAdmin), call.request.request_id};
  Result<llm::Provider*> provider = call.options.providers(chat::ProviderNameFor(*character));
  if (!provider.ok()) {
    // An unknown or unloaded provider is the server's configuration, not the client's request.
    const Status shown = ForCaller(provider.status(), audience);
    if (shown.code() == StatusCode::kResourceExhausted) return OpenAiErrorFor(shown);
    return OpenAiError(503, "server_error", shown.message());
  }

  // A completion counts against the same limits as a conversation's turn (this node's, the
  // provider's); past them, 429 with Retry-After.
  std::shared_ptr<void> slot;
  if (call.options.runtime != nullptr) {
    Result<std::shared_ptr<void>> admitted = call.options.runtime->AdmitCall(0, (*provider)->info().name);
    if (!admitted.ok()) {
      Response busy = OpenAiErrorFor(admitted.status());
      if (admitted.status().code() == StatusCode::kResourceExhausted) {
        busy.WithHeader("Retry-After", std::to_string(call.options.runtime->limits().retry_after_seconds));
      }
      return busy;
    }
    slot = std::move(*admitted);
  }
  parsed->completion.character = &*character;
  Result<llm::ChatRequest> chat = chat::BuildCompletion(parsed->completion, **provider);
  if (!chat.ok()) return ProviderFailure(chat.status(), audience);

  ChunkHeader header;
  header.id = CompletionId();
  header.created =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  header.model = parsed->model;

  if (parsed->stream) {
    // The response (headers) goes out now; the provider's thread writes the chunks as they come.
    SseStream stream;
    StreamCompletion(stream, std::move(*chat), **provider, header, audience, parsed->include_usage, std::move(slot));
    return Response::EventStream(std::move(stream));
  }
  DeferredResponse pending;
  llm::ChatCallbacks callbacks;
  callbacks.on_done = [pending, header, audience, slot = std::move(slot)](Result<llm::ChatResult> result) mutable {
    pending.Complete(CompletionBody(result, header, audience));
  };
  (*provider)->Start(std::move(*chat), std::move(callbacks));
  return Response::Later(std::move(pending));
}

}  // namespace

void AddOpenAiRoutes(RouteTable& table) {
  const std::vector<std::string_view> callers = {kScopeStudio, kScopeAgent, kScopeClient};
  auto add = [&](ApiRoute route) {
    route.tag = "openai";
    route.scopes = callers;
    route.error_response = OpenAiErrorFor;
    table.push_back(std::move(route));
  };
  ApiRoute list;
  list.method = "GET";
  list.pattern = "/v1/models";
  list.operation_id = "listModels";
  list.summary = "OpenAI-compatible: every published character as a model (id = slug)";
  list.handler = ListModels;
  add(std::move(list));

  ApiRoute get;
  get.method = "GET";
  get.pattern = "/v1/models/{model}";
  get.operation_id = "getModel";
  get.summary = "OpenAI-compatible: one character as a model, by slug or id";
  get.handler = GetModel;
  add(std::move(get));

  ApiRoute completions;
  completions.method = "POST";
  completions.pattern = "/v1/chat/completions";
  completions.operation_id = "createChatCompletion";
  completions.summary =
      "OpenAI-compatible chat completion as the character named by `model`, streamed (stream: true) or not";
  completions.handler = ChatCompletions;
  add(std::move(completions));
}

}  // namespace troupe::server::api
