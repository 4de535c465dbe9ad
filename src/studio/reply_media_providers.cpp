// chat::ReplyMedia over the studio's speech and image providers (reply_media_providers.h).
#include "studio/reply_media_providers.h"

#include "studio/avatar.h"

namespace troupe::studio {
namespace {

class ProvidedReplyMedia final : public chat::ReplyMedia {
 public:
  ProvidedReplyMedia(std::unique_ptr<SpeechProvider> speech, std::unique_ptr<ImageProvider> images,
                     ReplyMediaOptions options)
      : speech_(std::move(speech)), images_(std::move(images)), options_(std::move(options)) {}

  Result<chat::MediaContent> Voice(const chat::VoiceRequest& request) override {
    if (!speech_) return Status(StatusCode::kUnavailable, "no speech provider is configured");
    SpeechRequest speech;
    speech.text = request.text;
    speech.voice = request.voice.empty() ? options_.default_voice : request.voice;
    speech.words_per_minute = request.words_per_minute;
    speech.format = options_.format;
    speech.cancelled = request.cancelled;
    TROUPE_ASSIGN_OR_RETURN(SpeechAudio audio, speech_->Synthesize(speech));
    return chat::MediaContent{std::move(audio.bytes), std::move(audio.mime_type), audio.duration_ms};
  }

  Result<chat::MediaContent> Picture(const chat::PictureRequest& request) override {
    if (!images_) return Status(StatusCode::kUnavailable, "no image provider is configured");
    if (request.character == nullptr) {
      return Status(StatusCode::kInvalidArgument, "a picture needs the character who sends it", "character");
    }
    ImageRequest image;
    image.prompt = request.prompt;
    image.negative_prompt = request.negative_prompt;
    image.width = options_.picture_size;
    image.height = options_.picture_size;
    image.seed = request.seed;
    image.subject = TraitsOf(*request.character);
    const std::atomic<bool> never{false};
    TROUPE_ASSIGN_OR_RETURN(GeneratedImage generated,
                            images_->Generate(image, request.cancelled != nullptr ? *request.cancelled : never));
    return chat::MediaContent{std::move(generated.bytes), std::move(generated.mime), 0};
  }

 private:
  const std::unique_ptr<SpeechProvider> speech_;
  const std::unique_ptr<ImageProvider> images_;
  const ReplyMediaOptions options_;
};

}  // namespace

std::shared_ptr<chat::ReplyMedia> MakeReplyMedia(std::unique_ptr<SpeechProvider> speech,
                                                 std::unique_ptr<ImageProvider> images, ReplyMediaOptions options) {
  // Shared: the runtime's options are copied, and every copy speaks through the one provider.
  return std::make_shared<ProvidedReplyMedia>(std::move(speech), std::move(images), std::move(options));
}

}  // namespace troupe::studio
