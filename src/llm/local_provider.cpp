#include "llm/local_provider.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/thread_name.h"
#include "engine/batch_generator.h"
#include "engine/engine.h"
#include "engine/kv_pool.h"
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
  LocalProvider(std::shared_ptr<engine::Model> model, LocalProviderOptions options,
                std::shared_ptr<engine::KvBlockPool> pool, std::shared_ptr<engine::Model> draft)
      : model_(std::move(model)), draft_(std::move(draft)), options_(std::move(options)), pool_(std::move(pool)) {
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
    engine::BatchOptions batch_options;
    if (draft_) {
      batch_options.draft = &draft_->transformer();
      batch_options.draft_tokens = options_.draft_tokens;
    }
    batch_ = std::make_unique<engine::BatchGenerator>(model_->transformer(), model_->tokenizer(), batch_options);
    engine_thread_ = std::thread([this] {
      NameCurrentThread("engine");
      Run();
    });
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

  std::optional<EngineLoad> engine_load() const override {
    EngineLoad load;
    {
      std::lock_guard lock(mutex_);
      load.queued = static_cast<int64_t>(queue_.size());
    }
    load.waiting_for_prefix = load_.waiting.load();
    load.running = load_.running.load();
    load.slots = static_cast<int64_t>(MaxRunning());
    load.last_step_sequences = load_.last_step_sequences.load();
    load.last_step_tokens = load_.last_step_tokens.load();
    load.steps = load_.steps.load();
    load.prompt_tokens_reused = load_.prompt_tokens_reused.load();
    load.prompt_tokens_computed = load_.prompt_tokens_computed.load();
    const engine::KvPoolStats kv = pool_->stats();
    load.kv_block_bytes = static_cast<int64_t>(kv.block_bytes);
    load.kv_blocks_capacity = static_cast<int64_t>(kv.capacity_blocks);
    load.kv_blocks_used = static_cast<int64_t>(kv.used_blocks);
    load.kv_blocks_cached = static_cast<int64_t>(kv.cached_blocks);
    load.kv_blocks_reserved = static_cast<int64_t>(kv.reserved_blocks);
    load.kv_blocks_evicted = static_cast<int64_t>(kv.evicted_blocks);
    load.kv_bytes_allocated = static_cast<int64_t>(kv.allocated_bytes);
    load.draft_tokens_proposed = load_.draft_proposed.load();
    load.draft_tokens_accepted = load_.draft_accepted.load();
    return load;
  }

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

  // An engine failure as a Status (engine_status_internal.h), naming the provider.
  Status EngineFailure(const engine::EngineError& error) const {
    const Status status = StatusFromEngineError(error);
    return Status(status.code(), "provider " + info_.name + ": " + status.message());
  }

  // A job the batch is generating: its KV cache, and what the reply has gathered so far.
  struct Active {
    std::shared_ptr<Job> job;
    std::unique_ptr<engine::KvCache> cache;  // blocks go back to the pool (cached) when it ends
    std::vector<int32_t> prompt;
    engine::GenerationRequest generation;  // until it joins the batch
    std::atomic<bool> cancel{false};
    bool with_tools = false;
    bool first_piece = true;
    ToolCallFilter tool_calls;  // tool calls are returned whole, never streamed as text
    ChatResult result;
  };

  // Renders the job's prompt and settles how it generates; the error that refuses it otherwise.
  Result<std::unique_ptr<Active>> Prepare(const std::shared_ptr<Job>& job) {
    const ChatRequest& request = job->request;
    auto active = std::make_unique<Active>();
    active->job = job;
    // tool_choice "none": the model is not told about the tools, so it cannot call them.
    active->with_tools = !request.tools.empty() && request.tool_choice != "none";
    static const std::vector<ToolDefinition> kNoTools;
    TROUPE_ASSIGN_OR_RETURN(active->prompt, Render(request.messages, active->with_tools ? request.tools : kNoTools, true));
    const std::vector<int32_t>& prompt = active->prompt;
    const int64_t context = info_.context_length;
    if (prompt.empty() || static_cast<int64_t>(prompt.size()) >= context) {
      return Status(StatusCode::kInvalidArgument,
                    "provider " + info_.name + ": the prompt is " + std::to_string(prompt.size()) +
                        " tokens and the context holds " + std::to_string(context) +
                        ", which leaves no room for a reply",
                    "messages");
    }
    engine::GenerationRequest& generation = active->generation;
    generation.sampling = ToEngine(request.sampling);
    const int64_t room = context - static_cast<int64_t>(prompt.size());
    generation.max_tokens = static_cast<int32_t>(std::min<int64_t>(std::max(request.sampling.max_tokens, 1), room));
    for (const std::string& stop : request.stop) {
      if (!stop.empty()) generation.stop_strings.push_back(stop);
    }
    for (const std::string& end : turn_ends_) generation.stop_strings.push_back(end);
    generation.cancel = &active->cancel;
    TROUPE_ASSIGN_OR_RETURN(std::optional<ReplyGrammar> grammar, ReplyGrammarFor(request));
    if (grammar) {
      if (!vocabulary_) vocabulary_ = std::make_shared<const engine::ConstraintVocabulary>(model_->tokenizer());
      generation.grammar = std::move(grammar->grammar);
      generation.grammar_trigger = std::move(grammar->trigger);
      generation.constraint_vocabulary = vocabulary_;
    }
    return active;
  }

  // Adds a prepared job to the batch in `cache`, which holds the first `attached` positions of its
  // prompt; the error that refuses it otherwise.
  Status Place(std::unique_ptr<Active> active, engine::KvBlockPool::Start start) {
    active->cache = std::move(start.cache);
    load_.prompt_tokens_reused += static_cast<int64_t>(start.attached);
    load_.prompt_tokens_computed += static_cast<int64_t>(active->prompt.size() - start.attached);
    engine::GenerationRequest& generation = active->generation;
    generation.prompt.assign(active->prompt.begin() + static_cast<std::ptrdiff_t>(start.attached), active->prompt.end());
    Active* raw = active.get();
    engine::GenerationCallbacks callbacks;
    callbacks.on_piece = [this, raw](std::string_view piece) { OnPiece(*raw, piece); };
    try {
      batch_->Add(*active->cache, std::move(generation), std::move(callbacks),
                  [this, raw](engine::GenerationResult generated, std::exception_ptr error) {
                    Complete(*raw, std::move(generated), error);
                  });
    } catch (const engine::EngineError& error) {
      return EngineFailure(error);
    }
    active_.push_back(std::move(active));
    return Status::Ok();
  }

  void OnPiece(Active& active, std::string_view piece) {
    if (piece.empty()) return;
    if (active.first_piece) {
      active.first_piece = false;
      active.result.time_to_first_token_ms = MillisSince(active.job->queued_at);
    }
    Deliver(active, active.with_tools ? active.tool_calls.Push(piece) : std::string(piece));
  }

  static void Deliver(Active& active, std::string_view text) {
    if (text.empty()) return;
    active.result.content.append(text);
    if (active.job->callbacks.on_delta) active.job->callbacks.on_delta(text);
  }

  // The batch finished a job: its cache's blocks go back to the pool (whole ones stay cached for a
  // later prompt), and the caller gets the reply.
  void Complete(Active& active, engine::GenerationResult generated, std::exception_ptr error) {
    Result<ChatResult> outcome = Finish(active, generated, error);
    std::shared_ptr<Job> job = active.job;
    std::erase_if(active_, [&](const std::unique_ptr<Active>& a) { return a.get() == &active; });
    load_.running = static_cast<int64_t>(active_.size());  // before the caller hears of it
    job->callbacks.on_done(std::move(outcome));
  }

  Result<ChatResult> Finish(Active& active, const engine::GenerationResult& generated, std::exception_ptr error) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const engine::EngineError& engine_error) {
        return EngineFailure(engine_error);
      } catch (const std::exception& other) {
        return Status(StatusCode::kInternal, "provider " + info_.name + ": " + other.what());
      }
    }
    ChatResult& result = active.result;
    if (active.with_tools) {
      ToolCallFilter::Finished finished = active.tool_calls.Finish();
      Deliver(active, finished.text);
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
    result.usage.prompt_tokens = static_cast<int64_t>(active.prompt.size());
    result.usage.completion_tokens = generated.generated_tokens;
    if (active.first_piece) result.time_to_first_token_ms = MillisSince(active.job->queued_at);
    result.total_ms = MillisSince(active.job->queued_at);
    return std::move(result);
  }

  // The engine thread: takes queued jobs while fewer than cache_slots run, and steps the batch
  // while anything runs. A job whose prompt prefix a running job is still computing waits for its
  // blocks, so requests that arrive together with one character's prompt compute it once. A job
  // cancelled before it runs never runs; one cancelled while running ends at its next step. On
  // shutdown it finishes what is queued and running, then returns.
  void Run() {
    for (;;) {
      std::vector<std::shared_ptr<Job>> taken;
      {
        std::unique_lock lock(mutex_);
        if (active_.empty() && waiting_.empty()) {
          ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
          if (queue_.empty()) return;
        }
        while (!queue_.empty() && active_.size() + taken.size() + waiting_.size() < MaxRunning()) {
          taken.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      for (const std::shared_ptr<Job>& job : taken) {
        if (job->Stopped()) {
          EndUnstarted(*job);
          continue;
        }
        Result<std::unique_ptr<Active>> prepared = Status(StatusCode::kInternal, "not run");
        try {
          prepared = Prepare(job);
        } catch (const std::exception& error) {
          prepared = Status(StatusCode::kInternal, "provider " + info_.name + ": " + error.what());
        }
        if (!prepared.ok()) {
          job->callbacks.on_done(prepared.status());
          continue;
        }
        waiting_.push_back(std::move(*prepared));
      }
      PlaceWaiting();
      for (const std::unique_ptr<Active>& active : active_) {
        if (active->job->Stopped()) active->cancel = true;
      }
      if (!active_.empty()) {
        ++load_.steps;  // before: the step's callbacks may tell callers their request is done
        batch_->Step();
        load_.last_step_sequences = static_cast<int64_t>(batch_->last_step_sequences());
        load_.last_step_tokens = static_cast<int64_t>(batch_->last_step_tokens());
        load_.draft_proposed = static_cast<int64_t>(batch_->draft_proposed());
        load_.draft_accepted = static_cast<int64_t>(batch_->draft_accepted());
      }
      load_.running = static_cast<int64_t>(active_.size());
      load_.waiting = static_cast<int64_t>(waiting_.size());
    }
  }

  // Places waiting jobs, in arrival order, whose prefix no running job is about to compute (all of
  // them when nothing runs) and whose blocks the pool can promise; one the pool cannot serve yet
  // holds back those behind it, so a long request is not passed over for ever.
  void PlaceWaiting() {
    for (auto it = waiting_.begin(); it != waiting_.end() && active_.size() < MaxRunning();) {
      Active& next = **it;
      if (next.job->Stopped()) {  // cancelled while it waited: it never runs
        const std::shared_ptr<Job> job = next.job;
        it = waiting_.erase(it);
        EndUnstarted(*job);
        continue;
      }
      if (!active_.empty() && ShouldWait(next.prompt)) {
        ++it;
        continue;
      }
      engine::KvBlockPool::Start start;
      Status placed = Status::Ok();
      try {
        const auto positions = static_cast<uint32_t>(next.prompt.size() + static_cast<size_t>(next.generation.max_tokens));
        start = pool_->StartSequence(next.prompt, static_cast<uint32_t>(next.prompt.size() - 1), positions);
        if (!start.cache && active_.empty()) {
          placed = Status(StatusCode::kResourceExhausted, "provider " + info_.name + ": the KV cache has no room");
        }
      } catch (const engine::EngineError& error) {
        placed = EngineFailure(error);
      }
      if (placed.ok() && !start.cache) break;  // memory: wait for a running job to end
      std::unique_ptr<Active> active = std::move(*it);
      it = waiting_.erase(it);
      const std::shared_ptr<Job> job = active->job;
      if (placed.ok()) {
        try {
          placed = Place(std::move(active), std::move(start));
        } catch (const std::exception& error) {
          placed = Status(StatusCode::kInternal, "provider " + info_.name + ": " + error.what());
        }
      }
      if (!placed.ok()) job->callbacks.on_done(std::move(placed));
    }
  }

  // Ends a job cancelled before it ran.
  void EndUnstarted(Job& job) {
    ChatResult cancelled;
    cancelled.finish_reason = FinishReason::kCancelled;
    cancelled.total_ms = cancelled.time_to_first_token_ms = MillisSince(job.queued_at);
    job.callbacks.on_done(std::move(cancelled));
  }

  // Whether `prompt` should wait: a running job's prompt shares more than kMinSharedGain tokens
  // with it beyond what cached blocks hold so far.
  bool ShouldWait(std::span<const int32_t> prompt) const {
    const size_t cached = pool_->CachedPrefix(prompt);
    return std::any_of(active_.begin(), active_.end(), [&](const std::unique_ptr<Active>& running) {
      const std::vector<int32_t>& other = running->prompt;
      const auto shared = static_cast<size_t>(
          std::mismatch(other.begin(), other.end(), prompt.begin(), prompt.end()).first - other.begin());
      return shared > cached + kMinSharedGain;
    });
  }

  size_t MaxRunning() const { return static_cast<size_t>(std::max(options_.cache_slots, 1)); }

  // Waiting pays when another job is about to compute at least this many of a prompt's tokens.
  static constexpr size_t kMinSharedGain = 16;

  std::shared_ptr<engine::Model> model_;
  std::shared_ptr<engine::Model> draft_;  // null without speculative decoding
  LocalProviderOptions options_;
  ProviderInfo info_;
  std::vector<std::string> turn_ends_;
  std::shared_ptr<engine::KvBlockPool> pool_;
  std::deque<std::unique_ptr<Active>> waiting_;  // prepared, waiting for a shared prefix (engine thread)
  // The vocabulary's trie for constrained replies, made on the first one (engine thread only).
  std::shared_ptr<const engine::ConstraintVocabulary> vocabulary_;

  // What engine_load reports, written by the engine thread.
  struct LoadCounters {
    std::atomic<int64_t> waiting{0}, running{0}, last_step_sequences{0}, last_step_tokens{0}, steps{0};
    std::atomic<int64_t> prompt_tokens_reused{0}, prompt_tokens_computed{0};
    std::atomic<int64_t> draft_proposed{0}, draft_accepted{0};
  };
  LoadCounters load_;

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::shared_ptr<Job>> queue_;  // guarded by mutex_
  std::vector<std::unique_ptr<Active>> active_;  // engine thread only
  std::unique_ptr<engine::BatchGenerator> batch_;  // engine thread only
  bool stopping_ = false;   // guarded by mutex_
  std::thread engine_thread_;
};

}  // namespace

