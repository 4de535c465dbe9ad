// Text filters a provider runs over a reply while it streams, so what reaches the caller is final:
// StopStringFilter ends the reply before a stop string (holding back text that may begin one), and
// ToolCallFilter keeps Hermes/Qwen-style `<tool_call>{...}</tool_call>` blocks out of the streamed
// text and returns them as tool calls. Both are plain text in, text out: no threads, no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "llm/provider.h"

namespace troupe::llm {

// Emits a reply piece by piece, ending just before the first occurrence of any stop string, even
// one spread over several pieces. Text that could still turn out to begin a stop string is held
// until a later piece settles it. The pieces emitted (Push, then Finish) joined equal the reply up
// to the stop string. Stop strings that are empty are ignored.
class StopStringFilter {
 public:
  explicit StopStringFilter(std::vector<std::string> stops);

  // Text that may be shown now (possibly empty). Once stopped() nothing more is emitted.
  std::string Push(std::string_view piece);
  // The end of the reply: whatever was held back (it began no stop string after all).
  std::string Finish();
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

// Tool calls in the Hermes/Qwen format: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`
// blocks are cut out of `text` and returned (ids "call_<n>"); the text left is trimmed of
// surrounding whitespace. A block whose body is not a JSON object with a string "name" stays in
// the text, as does an unclosed one.
std::vector<ToolCall> ExtractToolCalls(std::string& text);

// Streams the text before the first `<tool_call>` and holds everything from there on; Finish
// parses the held part. Whitespace right before a tool call is held too, so a reply that is only
// tool calls streams nothing. A call left unclosed at the end (the model hit its length limit) is
// dropped. The pieces emitted (Push, then Finish) joined are the reply's content.
class ToolCallFilter {
 public:
  std::string Push(std::string_view piece);
  struct Finished {
    std::string text;  // the rest of the content to emit
    std::vector<ToolCall> tool_calls;
  };
  Finished Finish();

 private:
  std::string pending_;  // not yet emitted
  bool in_calls_ = false;
  bool emitted_any_ = false;
};

}  // namespace troupe::llm
