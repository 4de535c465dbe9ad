// /api/v1/studio/previews: the web studio's previews while a character is made, a greeting in the
// voice the character would speak with and a picture from its image prompt, made by the chat
// runtime's voice and picture providers (speech.*, images.*) on its media threads. The answer is
// the medium itself; nothing is stored.
#include <nlohmann/json.hpp>

#include "chat/runtime.h"
#include "server/api/api_call.h"
#include "server/api/json_io.h"
#include "server/http/json_body.h"
#include "store/records.h"

namespace troupe::server::api {
namespace {

constexpr size_t kMaxPreviewTextBytes = 2000;
constexpr size_t kMaxPicturePromptBytes = 1000;

Status PreviewsAvailable(const ApiCall& call) {
  if (call.options.runtime == nullptr) {
    return Status(StatusCode::kUnavailable, "previews need the chat runtime, which this server does not run");
  }
  return Status::Ok();
}

Status CheckLength(const std::string& text, size_t max_bytes, const char* field) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return InvalidArgument(std::string(field) + " must not be blank", field);
  }
  if (text.size() > max_bytes) {
    return InvalidArgument(std::string(field) + " is longer than " + std::to_string(max_bytes) + " bytes", field);
  }
  return Status::Ok();
}

// The medium as the response, or the provider's error.
chat::ChatRuntime::MediaDone AnswerWith(DeferredResponse pending) {
  return [pending](Result<chat::MediaContent> made) mutable {
    if (!made.ok()) return pending.Complete(Response::Error(made.status()));
    Response response;
    response.content_type = made->mime_type;
    response.body = std::move(made->bytes);
    if (made->duration_ms > 0) response.WithHeader("X-Duration-Ms", std::to_string(made->duration_ms));
    response.WithHeader("Cache-Control", "no-store");
    pending.Complete(std::move(response));
  };
}

Response PreviewVoice(ApiCall& call) {
  if (Status status = PreviewsAvailable(call); !status.ok()) return Response::Error(status);
  HttpResult<nlohmann::json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  chat::VoiceRequest request;
  request.text = reader.RequireString("text");
  request.voice = reader.OptionalString("voice").value_or("");
  request.words_per_minute = static_cast<int>(reader.OptionalInt("words_per_minute", 80, 450).value_or(175));
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  if (Status status = CheckLength(request.text, kMaxPreviewTextBytes, "text"); !status.ok()) {
    return Response::Error(status);
  }
  DeferredResponse pending;
  call.options.runtime->PreviewVoice(std::move(request), AnswerWith(pending));
  return Response::Later(std::move(pending));
}

// The sender the offline avatar draws from: what the wizard knows of the character so far.
Result<store::Character> SenderOf(JsonObjectReader& body) {
  store::Character character;
  const nlohmann::json* found = body.OptionalObject("character");
  if (found == nullptr) return character;
  JsonObjectReader reader(*found, body.FieldPath("character"));
  character.name = reader.OptionalString("name").value_or("");
  character.description = reader.OptionalString("description").value_or("");
  character.personality = reader.OptionalString("personality").value_or("");
  if (const nlohmann::json* tags = reader.OptionalArray("tags")) {
    for (const nlohmann::json& tag : *tags) {
      if (!tag.is_string()) return InvalidArgument("character.tags must hold strings", "character.tags");
      character.tags.push_back(tag.get<std::string>());
    }
  }
  TROUPE_RETURN_IF_ERROR(reader.Finish());
  return character;
}

Response PreviewPicture(ApiCall& call) {
  if (Status status = PreviewsAvailable(call); !status.ok()) return Response::Error(status);
  HttpResult<nlohmann::json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  Result<store::Character> sender = SenderOf(reader);
  if (!sender.ok()) return Response::Error(sender.status());
  chat::PictureRequest request;
  request.prompt = reader.RequireString("prompt");
  request.negative_prompt = reader.OptionalString("negative_prompt").value_or("");
  request.seed = static_cast<uint64_t>(reader.OptionalInt("seed", 0).value_or(1));
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  if (Status status = CheckLength(request.prompt, kMaxPicturePromptBytes, "prompt"); !status.ok()) {
    return Response::Error(status);
  }
  DeferredResponse pending;
  call.options.runtime->PreviewPicture(std::move(request), std::move(*sender), AnswerWith(pending));
  return Response::Later(std::move(pending));
}

}  // namespace

void AddStudioPreviewRoutes(RouteTable& table) {
  const std::vector<std::string_view> studio = {kScopeStudio};
  table.push_back({"POST", "/api/v1/studio/previews/voice", "previewVoice", "studio",
                   "Speak a text as a voice message would be (speech.* settings): the audio itself (audio/ogg or "
                   "audio/wav, its length in X-Duration-Ms); nothing is stored",
                   studio, false, {}, "VoicePreview", "", false, 200, PreviewVoice});
  table.push_back({"POST", "/api/v1/studio/previews/picture", "previewPicture", "studio",
                   "Draw a picture as a reply's would be (images.* settings), of the character described: the image "
                   "itself (image/png, image/jpeg or image/webp); nothing is stored",
                   studio, false, {}, "PicturePreview", "", false, 200, PreviewPicture});
}

}  // namespace troupe::server::api
