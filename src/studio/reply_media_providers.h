// The studio's side of voice messages and pictures in replies: chat::ReplyMedia (chat/reply_media.h)
// over a SpeechProvider (espeak_speech.h, openai_speech.h) and an ImageProvider (avatar_provider.h,
// openai_images.h, a1111_images.h). The chat runtime calls it on its media threads; it only makes
// the bytes (the runtime stores them). Thread-safe, as the providers are.
#pragma once

#include <memory>

#include "chat/reply_media.h"
#include "studio/image_provider.h"
#include "studio/speech_provider.h"

namespace troupe::studio {

struct ReplyMediaOptions {
  AudioFormat format = AudioFormat::kOpus;  // of voice messages
  std::string default_voice;                // when the request names none ("": the provider's)
  int picture_size = 512;                   // square pictures, in pixels
};

// Voice: the request's text, voice (else default_voice) and speed, in `format`; the provider's
// errors as they are. Pictures: the prompt, negative prompt and seed, drawn of the sender's traits
// (TraitsOf, for the offline avatar); kInvalidArgument when the request names no character. Either
// provider may be null: that medium is then kUnavailable ("no speech provider configured").
std::shared_ptr<chat::ReplyMedia> MakeReplyMedia(std::unique_ptr<SpeechProvider> speech,
                                                 std::unique_ptr<ImageProvider> images, ReplyMediaOptions options = {});

}  // namespace troupe::studio
