// Audio for the speech tests: a tone of known length, so durations can be checked exactly.
#pragma once

#include <cmath>
#include <cstdint>

#include "studio/audio_encoding.h"

// In the tests' shared namespace: a nested troupe::studio::testing would hide troupe::testing from
// the studio tests that share a unity build with this header.
namespace troupe::testing {

using studio::PcmAudio;

// `milliseconds` of a 440 Hz tone at half scale, mono.
inline PcmAudio ToneAudio(int sample_rate, int64_t milliseconds) {
  PcmAudio pcm;
  pcm.sample_rate = sample_rate;
  const int64_t count = sample_rate * milliseconds / 1000;
  pcm.samples.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const double phase = 2 * M_PI * 440.0 * static_cast<double>(i) / sample_rate;
    pcm.samples.push_back(static_cast<int16_t>(16000 * std::sin(phase)));
  }
  return pcm;
}

}  // namespace troupe::testing
