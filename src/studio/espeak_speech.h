// The offline speech provider: espeak-ng, a formant synthesizer from Debian (libespeak-ng1 and
// espeak-ng-data). Robotic but instant, free and private; the default when no speech endpoint is
// configured. Voices are espeak-ng's languages ("en-us", "en-gb", "fr", "de", ...) or their names
// ("English (Great Britain)"); a character picks its voice and speed.
//
// Threads: espeak-ng keeps its state in globals, so every EspeakSpeech in the process shares one
// engine, initialized on first use and guarded by one mutex: calls are thread-safe and run one at
// a time (a long text holds the others back; run them on job threads). The data is looked for
// where espeak-ng looks by default (ESPEAK_DATA_PATH, else the Debian package's directory).
#pragma once

#include <string>
#include <vector>

#include "studio/audio_encoding.h"
#include "studio/speech_provider.h"

namespace troupe::studio {

class EspeakSpeech final : public SpeechProvider {
 public:
  static constexpr const char* kDefaultVoice = "en-us";

  // Opus or WAV (kInvalidArgument naming "format" for MP3); kNotFound naming "voice" for a voice
  // espeak-ng does not have; kUnavailable when espeak-ng's data cannot be loaded, or when
  // cancelled. The duration is exact: the PCM's length.
  Result<SpeechAudio> Synthesize(const SpeechRequest& request) override;

  // The speech as 16-bit mono PCM at espeak-ng's rate (22050 Hz), before any encoding; the same
  // errors as Synthesize but for the format.
  Result<PcmAudio> SynthesizePcm(const SpeechRequest& request);

  // The language codes of every installed voice ("af", "en-gb", "en-us", ...), sorted;
  // kUnavailable without data.
  static Result<std::vector<std::string>> Voices();
};

}  // namespace troupe::studio
