// Speech from an OpenAI-compatible endpoint: POST {base_url}/audio/speech with the model, the text
// (`input`), the voice, `response_format` and `speed`; the answer's body is the audio file. Works
// with OpenAI and with local servers that copy its API.
//
// Requests go only to the allowed hosts (default: base_url's own host), never through a proxy from
// the environment, never after a redirect; an address that is loopback, private or link-local is
// refused unless allow_private (checked on the address actually connected to, as the tools do:
// chat/tools/tool_runner.h). The answer is checked before it is returned: a 2xx status, at most
// max_response_bytes, and bytes of the format asked for (audio_probe.h).
//
// Threads: Synthesize blocks its caller for up to timeout_ms (job threads only); thread-safe, each
// call has its own connection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "studio/speech_provider.h"

namespace troupe::studio {

struct OpenAiSpeechOptions {
  std::string base_url = "https://api.openai.com/v1";  // http(s), no user name
  std::string api_key;                                 // "Authorization: Bearer KEY"; "" = none
  std::string model = "tts-1";
  std::string default_voice = "alloy";                 // when the request names none
  std::vector<std::string> allowed_hosts;              // "" entries ignored; empty = base_url's host
  bool allow_private = false;
  int64_t timeout_ms = 60'000;
  size_t max_response_bytes = 16 << 20;
};

class OpenAiSpeech final : public SpeechProvider {
 public:
  // kInvalidArgument naming "base_url" for a URL that is not http(s) with a host, or one with a
  // user name; "timeout_ms" for a timeout that is not positive.
  static Result<std::unique_ptr<OpenAiSpeech>> Create(OpenAiSpeechOptions options);

  // kPermissionDenied naming "base_url": a host not allowed, or a private address without
  // allow_private, or a redirect; kDeadlineExceeded: the timeout; kUnavailable: no connection, a
  // 5xx or 429, a cancellation, or an answer that is not the audio asked for; kFailedPrecondition:
  // another 4xx (a bad key, an unknown voice or model), with the endpoint's own message;
  // kPayloadTooLarge: an answer over max_response_bytes. The duration is read from Opus and WAV
  // answers, 0 for MP3.
  Result<SpeechAudio> Synthesize(const SpeechRequest& request) override;

  const OpenAiSpeechOptions& options() const { return options_; }

 private:
  OpenAiSpeech(OpenAiSpeechOptions options, std::string host);

  OpenAiSpeechOptions options_;
  std::string host_;  // base_url's, lowercased
};

// The request body Synthesize sends (JSON), for tests and logs.
std::string SpeechRequestBody(const OpenAiSpeechOptions& options, const SpeechRequest& request);

// What an endpoint's answer means: the audio (checked with ProbeAudio) for a 2xx, else the error
// above with the message the endpoint gave (`{"error": {"message": ...}}`, quoted in part).
Result<SpeechAudio> ReadSpeechResponse(int http_status, std::string_view body, AudioFormat format);

}  // namespace troupe::studio
