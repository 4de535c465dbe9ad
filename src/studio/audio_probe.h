// Checks audio that came from outside (a speech endpoint's answer) before it is stored or served:
// the bytes must be a file of the format asked for, and where the format says its length (Ogg
// Opus's final granule position, WAVE's data size) the duration is read. Every length and offset
// is checked against the bytes left; pure, thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "studio/speech_provider.h"

namespace troupe::studio {

struct AudioProbe {
  int64_t duration_ms = 0;  // 0 when the format does not say (MP3)
  int sample_rate = 0;      // the input rate an Opus header records, WAVE's rate; 0 for MP3
  int channels = 0;         // 0 for MP3
};

// kInvalidArgument naming "audio", with the byte offset, when `bytes` are not `expected`: Ogg Opus
// needs the OggS capture pattern, an OpusHead first packet, OpusTags after it and consistent pages;
// WAVE a RIFF/WAVE header with a PCM "fmt " chunk and a "data" chunk; MP3 an ID3 tag or an MPEG
// audio frame sync at the start.
Result<AudioProbe> ProbeAudio(std::string_view bytes, AudioFormat expected);

}  // namespace troupe::studio
