#include "engine/generation/sequence_run.h"

#include <algorithm>

#include "engine/error.h"

namespace troupe::engine::generation {
namespace {

using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

bool IsUtf8Continuation(char byte) { return (static_cast<unsigned char>(byte) & 0xC0) == 0x80; }

// The generated text so far and how much of it is safe to show: everything except a tail that
// could still grow into a stop string. A stop string found cuts the text just before it.
}  // namespace

class StopStringWatcher {
 public:
  explicit StopStringWatcher(const std::vector<std::string>& stop_strings)
      : stop_strings_(stop_strings) {}

  // Adds decoded text; returns the text that became safe to show (maybe "").
  std::string Append(std::string_view piece) {
    text_.append(piece);
    // Held text never began a stop string before, so a new occurrence starts at or after the
    // first byte not yet shown.
    std::optional<size_t> earliest;
    for (const std::string& stop : stop_strings_) {
      const size_t at = text_.find(stop, shown_);
      if (at != std::string::npos && (!earliest || at < *earliest)) {
        earliest = at;
        matched_ = &stop;
      }
    }
    if (earliest) {
      text_.resize(*earliest);
      return Release(*earliest);
    }
    return Release(HeldFrom());
  }

  // No more text will come: what is held cannot become a stop string any more.
  std::string Finish() { return Release(text_.size()); }

  const std::string& text() const { return text_; }
  const std::string* matched() const { return matched_; }

 private:
  // Where the longest tail that is a proper prefix of some stop string begins (or the end).
  size_t HeldFrom() const {
    size_t longest_stop = 0;
    for (const std::string& stop : stop_strings_) longest_stop = std::max(longest_stop, stop.size());
    if (longest_stop == 0) return text_.size();
    size_t start = std::max(shown_, text_.size() - std::min(text_.size(), longest_stop - 1));
    for (; start < text_.size(); ++start) {
      const std::string_view tail = std::string_view(text_).substr(start);
      for (const std::string& stop : stop_strings_) {
        if (std::string_view(stop).starts_with(tail)) return BackToCharacterStart(start);
      }
    }
    return text_.size();
  }

  // A stop string that is not valid UTF-8 could match from inside a character; never show half
  // of one.
  size_t BackToCharacterStart(size_t at) const {
    while (at > shown_ && IsUtf8Continuation(text_[at])) --at;
    return at;
  }

  std::string Release(size_t up_to) {
    std::string ready = text_.substr(shown_, up_to - shown_);
    shown_ = up_to;
    return ready;
  }

  const std::vector<std::string>& stop_strings_;
  std::string text_;
  size_t shown_ = 0;
  const std::string* matched_ = nullptr;
};

namespace {

void CheckRequest(const KvCache& cache, const GenerationRequest& request) {
  if (request.prompt.empty()) ThrowInvalid("generate: the prompt holds no tokens");
  for (size_t i = 0; i < request.stop_strings.size(); ++i) {
    if (request.stop_strings[i].empty()) {
      ThrowInvalid("generate: stop string " + std::to_string(i) + " is empty");
    }
  }
  if (request.prompt.size() > cache.capacity() - cache.size()) {
    ThrowInvalid("generate: a prompt of " + std::to_string(request.prompt.size()) +
                 " tokens does not fit the cache (" + std::to_string(cache.size()) + " of " +
                 std::to_string(cache.capacity()) + " positions used)");
  }
}

}  // namespace

// Waits for a grammar's trigger in the generated text (GenerationRequest::grammar_trigger).
class TriggerWatch {
 public:
  explicit TriggerWatch(std::string trigger) : trigger_(std::move(trigger)), waiting_(!trigger_.empty()) {}

  bool waiting() const { return waiting_; }

  // The text after the trigger once this piece completes it (then never again), else nothing.
  std::optional<std::string> Push(const std::string& piece) {
    tail_ += piece;
    if (const size_t at = tail_.find(trigger_); at != std::string::npos) {
      waiting_ = false;
      return tail_.substr(at + trigger_.size());
    }
    // Only the end that could still begin the trigger matters.
    if (tail_.size() >= trigger_.size()) tail_.erase(0, tail_.size() - trigger_.size() + 1);
    return std::nullopt;
  }

