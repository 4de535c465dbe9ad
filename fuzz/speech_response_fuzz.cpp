// A speech endpoint's answer (studio/openai_speech.h, studio/audio_probe.h): any status and body
// gives audio or an error, never a crash; audio accepted is the body as it came, of the format
// asked for, with a duration that is not negative. Input: a format byte (opus, mp3, wav), a status
// byte (200, 400, 401, 429, 500, 302), then the body.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "studio/audio_probe.h"
#include "studio/openai_speech.h"

using namespace troupe::studio;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  constexpr std::array<AudioFormat, 3> kFormats = {AudioFormat::kOpus, AudioFormat::kMp3, AudioFormat::kWav};
  constexpr std::array<int, 6> kStatuses = {200, 400, 401, 429, 500, 302};
  const AudioFormat format = kFormats[data[0] % kFormats.size()];
  const int status = kStatuses[data[1] % kStatuses.size()];
  const std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);

  for (AudioFormat each : kFormats) {
    troupe::Result<AudioProbe> probe = ProbeAudio(body, each);
    if (probe.ok() && probe->duration_ms < 0) std::abort();
    if (!probe.ok() && (probe.status().field() != "audio" || probe.status().message().empty())) std::abort();
  }
  troupe::Result<SpeechAudio> audio = ReadSpeechResponse(status, body, format);
  if (audio.ok()) {
    if (status != 200 || audio->bytes != body || audio->format != format || audio->duration_ms < 0) std::abort();
    if (!ProbeAudio(body, format).ok()) std::abort();
  } else if (audio.status().message().empty()) {
    std::abort();
  }
  return 0;
}
