// Feeds arbitrary bytes to the parsers of a remote OpenAI-compatible endpoint's answers: the SSE
// framing (in pieces whose size the first byte picks, and whole), the chat chunk decoder, the stop
// string filter over the decoded text, and the whole-body completion and error parsers. They must
// answer, never crash or hang, and agree with themselves:
//   - the events do not depend on where the bytes were split;
//   - the text a StopStringFilter emits is a prefix of what it was given, without the stop string;
//   - error messages carry no control characters.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llm/openai_stream.h"
#include "llm/stream_text.h"

namespace {

using troupe::llm::SseEvent;
using troupe::llm::SseParser;

bool Parse(std::string_view input, size_t piece, std::vector<SseEvent>& events) {
  SseParser parser(1u << 16);
  for (size_t i = 0; i < input.size(); i += piece) {
    troupe::Result<std::vector<SseEvent>> more = parser.Feed(input.substr(i, piece));
    if (!more.ok()) return false;
    events.insert(events.end(), more->begin(), more->end());
  }
  for (SseEvent& event : parser.Finish()) events.push_back(std::move(event));
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 16;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::vector<SseEvent> split;
  std::vector<SseEvent> whole;
  const bool split_ok = Parse(input, piece, split);
  const bool whole_ok = Parse(input, input.size() + 1, whole);
  if (split_ok != whole_ok) __builtin_trap();
  if (split_ok) {
    if (split.size() != whole.size()) __builtin_trap();
    for (size_t i = 0; i < split.size(); ++i) {
      if (split[i].data != whole[i].data || split[i].type != whole[i].type) __builtin_trap();
    }
  }

  troupe::llm::ChatStreamDecoder decoder(1u << 16);
  troupe::llm::StopStringFilter stops({"\n\nUser:", "</s>"});
  std::string text;
  std::string emitted;
  for (const SseEvent& event : whole) {
    troupe::Result<std::string> delta = decoder.Apply(event);
    if (!delta.ok()) break;
    text += *delta;
    emitted += stops.Push(*delta);
  }
  emitted += stops.Finish();
  if (text.compare(0, emitted.size(), emitted) != 0) __builtin_trap();
  if (emitted.find("\n\nUser:") != std::string::npos || emitted.find("</s>") != std::string::npos) __builtin_trap();
  (void)decoder.tool_calls();

  (void)troupe::llm::ParseCompletionBody(input);
  const std::string message = troupe::llm::ErrorMessageFromBody(input);
  for (const char c : message) {
    if (static_cast<unsigned char>(c) < 0x20) __builtin_trap();
  }

  troupe::llm::ToolCallFilter tools;
  std::string streamed;
  for (size_t i = 0; i < text.size(); i += piece) streamed += tools.Push(std::string_view(text).substr(i, piece));
  (void)tools.Finish();
  if (streamed.find("<tool_call>") != std::string::npos) __builtin_trap();  // calls are never streamed
  return 0;
}