 private:
  std::string trigger_;
  bool waiting_;
  std::string tail_;
};


SequenceRun::SequenceRun(const Tokenizer& tokenizer, KvCache& cache, const GenerationRequest& request,
                         const GenerationCallbacks& callbacks, int32_t vocab_size)
    : tokenizer_(tokenizer),
      cache_(cache),
      request_(request),
      callbacks_(callbacks),
      sampler_((CheckRequest(cache, request), request.sampling), vocab_size),
      trigger_(std::make_unique<TriggerWatch>(request.grammar ? request.grammar_trigger : std::string())),
      watcher_(std::make_unique<StopStringWatcher>(request.stop_strings)),
      decoder_(tokenizer, request.render_special) {
  // The prompt counts for the penalties, as in llama.cpp's server.
  for (int32_t token : request.prompt) sampler_.Accept(token);
  if (request.grammar && request.grammar_trigger.empty()) Constrain();
  result_.prompt_tokens = static_cast<uint32_t>(request.prompt.size());
}

SequenceRun::~SequenceRun() = default;

void SequenceRun::Constrain() {
  constraint_.emplace(*request_.grammar, request_.constraint_vocabulary != nullptr
                                             ? request_.constraint_vocabulary
                                             : std::make_shared<const ConstraintVocabulary>(tokenizer_));
}

bool SequenceRun::Cancelled() const {
  return request_.cancel != nullptr && request_.cancel->load(std::memory_order_relaxed);
}

bool SequenceRun::ReachedMax() const {
  return request_.max_tokens >= 0 && result_.tokens.size() >= static_cast<size_t>(request_.max_tokens);
}

std::span<const int32_t> SequenceRun::NextTokens(size_t budget) {
  if (finished_) return {};
  if (!started_) {
    started_ = true;
    prompt_start_ = Clock::now();
  }
  if (Cancelled()) {
    Finish(StopReason::kCancelled);
    return {};
  }
  if (in_prompt()) {
    const size_t count = std::min({std::max<size_t>(budget, 1), request_.prompt.size() - prompt_offset_,
                                   static_cast<size_t>(std::max<uint32_t>(request_.prompt_batch_size, 1))});
    return std::span<const int32_t>(request_.prompt).subspan(prompt_offset_, count);
  }
  return std::span<const int32_t>(&pending_token_, 1);
}

void SequenceRun::Cancel() {
  if (!finished_) Finish(StopReason::kCancelled);
}

void SequenceRun::Ran(size_t count, std::span<const float> logits) {
  if (finished_) return;
  if (in_prompt()) {
    prompt_offset_ += count;
    if (in_prompt()) return;
    result_.prompt_ms = MillisecondsSince(prompt_start_);
    generation_start_ = Clock::now();
    if (ReachedMax()) {
      Finish(StopReason::kMaxTokens);
      return;
    }
  }
  SampleNext(logits);
}

void SequenceRun::SampleNext(std::span<const float> logits) {
  if (Cancelled()) return Finish(StopReason::kCancelled);
  if (constraint_ && constraint_->finished()) return Finish(StopReason::kEndOfGeneration);
  std::span<const float> row = logits;
  if (constraint_) {
    masked_.assign(logits.begin(), logits.end());
    constraint_->Mask(masked_);
    row = masked_;
  }
  const int32_t token = sampler_.Sample(row);
  if (constraint_) constraint_->Accept(token);
  sampler_.Accept(token);
  std::optional<StopReason> stop;
  if (trigger_->waiting()) {
    if (std::optional<std::string> after = trigger_->Push(tokenizer_.TokenToPiece(token, false))) {
      Constrain();
      if (!constraint_->AcceptText(*after)) stop = StopReason::kEndOfGeneration;
    }
  }
  result_.tokens.push_back(token);
  if (callbacks_.on_token) callbacks_.on_token(token);
  if (request_.stop_on_end_of_generation && tokenizer_.IsEndOfGeneration(token)) {
    return Finish(StopReason::kEndOfGeneration);
  }
  const std::string shown = watcher_->Append(decoder_.Push(token));
  if (!shown.empty() && callbacks_.on_piece) callbacks_.on_piece(shown);
  if (stop) return Finish(*stop);
  if (watcher_->matched() != nullptr) return Finish(StopReason::kStopString);
  if (ReachedMax()) return Finish(StopReason::kMaxTokens);
  if (cache_.size() >= cache_.capacity()) return Finish(StopReason::kContextFull);
  pending_token_ = token;
}

void SequenceRun::Finish(StopReason reason) {
  finished_ = true;
  const bool prompt_done = !in_prompt();
  if (reason != StopReason::kStopString && prompt_done) {
    // An unfinished character becomes U+FFFD, which could still complete a stop string.
    std::string shown = watcher_->Append(decoder_.Flush());
    if (watcher_->matched() != nullptr) {
      reason = StopReason::kStopString;
    } else {
      shown += watcher_->Finish();
    }
    if (!shown.empty() && callbacks_.on_piece) callbacks_.on_piece(shown);
  }
  result_.stop_reason = reason;
  if (watcher_->matched() != nullptr) result_.stop_string = *watcher_->matched();
  result_.text = watcher_->text();
  result_.generated_tokens = static_cast<uint32_t>(result_.tokens.size());
  if (!prompt_done) {
    result_.prompt_ms = started_ ? MillisecondsSince(prompt_start_) : 0.0;
    return;
  }
  result_.generation_ms = MillisecondsSince(generation_start_);
  if (result_.generation_ms > 0.0 && !result_.tokens.empty()) {
    result_.tokens_per_second = result_.generated_tokens * 1000.0 / result_.generation_ms;
  }
}

}  // namespace troupe::engine::generation
