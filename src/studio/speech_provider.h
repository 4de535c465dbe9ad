// Text to speech for voice messages: what a provider is asked (the text, a voice, a speed and an
// audio format) and what it gives back (the encoded audio, its MIME type and duration). Two
// providers: espeak-ng offline (espeak_speech.h) and an OpenAI-compatible `/v1/audio/speech`
// endpoint (openai_speech.h). The text stays the message's transcript; the audio is an addition.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace troupe::studio {

enum class AudioFormat {
  kOpus,  // Ogg Opus (RFC 7845): small, played by every browser; the default
  kMp3,   // only from providers that encode it (OpenAI-compatible endpoints)
  kWav,   // RIFF WAVE, 16-bit PCM: large, but any tool reads it
};

// "opus", "mp3", "wav": the names the CLI, the configuration and OpenAI's response_format use.
std::string_view AudioFormatName(AudioFormat format);
// "audio/ogg", "audio/mpeg", "audio/wav".
std::string_view AudioMimeType(AudioFormat format);
// The format of a name above; kInvalidArgument naming `field` for any other.
Result<AudioFormat> ParseAudioFormat(std::string_view name, const std::string& field = "format");

// Speed in words per minute, espeak-ng's own range; an OpenAI-compatible endpoint gets it as a
// factor of the normal rate (words_per_minute / 175).
inline constexpr int kMinWordsPerMinute = 80;
inline constexpr int kNormalWordsPerMinute = 175;
inline constexpr int kMaxWordsPerMinute = 450;
// The longest text one request may carry (a chat reply, not a book): about ten minutes of speech.
inline constexpr size_t kMaxSpeechTextBytes = 10'000;

struct SpeechRequest {
  std::string text;   // UTF-8, non-empty, at most kMaxSpeechTextBytes
  std::string voice;  // provider-specific ("en-us", "fr" for espeak-ng; "alloy" for OpenAI); "" = the default
  int words_per_minute = kNormalWordsPerMinute;  // kMinWordsPerMinute..kMaxWordsPerMinute
  AudioFormat format = AudioFormat::kOpus;
  // When set and it becomes true, the provider stops as soon as it can and returns kUnavailable.
  // It must outlive the call.
  const std::atomic<bool>* cancelled = nullptr;
};

struct SpeechAudio {
  std::string bytes;      // the encoded file, ready to store or serve
  std::string mime_type;  // AudioMimeType(format)
  AudioFormat format = AudioFormat::kOpus;
  int64_t duration_ms = 0;  // 0 when the format does not say (MP3)
  int sample_rate = 0;      // of the speech as synthesized (Opus itself always decodes at 48 kHz); 0 when unknown
};

// The text, speed and length rules every provider applies before doing any work; kInvalidArgument
// naming "text" or "speed".
Status CheckSpeechRequest(const SpeechRequest& request);

class SpeechProvider {
 public:
  virtual ~SpeechProvider() = default;

  // The audio of `request.text`. kInvalidArgument: an empty or too long text, a speed out of range,
  // a format the provider cannot produce; kNotFound: a voice the provider does not have;
  // kUnavailable: the provider cannot be reached or its data is missing, or the call was
  // cancelled; other codes as each provider's header says. Blocking: call it from a job thread,
  // never from an HTTP or event-loop thread. Thread-safe.
  virtual Result<SpeechAudio> Synthesize(const SpeechRequest& request) = 0;
};

}  // namespace troupe::studio
