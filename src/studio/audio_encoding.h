// Synthesized speech as a file: 16-bit mono PCM encoded as Ogg Opus (libopusenc, which resamples to
// Opus's 48 kHz) or as a RIFF WAVE. Pure functions of their input, thread-safe; the output is the
// same bytes for the same samples (the Ogg stream's serial number is fixed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "studio/speech_provider.h"

namespace troupe::studio {

struct PcmAudio {
  std::vector<int16_t> samples;  // mono
  int sample_rate = 0;           // Hz

  int64_t duration_ms() const {
    return sample_rate > 0 ? static_cast<int64_t>(samples.size()) * 1000 / sample_rate : 0;
  }
};

// Ogg Opus, mono, about 24 kbit/s (clear speech at a tenth of WAV's size). Its final granule
// position says the exact duration. kInvalidArgument for a sample rate outside 8..192 kHz or no
// samples; kInternal when the encoder fails.
Result<std::string> EncodeOggOpus(const PcmAudio& pcm);

// A 44-byte canonical WAVE header (PCM, 1 channel, 16 bits) and the samples, little-endian.
// kInvalidArgument for a sample rate outside 8..192 kHz or more than 4 GiB of data.
Result<std::string> EncodeWav(const PcmAudio& pcm);

// The audio in `format` with its MIME type and duration; kInvalidArgument naming "format" for MP3,
// which no encoder here produces.
Result<SpeechAudio> EncodeSpeech(const PcmAudio& pcm, AudioFormat format);

}  // namespace troupe::studio
