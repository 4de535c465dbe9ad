// A reply's voice messages and pictures, made after its parts are stored (reply_media_step.h).
#include "chat/reply_media_step.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "base/split_mix64.h"
#include "chat/macros.h"
#include "chat/turn_control.h"

namespace troupe::chat::internal {
namespace {

using nlohmann::json;

constexpr size_t kMaxPicturePromptBytes = 1000;
constexpr size_t kConversationLines = 4;
constexpr size_t kConversationLineBytes = 300;

// `text` cut to at most `limit` bytes, never inside a UTF-8 sequence.
std::string CutUtf8(std::string text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

void ReplaceAllIn(std::string& text, std::string_view token, const std::string& value) {
  for (size_t at = text.find(token); at != std::string::npos; at = text.find(token, at + value.size())) {
    text.replace(at, token.size(), value);
  }
}

// One medium to make: part `part` of the reply.
struct MediaTask {
  size_t part = 0;
  MediaKind kind = MediaKind::kVoice;
};

// Makes medium `task` of `message`, stores its file and lists it (or its error) in the message's
// metadata; returns the message as stored now and the medium's index, or the store's error.
Result<std::pair<store::Message, int>> MakeMedium(TurnContext& context, const Scene& scene, const Stage& stage,
                                                  const CardMediaDefaults& defaults, const store::Message& message,
                                                  MediaKind kind, const std::vector<store::Message>& history,
                                                  const std::atomic<bool>& cancelled) {
  json metadata = ParseObject(message.metadata_json);
  if (!metadata["media"].is_array()) metadata["media"] = json::array();
  const int index = static_cast<int>(metadata["media"].size());
  const int file = NextMediaFile(message.metadata_json);
  json entry = {{"kind", MediaKindName(kind)}, {"file", file}};
  Result<MediaContent> made = Status(StatusCode::kInternal, "no medium");
  if (kind == MediaKind::kVoice) {
    VoiceRequest request;
    request.text = message.content;
    request.voice = !stage.voice->voice.empty() ? stage.voice->voice : defaults.voice;
    request.words_per_minute = stage.voice->words_per_minute > 0 ? stage.voice->words_per_minute
                               : defaults.words_per_minute > 0   ? defaults.words_per_minute
                                                                 : 175;
    entry["voice"] = request.voice;
    request.cancelled = &cancelled;
    made = context.options.reply_media->Voice(request);
  } else {
    PictureRequest request;
    request.prompt = PicturePrompt(stage.pictures->prompt, defaults, scene.character.name, scene.user_name,
                                   message.content, history);
    request.negative_prompt = defaults.negative_prompt;
    request.character = &scene.character;
    request.seed = SplitMix64Finalize(static_cast<uint64_t>(message.id));
    entry["prompt"] = request.prompt;
    request.cancelled = &cancelled;
    made = context.options.reply_media->Picture(request);
  }
  if (made.ok()) {
    Result<std::filesystem::path> path =
        MediaFilePath(context.options.media_dir, message.conversation_id, message.id, file, made->mime_type);
    Status written = path.ok() ? WriteMediaFile(*path, made->bytes) : path.status();
    if (written.ok()) {
      entry["mime_type"] = made->mime_type;
      entry["bytes"] = made->bytes.size();
      if (kind == MediaKind::kVoice) entry["duration_ms"] = made->duration_ms;
    } else {
      made = written;
    }
  }
  if (!made.ok()) {
    spdlog::warn("conversation {}: the {} of message {} failed; the reply stays text: {}", message.conversation_id,
                 MediaKindName(kind), message.id, made.status().ToString());
    entry["error"] = {{"code", StatusCodeName(made.status().code())}, {"message", made.status().message()}};
  }
  metadata["media"].push_back(std::move(entry));
  store::MessagePatch patch;
  patch.metadata_json = metadata.dump();
  TROUPE_ASSIGN_OR_RETURN(store::Message patched, context.store.messages().Patch(message.id, patch));
  return std::make_pair(std::move(patched), index);
}

}  // namespace

CardMediaDefaults MediaDefaultsOf(std::string_view extensions_json) {
  CardMediaDefaults defaults;
  const json extensions = json::parse(extensions_json, nullptr, false);
  if (!extensions.is_object()) return defaults;
  const auto troupe = extensions.find("troupe");
  if (troupe == extensions.end() || !troupe->is_object()) return defaults;
  if (const auto voice = troupe->find("voice"); voice != troupe->end()) {
    if (voice->is_string()) {
      defaults.voice = voice->get<std::string>();
    } else if (voice->is_object()) {
      if (const auto name = voice->find("voice"); name != voice->end() && name->is_string()) {
        defaults.voice = name->get<std::string>();
      }
      if (const auto speed = voice->find("words_per_minute"); speed != voice->end() && speed->is_number_integer()) {
        const int64_t value = speed->get<int64_t>();
        if (value >= 80 && value <= 450) defaults.words_per_minute = static_cast<int>(value);
      }
    }
  }
  const auto text_at = [](const json& object, const char* key) {
    const auto found = object.find(key);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
  };
  defaults.image_prompt = text_at(*troupe, "image_prompt");
  if (const auto generated = troupe->find("generated"); generated != troupe->end() && generated->is_object()) {
    if (defaults.image_prompt.empty()) defaults.image_prompt = text_at(*generated, "image_prompt");
    defaults.negative_prompt = text_at(*generated, "negative_prompt");
  }
  return defaults;
}

std::string PicturePrompt(const std::string& stage_template, const CardMediaDefaults& defaults,
                          const std::string& char_name, const std::string& user_name, const std::string& message,
                          const std::vector<store::Message>& recent) {
  std::string prompt = stage_template.empty() ? "{{image_prompt}}. {{message}}" : stage_template;
  std::string conversation;
  const size_t first = recent.size() > kConversationLines ? recent.size() - kConversationLines : 0;
  for (size_t i = first; i < recent.size(); ++i) {
    const std::string& speaker = recent[i].role == store::MessageRole::kUser ? user_name : char_name;
    conversation += (conversation.empty() ? "" : "\n") + speaker + ": " +
                    CutUtf8(recent[i].content, kConversationLineBytes);
  }
  ReplaceAllIn(prompt, "{{image_prompt}}",
               defaults.image_prompt.empty() ? std::string("a picture {{char}} sends") : defaults.image_prompt);
  ReplaceAllIn(prompt, "{{message}}", CutUtf8(message, kMaxPicturePromptBytes));
  ReplaceAllIn(prompt, "{{conversation}}", conversation);
  return CutUtf8(ExpandMacros(prompt, {char_name, user_name}), kMaxPicturePromptBytes);
}

void AttachMedia(TurnContext& context, std::shared_ptr<const Scene> scene, const Stage* stage,
                 std::vector<store::Message> messages, std::vector<store::Message> history, TurnSink sink,
                 std::shared_ptr<TurnControl> control, std::function<void(std::vector<store::Message>)> done) {
  std::vector<MediaTask> tasks;
  // Without a directory the media have nowhere to be kept: replies stay text (the workers still
  // serve the studio's previews).
  if (context.media_workers && !context.options.media_dir.empty() && stage != nullptr && !control->cancelled()) {
    for (size_t part = 0; part < messages.size(); ++part) {
      const int64_t id = messages[part].id;
      if (stage->voice && MediaDrawn(stage->voice->share, id, kVoiceDrawSalt)) {
        tasks.push_back({part, MediaKind::kVoice});
      }
      if (stage->pictures && MediaDrawn(stage->pictures->share, id, kPictureDrawSalt)) {
        tasks.push_back({part, MediaKind::kPicture});
      }
    }
  }
  if (tasks.empty()) return done(std::move(messages));
  // The reply's media are made in order in one task, so their events come in order.
  struct Run {
    std::shared_ptr<const Scene> scene;
    const Stage* stage;
    std::vector<store::Message> messages;
    std::vector<store::Message> history;
    TurnSink sink;
    std::shared_ptr<TurnControl> control;
    std::function<void(std::vector<store::Message>)> done;
    std::vector<MediaTask> tasks;
  };
  auto state = std::make_shared<Run>(Run{std::move(scene), stage, std::move(messages), std::move(history),
                                         std::move(sink), std::move(control), std::move(done), std::move(tasks)});
  const bool posted = context.PostMedia([&context, state] {
    const CardMediaDefaults defaults = MediaDefaultsOf(state->scene->character.extensions_json);
    for (const MediaTask& task : state->tasks) {
      // A cancelled turn (the client left, shutdown) keeps its text and makes nothing more.
      if (state->control->cancelled()) break;
      store::Message& message = state->messages[task.part];
      Result<std::pair<store::Message, int>> made =
          MakeMedium(context, *state->scene, *state->stage, defaults, message, task.kind, state->history,
                     state->control->cancel_flag());
      if (!made.ok()) {
        spdlog::error("conversation {}: the {} of message {} was not recorded: {}", message.conversation_id,
                      MediaKindName(task.kind), message.id, made.status().ToString());
        continue;
      }
      message = made->first;
      Emit(state->sink, MediaEvent{static_cast<int>(task.part), made->second, made->first});
      // Open event streams (another tab, the agent console) show the message with its medium.
      if (context.options.on_message_stored) context.options.on_message_stored(state->scene->conversation, message);
    }
    context.Post([state] { state->done(std::move(state->messages)); });
  });
  if (!posted) {
    // Only while shutting down: the reply stays text.
    spdlog::warn("conversation {}: the media threads are stopping; the reply stays text", state->scene->conversation.id);
    state->done(std::move(state->messages));
  }
}

}  // namespace troupe::chat::internal
