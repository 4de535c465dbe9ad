// Flow YAML from outside (card extensions, the studio's editor): any input parses to a flow or a
// clear error; a flow that validates for a minor never reaches a romantic stage and always has a
// stage and a known mood, whatever the signals. The same bytes, read as a model's reply, go
// through the reply splitter (the default style and each parsed stage's): the messages are the
// same for any cut between feeds, never blank, never more than max_messages; the sentiment
// estimate stays in -1..1.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "chat/flow.h"
#include "chat/reply_style.h"
#include "chat/sentiment.h"

using namespace troupe::chat;

namespace {

void CheckSplitting(std::string_view text, const ReplyStyle& style) {
  const std::vector<std::string> whole = SplitReply(text, style);
  if (whole.size() > static_cast<size_t>(std::max(style.max_messages, 1))) std::abort();
  for (const std::string& message : whole) {
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    if (message.empty() || blank(message.front()) || blank(message.back())) std::abort();
  }
  // The same text fed in two pieces at a point chosen by the text itself.
  const size_t cut = text.empty() ? 0 : static_cast<unsigned char>(text[0]) % (text.size() + 1);
  ReplySplitter splitter(style);
  std::vector<std::string> streamed(1);
  auto take = [&](const std::vector<ReplySplitter::Piece>& pieces) {
    for (const ReplySplitter::Piece& piece : pieces) {
      streamed.back() += piece.text;
      if (piece.ends_message) streamed.emplace_back();
    }
  };
  take(splitter.Feed(text.substr(0, cut)));
  take(splitter.Feed(text.substr(cut)));
  take(splitter.Finish());
  if (streamed.back().empty()) streamed.pop_back();
  if (streamed != whole) std::abort();
  const int64_t delay = TypingDelayMs(text, style);
  if (delay < 0 || (style.typing_chars_per_second > 0 && delay > std::max(style.min_delay_ms, style.max_delay_ms))) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const double sentiment = EstimateSentiment(text);
  if (!(sentiment >= -1.0 && sentiment <= 1.0)) std::abort();
  ReplyStyle sentences;
  sentences.split = SplitMode::kSentence;
  sentences.max_sentences = 5;
  for (const ReplyStyle& style : {ReplyStyle{}, sentences}) CheckSplitting(text, style);

  troupe::Result<Flow> flow = ParseFlow(text);
  if (!flow.ok()) {
    if (flow.status().message().empty()) std::abort();
    return 0;
  }
  for (const Stage& stage : flow->stages) CheckSplitting(text, stage.reply);
  if (!ValidateFlow(*flow, {false}).ok()) return 0;
  const bool minor_allowed = ValidateFlow(*flow, {true}).ok();
  ConversationSignals signals;
  FlowState state;
  for (int step = 0; step < 40; ++step) {
    signals.message_count = step;
    signals.affinity = (step % 7) / 3.0 - 1.0;
    signals.sentiment_trend = (step % 5) / 2.0 - 1.0;
    signals.idle_ms = step * 600'000;
    FlowStep next = Advance(*flow, state, signals, 12345);
    const Stage* stage = flow->FindStage(next.state.stage);
    if (stage == nullptr) std::abort();
    if (minor_allowed && stage->romance != Romance::kNone) std::abort();
    if (!flow->moods.empty() && flow->FindMood(next.state.mood) == nullptr) std::abort();
    if (flow->moods.empty() && !next.state.mood.empty()) std::abort();
    if (stage->proactive) {
      const auto at = NextProactiveAt(*stage->proactive, step * 1000, step % 4, step % 3, step * 2000);
      if (at && stage->proactive->quiet_hours) {
        // A returned time is never inside the quiet hours (nor "now" while it is quiet).
        const int64_t when = std::max<int64_t>(*at, step * 2000);
        const int64_t minute = (when % (24 * 60 * 60'000)) / 60'000;
        const QuietHours& quiet = *stage->proactive->quiet_hours;
        const bool inside = quiet.from_minute < quiet.to_minute
                                ? minute >= quiet.from_minute && minute < quiet.to_minute
                                : minute >= quiet.from_minute || minute < quiet.to_minute;
        if (inside) std::abort();
      }
    }
    state = next.state;
  }
  return 0;
}
