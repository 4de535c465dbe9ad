// The wire format of OpenAI-compatible chat completions, parsed without any I/O so it can be
// tested and fuzzed on its own: the text/event-stream framing (SseParser), the chunks of a
// streamed completion (ChatStreamDecoder), a whole non-streamed completion and error bodies.
//
// Everything here reads what a remote server sent, so every input is untrusted: any bytes give a
// value or an error, never a crash, and sizes are bounded.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "llm/provider.h"

namespace troupe::llm {

struct SseEvent {
  std::string type = "message";  // the `event:` field, when the server names one
  std::string data;              // the `data:` lines joined with "\n"
};

// Splits a text/event-stream body into events as the WHATWG spec says, wherever the chunks
// break: lines end with "\n", "\r\n" or "\r"; ":" starts a comment; a blank line ends an event;
// an event without data is dropped; a leading byte-order mark is skipped.
class SseParser {
 public:
  explicit SseParser(size_t max_event_bytes = 8u << 20);

  // The events these bytes complete, in order. kInvalidArgument when a line or an event grows
  // past max_event_bytes (the stream is then unusable).
  Result<std::vector<SseEvent>> Feed(std::string_view bytes);
  // The end of the stream: an event whose lines are complete but which was never closed by a
  // blank line is returned too (servers that close right after their last line); an unfinished
  // line is dropped.
  std::vector<SseEvent> Finish();

 private:
  void ProcessLine(std::string_view line, std::vector<SseEvent>& events);

  size_t max_event_bytes_;
  std::string line_;
  bool skip_line_feed_ = false;  // the last byte was "\r": a "\n" right after it ends nothing
  bool at_start_ = true;
  SseEvent event_;
  bool has_data_ = false;
};

// Accumulates the chunks of one streamed chat completion (`chat.completion.chunk` objects):
// content deltas, tool-call deltas merged by their index, the finish reason and the usage chunk.
// Only the first choice (index 0) is read.
class ChatStreamDecoder {
 public:
  explicit ChatStreamDecoder(size_t max_reply_bytes = 16u << 20);

  // Applies one event and returns the reply text it adds ("" for none). Errors:
  // kUnavailable when the event is an error the server reports (`{"error": {...}}` or an
  // `event: error`), with its message; kInternal for data that is not a chunk (not JSON, not an
  // object, wrong types) or a reply past max_reply_bytes. `data: [DONE]` sets done().
  Result<std::string> Apply(const SseEvent& event);

  bool done() const { return done_; }
  // The finish reason the server gave, if any ("stop", "length", "tool_calls", ...).
  const std::optional<std::string>& finish_reason() const { return finish_reason_; }
  const std::optional<Usage>& usage() const { return usage_; }
  // Tool calls so far, by index; arguments as concatenated so far.
  std::vector<ToolCall> tool_calls() const;
  // Chunks that carried reply text or a tool-call delta.
  int content_chunks() const { return content_chunks_; }
  // Whether the model has produced anything yet: reply text, a tool call, or reasoning text
  // (`reasoning_content`, which reasoning models stream before their reply and which is not
  // part of the reply).
  bool saw_tokens() const { return saw_tokens_; }

 private:
  size_t max_reply_bytes_;
  size_t reply_bytes_ = 0;
  bool done_ = false;
  std::optional<std::string> finish_reason_;
  std::optional<Usage> usage_;
  std::map<int64_t, ToolCall> tool_calls_;
  int content_chunks_ = 0;
  bool saw_tokens_ = false;
};

// "stop" -> kStop, "length" -> kLength, "tool_calls"/"function_call" -> kToolCalls; anything
// else (e.g. "content_filter") -> kStop.
FinishReason FinishReasonFromWire(std::string_view reason);

// A whole `chat.completion` object (a server that answered a streamed request without
// streaming). kInternal when it is not one. usage is left zero when the body has none.
Result<ChatResult> ParseCompletionBody(std::string_view body);

// The human-readable message of an error body: `error.message` (OpenAI), `error` as a string,
// `message` or `detail` (other servers); else the body itself, cut to a few hundred bytes and
// with control characters replaced. Empty for an empty body.
std::string ErrorMessageFromBody(std::string_view body);

}  // namespace troupe::llm
