// espeak-ng in synchronous mode: the synth callback collects 16-bit PCM while espeak_ng_Synthesize
// runs on the caller's thread. espeak-ng's globals (the voice, the rate, the callback) are why one
// mutex guards every use.
#include "studio/espeak_speech.h"

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>

namespace troupe::studio {
namespace {

std::mutex& EspeakMutex() {
  static std::mutex mutex;
  return mutex;
}

// What the synth callback fills: set for the length of one synthesis, under EspeakMutex().
struct EspeakCollector {
  std::vector<int16_t>* samples = nullptr;
  const std::atomic<bool>* cancelled = nullptr;
  bool stopped = false;
};
EspeakCollector* espeak_collector = nullptr;  // guarded by EspeakMutex()

int EspeakCollect(short* wave, int count, espeak_EVENT*) {
  EspeakCollector* collector = espeak_collector;
  if (collector == nullptr) return 1;
  if (collector->cancelled != nullptr && collector->cancelled->load()) {
    collector->stopped = true;
    return 1;  // espeak-ng stops synthesizing
  }
  if (wave != nullptr && count > 0) collector->samples->insert(collector->samples->end(), wave, wave + count);
  return 0;
}

std::string EspeakMessage(espeak_ng_STATUS status) {
  char text[512] = "";
  espeak_ng_GetStatusCodeMessage(status, text, sizeof text);
  return text;
}

std::string EspeakLower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The language codes of one voice: espeak-ng packs them as (priority byte, NUL-terminated code)
// pairs ending with a zero priority.
std::vector<std::string> EspeakLanguagesOf(const espeak_VOICE& voice) {
  std::vector<std::string> codes;
  for (const char* at = voice.languages; at != nullptr && *at != 0;) {
    const std::string code(at + 1);
    codes.push_back(code);
    at += 1 + code.size() + 1;
  }
  return codes;
}

std::vector<const espeak_VOICE*> EspeakInstalledVoices() {
  std::vector<const espeak_VOICE*> voices;
  for (const espeak_VOICE** at = espeak_ListVoices(nullptr); at != nullptr && *at != nullptr; ++at) voices.push_back(*at);
  return voices;
}

// Once per process; a failure is kept and returned to every later call (espeak-ng cannot be
// initialized twice). Missing data does not fail espeak-ng's own initialization, only leaves it
// without voices, so that is checked too. Call with EspeakMutex() held.
Status EspeakInitializeOnce() {
  static std::optional<Status> result;
  if (result) return *result;
  espeak_ng_InitializePath(nullptr);
  espeak_ng_ERROR_CONTEXT context = nullptr;
  espeak_ng_STATUS status = espeak_ng_Initialize(&context);
  espeak_ng_ClearErrorContext(&context);
  if (status == ENS_OK) status = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, nullptr);
  if (status != ENS_OK) {
    result = Unavailable("espeak-ng cannot start: " + EspeakMessage(status));
  } else if (EspeakInstalledVoices().empty()) {
    result = Unavailable("espeak-ng has no voices: its data is missing (install espeak-ng-data, or point "
                         "ESPEAK_DATA_PATH at the directory holding espeak-ng-data)");
  } else {
    espeak_SetSynthCallback(&EspeakCollect);
    result = Status::Ok();
  }
  return *result;
}

// The name espeak_ng_SetVoiceByName knows for `wanted`: a language code ("en-gb"), the voice file's
// own name ("fr" for roa/fr) or the voice's name, any case. Call with EspeakMutex() held.
Result<std::string> EspeakFindVoice(const std::string& wanted) {
  const std::string key = EspeakLower(wanted.empty() ? EspeakSpeech::kDefaultVoice : wanted);
  for (const espeak_VOICE* voice : EspeakInstalledVoices()) {
    const std::string identifier = voice->identifier != nullptr ? voice->identifier : "";
    const std::string file = EspeakLower(identifier.substr(identifier.rfind('/') + 1));
    const std::vector<std::string> codes = EspeakLanguagesOf(*voice);
    if (voice->name != nullptr &&
        (key == file || key == EspeakLower(voice->name) || std::find(codes.begin(), codes.end(), key) != codes.end())) {
      return std::string(voice->name);
    }
  }
  return Status(StatusCode::kNotFound,
                "voice: espeak-ng has no voice '" + Excerpt(wanted) + "' (try en-us, en-gb, fr, de, es; "
                "`troupe studio speak --list-voices` lists them)",
                "voice");
}

}  // namespace

Result<PcmAudio> EspeakSpeech::SynthesizePcm(const SpeechRequest& request) {
  TROUPE_RETURN_IF_ERROR(CheckSpeechRequest(request));
  std::lock_guard<std::mutex> lock(EspeakMutex());
  TROUPE_RETURN_IF_ERROR(EspeakInitializeOnce());
  TROUPE_ASSIGN_OR_RETURN(const std::string voice, EspeakFindVoice(request.voice));
  espeak_ng_STATUS status = espeak_ng_SetVoiceByName(voice.c_str());
  if (status != ENS_OK) return Status(StatusCode::kNotFound, "voice: " + EspeakMessage(status), "voice");
  status = espeak_ng_SetParameter(espeakRATE, request.words_per_minute, 0);
  if (status != ENS_OK) return InvalidArgument("speed: " + EspeakMessage(status), "speed");

  PcmAudio pcm;
  pcm.sample_rate = espeak_ng_GetSampleRate();
  EspeakCollector collector{&pcm.samples, request.cancelled, false};
  espeak_collector = &collector;
  // No SSML or markup flags: the text is a model's reply, spoken as written.
  status = espeak_ng_Synthesize(request.text.c_str(), request.text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8,
                                nullptr, nullptr);
  if (status == ENS_OK) status = espeak_ng_Synchronize();
  espeak_collector = nullptr;
  if (collector.stopped) return Unavailable("speech synthesis was cancelled");
  if (status != ENS_OK) return Internal("espeak-ng: " + EspeakMessage(status));
  if (pcm.samples.empty()) return Internal("espeak-ng produced no audio for the text");
  return pcm;
}

Result<SpeechAudio> EspeakSpeech::Synthesize(const SpeechRequest& request) {
  if (request.format == AudioFormat::kMp3) {
    return InvalidArgument("format: espeak-ng speech is encoded as opus or wav, not mp3", "format");
  }
  TROUPE_ASSIGN_OR_RETURN(const PcmAudio pcm, SynthesizePcm(request));
  return EncodeSpeech(pcm, request.format);
}

Result<std::vector<std::string>> EspeakSpeech::Voices() {
  std::lock_guard<std::mutex> lock(EspeakMutex());
  TROUPE_RETURN_IF_ERROR(EspeakInitializeOnce());
  std::vector<std::string> codes;
  for (const espeak_VOICE* voice : EspeakInstalledVoices()) {
    for (const std::string& code : EspeakLanguagesOf(*voice)) codes.push_back(code);
  }
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  return codes;
}

}  // namespace troupe::studio
