// Generate: prompt in batches, then one token per step through the Sampler, with streamed text
// held back while it may still turn into a stop string.
#include "engine/generator.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <span>
#include <string>

#include "engine/error.h"

namespace troupe::engine {
namespace {

using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

bool IsUtf8Continuation(char byte) { return (static_cast<unsigned char>(byte) & 0xC0) == 0x80; }

// The generated text so far and how much of it is safe to show: everything except a tail that
// could still grow into a stop string. A stop string found cuts the text just before it.
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

}  // namespace

std::string_view StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kEndOfGeneration: return "eos";
    case StopReason::kStopString: return "stop";
    case StopReason::kMaxTokens: return "length";
    case StopReason::kContextFull: return "context_full";
    case StopReason::kCancelled: return "cancelled";
  }
  return "unknown";
}

GenerationResult Generate(Transformer& transformer, const Tokenizer& tokenizer, KvCache& cache,
                          const GenerationRequest& request, const GenerationCallbacks& callbacks) {
  CheckRequest(cache, request);
  Sampler sampler(request.sampling, transformer.vocab_size());
  // The prompt counts for the penalties, as in llama.cpp's server.
  for (int32_t token : request.prompt) sampler.Accept(token);
  auto cancelled = [&] { return request.cancel != nullptr && request.cancel->load(std::memory_order_relaxed); };

  GenerationResult result;
  result.prompt_tokens = static_cast<uint32_t>(request.prompt.size());
  const Clock::time_point prompt_start = Clock::now();
  std::vector<float> logits;
  const std::span<const int32_t> prompt(request.prompt);
  const size_t batch_size = std::max<uint32_t>(request.prompt_batch_size, 1);
  for (size_t offset = 0; offset < prompt.size(); offset += batch_size) {
    const std::span<const int32_t> batch = prompt.subspan(offset, std::min(batch_size, prompt.size() - offset));
    bool ran = true;
    if (request.cancel == nullptr) {
      transformer.Forward(cache, batch, /*all_logits=*/false, logits);
    } else {
      ran = !cancelled() && transformer.ForwardUnlessCancelled(cache, batch, /*all_logits=*/false, logits,
                                                                *request.cancel);
    }
    if (!ran) {
      result.stop_reason = StopReason::kCancelled;
      result.prompt_ms = MillisecondsSince(prompt_start);
      return result;
    }
  }
  result.prompt_ms = MillisecondsSince(prompt_start);

  const Clock::time_point generation_start = Clock::now();
  StreamingDecoder decoder(tokenizer, request.render_special);
  StopStringWatcher watcher(request.stop_strings);
  auto show = [&](const std::string& piece) {
    if (!piece.empty() && callbacks.on_piece) callbacks.on_piece(piece);
  };
  auto reached_max = [&] {
    return request.max_tokens >= 0 && result.tokens.size() >= static_cast<size_t>(request.max_tokens);
  };

  std::optional<TokenConstraint> constraint;
  const auto constrain = [&] {
    constraint.emplace(*request.grammar, request.constraint_vocabulary != nullptr
                                             ? request.constraint_vocabulary
                                             : std::make_shared<const ConstraintVocabulary>(tokenizer));
  };
  TriggerWatch trigger(request.grammar ? request.grammar_trigger : std::string());
  if (request.grammar && request.grammar_trigger.empty()) constrain();
  std::optional<StopReason> stop;
  if (reached_max()) stop = StopReason::kMaxTokens;
  while (!stop) {
    if (cancelled()) {
      stop = StopReason::kCancelled;
      break;
    }
    if (constraint && constraint->finished()) {
      stop = StopReason::kEndOfGeneration;
      break;
    }
    if (constraint) constraint->Mask(logits);
    const int32_t token = sampler.Sample(logits);
    if (constraint) constraint->Accept(token);
    sampler.Accept(token);
    if (trigger.waiting()) {
      if (std::optional<std::string> after = trigger.Push(tokenizer.TokenToPiece(token, false))) {
        constrain();
        if (!constraint->AcceptText(*after)) stop = StopReason::kEndOfGeneration;
      }
    }
    result.tokens.push_back(token);
    if (callbacks.on_token) callbacks.on_token(token);
    if (request.stop_on_end_of_generation && tokenizer.IsEndOfGeneration(token)) {
      stop = StopReason::kEndOfGeneration;
      break;
    }
    show(watcher.Append(decoder.Push(token)));
    if (stop) {
      break;
    } else if (watcher.matched() != nullptr) {
      stop = StopReason::kStopString;
    } else if (reached_max()) {
      stop = StopReason::kMaxTokens;
    } else if (cache.size() >= cache.capacity()) {
      stop = StopReason::kContextFull;
    } else {
      transformer.Forward(cache, std::span<const int32_t>(&token, 1), /*all_logits=*/false, logits);
    }
  }
  if (*stop != StopReason::kStopString) {
    // An unfinished character becomes U+FFFD, which could still complete a stop string.
    show(watcher.Append(decoder.Flush()));
    if (watcher.matched() != nullptr) {
      stop = StopReason::kStopString;
    } else {
      show(watcher.Finish());
    }
  }

  result.stop_reason = *stop;
  if (watcher.matched() != nullptr) result.stop_string = *watcher.matched();
  result.text = watcher.text();
  result.generated_tokens = static_cast<uint32_t>(result.tokens.size());
  result.generation_ms = MillisecondsSince(generation_start);
  if (result.generation_ms > 0.0 && !result.tokens.empty()) {
    result.tokens_per_second = result.generated_tokens * 1000.0 / result.generation_ms;
  }
  return result;
}

}  // namespace troupe::engine
