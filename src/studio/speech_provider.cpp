// The request rules and format names every speech provider shares.
#include "studio/speech_provider.h"

#include <algorithm>
#include <cctype>

namespace troupe::studio {

std::string_view AudioFormatName(AudioFormat format) {
  switch (format) {
    case AudioFormat::kOpus: return "opus";
    case AudioFormat::kMp3: return "mp3";
    case AudioFormat::kWav: return "wav";
  }
  return "opus";
}

std::string_view AudioMimeType(AudioFormat format) {
  switch (format) {
    case AudioFormat::kOpus: return "audio/ogg";
    case AudioFormat::kMp3: return "audio/mpeg";
    case AudioFormat::kWav: return "audio/wav";
  }
  return "application/octet-stream";
}

Result<AudioFormat> ParseAudioFormat(std::string_view name, const std::string& field) {
  for (AudioFormat format : {AudioFormat::kOpus, AudioFormat::kMp3, AudioFormat::kWav}) {
    if (name == AudioFormatName(format)) return format;
  }
  return InvalidArgument(field + ": expected opus, mp3 or wav (got '" + Excerpt(name) + "')", field);
}

Status CheckSpeechRequest(const SpeechRequest& request) {
  const bool blank = std::all_of(request.text.begin(), request.text.end(),
                                 [](unsigned char c) { return std::isspace(c) != 0; });
  if (blank) return InvalidArgument("text: there is nothing to say (the text is empty)", "text");
  if (request.text.size() > kMaxSpeechTextBytes) {
    return InvalidArgument("text: " + std::to_string(request.text.size()) + " bytes is more than the " +
                               std::to_string(kMaxSpeechTextBytes) + " a voice message may carry",
                           "text");
  }
  if (request.text.find('\0') != std::string::npos) {
    return InvalidArgument("text: holds a NUL character", "text");
  }
  if (request.words_per_minute < kMinWordsPerMinute || request.words_per_minute > kMaxWordsPerMinute) {
    return InvalidArgument("speed: " + std::to_string(request.words_per_minute) + " words per minute is outside " +
                               std::to_string(kMinWordsPerMinute) + ".." + std::to_string(kMaxWordsPerMinute),
                           "speed");
  }
  return Status::Ok();
}

}  // namespace troupe::studio