Result<std::unique_ptr<Provider>> MakeLocalProvider(std::shared_ptr<LocalModel> model, LocalProviderOptions options) {
  std::shared_ptr<engine::Model> engine_model = LocalModelAccess::EngineModel(*model);
  const std::optional<engine::KvCacheType> type = engine::ParseKvCacheType(options.kv_cache_type);
  if (!type) {
    return Status(StatusCode::kInvalidArgument, "model.kv_cache_type: '" + options.kv_cache_type + "' is not f16 or q8_0",
                  "model.kv_cache_type");
  }
  // Errors name the setting at fault.
  std::string setting = "model.kv_cache_bytes";
  try {
    const engine::Transformer& transformer = engine_model->transformer();
    uint64_t budget = options.kv_cache_bytes;
    if (budget == 0) {
      // Room for every running request's whole context, the most they can hold at once.
      const uint64_t context = std::min<uint64_t>(static_cast<uint64_t>(std::max<int64_t>(options.context_length, 1)),
                                                  transformer.spec().context_length);
      const uint64_t blocks = (context + engine::KvBlockPool::kBlockPositions - 1) / engine::KvBlockPool::kBlockPositions;
      budget = static_cast<uint64_t>(std::max(options.cache_slots, 1)) * blocks * engine::KvBlockBytes(transformer, *type);
    }
    auto pool = engine::NewKvBlockPool(transformer, {budget, *type});
    setting = "model.draft_path";
    std::shared_ptr<engine::Model> draft;
    if (options.draft) {
      draft = LocalModelAccess::EngineModel(*options.draft);
      // The batch generator refuses a draft whose vocabulary differs, or one loaded vocab_only.
      draft->transformer();
    }
    return std::unique_ptr<Provider>(std::make_unique<LocalProvider>(std::move(engine_model), std::move(options),
                                                                     std::move(pool), std::move(draft)));
  } catch (const engine::EngineError& error) {
    const Status status = StatusFromEngineError(error);
    return Status(status.code(), "provider " + options.name + ": " + status.message(), setting);
  }
}

}  // namespace troupe::llm
