#include "llm/local_provider.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/token_constraint.h"
#include "llm/engine_status_internal.h"
#include "llm/local_model_internal.h"
#include "llm/reply_grammar_internal.h"
#include "llm/stream_text.h"

namespace troupe::llm {
namespace {

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

nlohmann::ordered_json TemplateMessages(const std::vector<ChatMessage>& messages) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ChatMessage& message : messages) {
    nlohmann::ordered_json item = {{"role", message.role}, {"content", message.content}};
    if (!message.name.empty()) item["name"] = message.name;
    if (!message.tool_calls.empty()) {
      nlohmann::ordered_json calls = nlohmann::ordered_json::array();
      for (const ToolCall& call : message.tool_calls) {
        nlohmann::ordered_json arguments = nlohmann::ordered_json::parse(call.arguments_json, nullptr, false);
        if (arguments.is_discarded()) arguments = call.arguments_json;
        calls.push_back({{"id", call.id},
                         {"type", "function"},
                         {"function", {{"name", call.name}, {"arguments", arguments}}}});
      }
      item["tool_calls"] = std::move(calls);
    }
    if (!message.tool_call_id.empty()) item["tool_call_id"] = message.tool_call_id;
    out.push_back(std::move(item));
  }
  return out;
}

nlohmann::ordered_json TemplateTools(const std::vector<ToolDefinition>& tools) {
  if (tools.empty()) return nullptr;
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ToolDefinition& tool : tools) {
    nlohmann::ordered_json parameters = nlohmann::ordered_json::parse(tool.parameters_json, nullptr, false);
    if (parameters.is_discarded()) parameters = nlohmann::ordered_json::object();
    out.push_back({{"type", "function"},
                   {"function", {{"name", tool.name}, {"description", tool.description}, {"parameters", parameters}}}});
  }
  return out;
}

engine::SamplingParams ToEngine(const Sampling& sampling) {
  engine::SamplingParams params;
  if (sampling.temperature) params.temperature = static_cast<float>(*sampling.temperature);
  if (sampling.top_p) params.top_p = static_cast<float>(*sampling.top_p);
  if (sampling.top_k) params.top_k = *sampling.top_k;
  if (sampling.min_p) params.min_p = static_cast<float>(*sampling.min_p);
  if (sampling.repetition_penalty) params.repeat_penalty = static_cast<float>(*sampling.repetition_penalty);
  if (sampling.frequency_penalty) params.frequency_penalty = static_cast<float>(*sampling.frequency_penalty);
  if (sampling.presence_penalty) params.presence_penalty = static_cast<float>(*sampling.presence_penalty);
  if (sampling.seed) params.seed = *sampling.seed;
  return params;
}

class LocalProvider final : public Provider {
 public:
  LocalProvider(std::shared_ptr<engine::Model> model, LocalProviderOptions options)
      : model_(std::move(model)), options_(std::move(options)) {
    const engine::ModelSummary& summary = model_->summary();
    const int64_t trained = summary.spec ? static_cast<int64_t>(summary.spec->context_length) : options_.context_length;
    info_.name = options_.name;
    info_.kind = "local";
    info_.model = summary.name.empty() ? std::filesystem::path(summary.path).filename().string() : summary.name;
    info_.context_length = std::min(options_.context_length, trained);
    // The texts of end-of-generation control tokens: the engine stops on the tokens themselves,
    // these catch a model that spells one out. Well-known turn ends the vocabulary has as control
    // tokens count too, for files that do not mark them as end of generation.
    const engine::Tokenizer& tokenizer = model_->tokenizer();
    const auto add = [this](std::string text) {
      if (std::find(turn_ends_.begin(), turn_ends_.end(), text) == turn_ends_.end()) turn_ends_.push_back(std::move(text));
    };
    for (int32_t token = 0; token < tokenizer.vocab_size(); ++token) {
      if (!tokenizer.IsEndOfGeneration(token)) continue;
      std::string text(tokenizer.TokenText(token));
      if (text.size() >= 3 && text.front() == '<' && text.back() == '>') add(std::move(text));
    }
    for (const char* text : {"<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>"}) {
      const std::optional<int32_t> token = tokenizer.FindToken(text);
      if (token && tokenizer.IsControl(*token)) add(text);
    }
    for (int i = 0; i < std::max(options_.cache_slots, 1); ++i) slots_.emplace_back();
    engine_thread_ = std::thread([this] { Run(); });
  }

  ~LocalProvider() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    engine_thread_.join();
  }

  const ProviderInfo& info() const override { return info_; }

  std::shared_ptr<ChatCall> Start(ChatRequest request, ChatCallbacks callbacks) override {
    auto job = std::make_shared<Job>();
    job->request = std::move(request);
    job->callbacks = std::move(callbacks);
    job->queued_at = Clock::now();
    Status refused;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        refused = Status(StatusCode::kUnavailable, "provider " + info_.name + " is shutting down");
      } else if (queue_.size() >= options_.max_queued) {
        refused = Status(StatusCode::kResourceExhausted, "provider " + info_.name + " has " +
                                                             std::to_string(queue_.size()) +
                                                             " requests waiting; retry shortly");
      } else {
        queue_.push_back(job);
      }
    }
    if (!refused.ok()) {
      job->callbacks.on_done(std::move(refused));
      return job;
    }
    ready_.notify_one();
    return job;
  }

  int64_t CountTokens(std::string_view text) const override {
    try {
      return static_cast<int64_t>(model_->Tokenize(text, false, false).size());
    } catch (const engine::EngineError&) {
      return static_cast<int64_t>(text.size() / 4 + 1);
    }
  }

  int64_t CountChatTokens(const std::vector<ChatMessage>& messages) const override {
    Result<std::vector<int32_t>> tokens = Render(messages, {}, true);
    return tokens.ok() ? static_cast<int64_t>(tokens->size()) : 0;
  }

  std::vector<std::string> TurnEndStrings() const override { return turn_ends_; }

 private:
  // A request from Start to its end; the handle the caller holds.
  struct Job final : ChatCall {
    ChatRequest request;
    ChatCallbacks callbacks;
    Clock::time_point queued_at;
    std::atomic<bool> cancelled{false};
    void Cancel() override { cancelled = true; }
    bool Stopped() const { return cancelled.load() || (request.cancel != nullptr && request.cancel->load()); }
  };

  struct Slot {
    std::unique_ptr<engine::KvCache> cache;
    std::vector<int32_t> tokens;  // what the cache holds
    uint64_t last_used = 0;
  };

  Result<std::vector<int32_t>> Render(const std::vector<ChatMessage>& messages, const std::vector<ToolDefinition>& tools,
                                      bool add_generation_prompt) const {
    engine::ChatTemplateInputs inputs;
    inputs.messages = TemplateMessages(messages);
    inputs.tools = TemplateTools(tools);
    inputs.add_generation_prompt = add_generation_prompt;
    try {
      const std::string prompt = model_->RenderChat(std::move(inputs));
      return model_->TokenizeChat(prompt);
    } catch (const engine::EngineError& error) {
      return EngineFailure(error);
    }
  }

  // The slot whose tokens share the longest prefix with `prompt` (else the least recently used).
  Slot& PickSlot(const std::vector<int32_t>& prompt, size_t& shared) {
    Slot* best = nullptr;
    size_t best_shared = 0;
    for (Slot& slot : slots_) {
      size_t n = 0;
      while (n < slot.tokens.size() && n < prompt.size() && slot.tokens[n] == prompt[n]) ++n;
      if (best == nullptr || n > best_shared || (n == best_shared && slot.last_used < best->last_used)) {
        best = &slot;
        best_shared = n;
      }
    }
    if (best_shared == 0) {
      best = &*std::min_element(slots_.begin(), slots_.end(),
                                [](const Slot& a, const Slot& b) { return a.last_used < b.last_used; });
    }
    shared = best_shared;
    return *best;
  }

  // An engine failure as a Status (engine_status_internal.h), naming the provider.
  Status EngineFailure(const engine::EngineError& error) const {
    const Status status = StatusFromEngineError(error);
    return Status(status.code(), "provider " + info_.name + ": " + status.message());
  }

  Result<ChatResult> RunJob(Job& job) {
    const ChatRequest& request = job.request;
    const Clock::time_point started = job.queued_at;
    ChatResult result;
    if (job.Stopped()) {
      result.finish_reason = FinishReason::kCancelled;
      result.total_ms = MillisSince(started);
      result.time_to_first_token_ms = result.total_ms;
      return result;
    }
    // tool_choice "none": the model is not told about the tools, so it cannot call them.
    const bool with_tools = !request.tools.empty() && request.tool_choice != "none";
    static const std::vector<ToolDefinition> kNoTools;
    TROUPE_ASSIGN_OR_RETURN(std::vector<int32_t> prompt,
                            Render(request.messages, with_tools ? request.tools : kNoTools, true));
    const int64_t context = info_.context_length;
    if (prompt.empty() || static_cast<int64_t>(prompt.size()) >= context) {
      return Status(StatusCode::kInvalidArgument,
                    "provider " + info_.name + ": the prompt is " + std::to_string(prompt.size()) +
                        " tokens and the context holds " + std::to_string(context) +
                        ", which leaves no room for a reply",
                    "messages");
    }
    size_t shared = 0;
    Slot& slot = PickSlot(prompt, shared);
    slot.last_used = ++use_counter_;
    if (!slot.cache) {
      slot.cache = model_->NewSequence(static_cast<uint32_t>(context));
      slot.tokens.clear();
      shared = 0;
    }
    // At least one prompt token must run to get logits for the first reply token.
    if (shared == prompt.size()) --shared;
    slot.cache->Truncate(static_cast<uint32_t>(shared));
    slot.tokens.assign(prompt.begin(), prompt.begin() + static_cast<std::ptrdiff_t>(shared));

    engine::GenerationRequest generation;
    generation.prompt.assign(prompt.begin() + static_cast<std::ptrdiff_t>(shared), prompt.end());
    generation.sampling = ToEngine(request.sampling);
    const int64_t room = context - static_cast<int64_t>(prompt.size());
    generation.max_tokens = static_cast<int32_t>(std::min<int64_t>(std::max(request.sampling.max_tokens, 1), room));
    for (const std::string& stop : request.stop) {
      if (!stop.empty()) generation.stop_strings.push_back(stop);
    }
    for (const std::string& end : turn_ends_) generation.stop_strings.push_back(end);
    generation.cancel = &cancel_now_;
    TROUPE_ASSIGN_OR_RETURN(std::optional<ReplyGrammar> grammar, ReplyGrammarFor(request));
    if (grammar) {
      if (!vocabulary_) vocabulary_ = std::make_shared<const engine::ConstraintVocabulary>(model_->tokenizer());
      generation.grammar = std::move(grammar->grammar);
      generation.grammar_trigger = std::move(grammar->trigger);
      generation.constraint_vocabulary = vocabulary_;
    }

    // Tool calls are returned whole, never streamed as text.
    ToolCallFilter tool_calls;
    bool first_piece = true;
    const auto deliver = [&](std::string_view text) {
      if (text.empty()) return;
      result.content.append(text);
      if (job.callbacks.on_delta) job.callbacks.on_delta(text);
    };
    engine::GenerationCallbacks callbacks;
    callbacks.on_piece = [&](std::string_view piece) {
      // Either of the call's two ways to cancel stops the engine between tokens.
      if (job.Stopped()) cancel_now_ = true;
      if (piece.empty()) return;
      if (first_piece) {
        first_piece = false;
        result.time_to_first_token_ms = MillisSince(started);
      }
      deliver(with_tools ? tool_calls.Push(piece) : std::string(piece));
    };
    engine::GenerationResult generated;
    try {
      generated = model_->Generate(*slot.cache, generation, callbacks);
    } catch (const engine::EngineError& error) {
      DropSlot(slot);
      return EngineFailure(error);
    } catch (const std::exception& error) {
      DropSlot(slot);
      return Status(StatusCode::kInternal, "provider " + info_.name + ": " + error.what());
    }
    slot.tokens.insert(slot.tokens.end(), generation.prompt.begin(), generation.prompt.end());
    slot.tokens.insert(slot.tokens.end(), generated.tokens.begin(), generated.tokens.end());
    // The cache holds every generated token but the last (generator.h); a cancelled run may hold
    // less. Keep the token list and the cache the same length.
    slot.tokens.resize(std::min<size_t>(slot.tokens.size(), slot.cache->size()));
    slot.cache->Truncate(static_cast<uint32_t>(slot.tokens.size()));

    if (with_tools) {
      ToolCallFilter::Finished finished = tool_calls.Finish();
      deliver(finished.text);
      result.tool_calls = std::move(finished.tool_calls);
    }
    switch (generated.stop_reason) {
      case engine::StopReason::kMaxTokens:
      case engine::StopReason::kContextFull:
        result.finish_reason = FinishReason::kLength;
        break;
      case engine::StopReason::kCancelled:
        result.finish_reason = FinishReason::kCancelled;
        break;
      case engine::StopReason::kEndOfGeneration:
      case engine::StopReason::kStopString:
        result.finish_reason = FinishReason::kStop;
        break;
    }
    if (!result.tool_calls.empty() && result.finish_reason != FinishReason::kCancelled) {
      result.finish_reason = FinishReason::kToolCalls;
    }
    result.usage.prompt_tokens = static_cast<int64_t>(prompt.size());
    result.usage.completion_tokens = generated.generated_tokens;
    if (first_piece) result.time_to_first_token_ms = MillisSince(started);
    result.total_ms = MillisSince(started);
    return result;
  }

  static void DropSlot(Slot& slot) {
    slot.cache.reset();  // its contents are unknown now
    slot.tokens.clear();
  }

  void Run() {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      cancel_now_ = job->Stopped();
      Result<ChatResult> result = Status(StatusCode::kInternal, "not run");
      try {
        result = RunJob(*job);
      } catch (const std::exception& error) {
        result = Status(StatusCode::kInternal, "provider " + info_.name + ": " + error.what());
      }
      job->callbacks.on_done(std::move(result));
    }
  }

  std::shared_ptr<engine::Model> model_;
  LocalProviderOptions options_;
  ProviderInfo info_;
  std::vector<std::string> turn_ends_;
  std::vector<Slot> slots_;  // engine thread only
  // The vocabulary's trie for constrained replies, made on the first one (engine thread only).
  std::shared_ptr<const engine::ConstraintVocabulary> vocabulary_;
  uint64_t use_counter_ = 0;  // engine thread only

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::shared_ptr<Job>> queue_;  // guarded by mutex_
  std::atomic<bool> cancel_now_{false};      // the running job's stop flag, engine thread's
  bool stopping_ = false;   // guarded by mutex_
  std::thread engine_thread_;
};

}  // namespace

std::unique_ptr<Provider> MakeLocalProvider(std::shared_ptr<LocalModel> model, LocalProviderOptions options) {
  return std::make_unique<LocalProvider>(LocalModelAccess::EngineModel(*model), std::move(options));
}

}  // namespace troupe::llm
