// The local provider on real models: stories260K (a tiny llama that writes children's stories)
// and a synthetic qwen2 carrying Qwen's real chat template with tools. What is checked is
// structure and exact numbers (token counts, determinism, where replies end), never prose.
#include "llm/local_provider_fixture.h"

#include <atomic>

#include "engine/kv_pool.h"

namespace troupe::llm {
namespace {

TEST_F(LocalProviderTest, DeltasConcatenateToTheReplyAndUsageIsExact) {
  std::unique_ptr<Provider> provider = Make();
  EXPECT_EQ(provider->info().name, "tiny");
  EXPECT_EQ(provider->info().kind, "local");
  EXPECT_EQ(provider->info().context_length, 512);
  const ChatRequest request = Ask("Once upon a time, there was a little girl named Lily.", 20);
  Streamed streamed = Run(*provider, request);
  ASSERT_TRUE(streamed.result.ok()) << streamed.result.status().ToString();
  const ChatResult& result = *streamed.result;
  EXPECT_FALSE(result.content.empty());
  EXPECT_EQ(streamed.deltas, result.content);
  EXPECT_GT(streamed.delta_count, 1);
  EXPECT_EQ(result.usage.prompt_tokens, static_cast<int64_t>(PromptTokens(request.messages)));
  if (result.finish_reason == FinishReason::kLength) {
    EXPECT_EQ(result.usage.completion_tokens, 20);
  } else {
    EXPECT_EQ(result.finish_reason, FinishReason::kStop);
    EXPECT_LE(result.usage.completion_tokens, 20);
  }
  EXPECT_GT(result.time_to_first_token_ms, 0);
  EXPECT_LE(result.time_to_first_token_ms, result.total_ms);
}

TEST_F(LocalProviderTest, GreedyRepliesAreTheSameEveryTimeAndSeedsRepeat) {
  std::unique_ptr<Provider> provider = Make();
  const ChatRequest request = Ask("The dog ran to the park.", 30);
  Streamed first = Run(*provider, request);
  Streamed again = Run(*provider, request);  // from a reused cache slot
  Streamed fresh = Run(*Make(), request);
  ASSERT_TRUE(first.result.ok() && again.result.ok() && fresh.result.ok());
  EXPECT_EQ(again.result->content, first.result->content);
  EXPECT_EQ(fresh.result->content, first.result->content);

  ChatRequest sampled = request;
  sampled.sampling.temperature = 0.9;
  sampled.sampling.top_k = 40;
  sampled.sampling.seed = 1234;
  Streamed one = Run(*provider, sampled);
  Streamed two = Run(*Make(), sampled);
  ASSERT_TRUE(one.result.ok() && two.result.ok());
  EXPECT_EQ(one.result->content, two.result->content);
}

TEST_F(LocalProviderTest, MaxTokensEndsTheReplyWithLength) {
  std::unique_ptr<Provider> provider = Make();
  ChatRequest request = Ask("Tom had a red ball.", 3);
  request.stop.clear();
  Streamed streamed = Run(*provider, request);
  ASSERT_TRUE(streamed.result.ok());
  EXPECT_EQ(streamed.result->finish_reason, FinishReason::kLength);
  EXPECT_EQ(streamed.result->usage.completion_tokens, 3);
}

TEST_F(LocalProviderTest, AStopStringEndsTheReplyBeforeIt) {
  std::unique_ptr<Provider> provider = Make();
  const ChatRequest request = Ask("Once upon a time, there was a little girl named Lily.", 40);
  Streamed whole = Run(*provider, request);
  ASSERT_TRUE(whole.result.ok());
  const std::string& text = whole.result->content;
  ASSERT_GE(text.size(), 20u) << text;
  const std::string stop = text.substr(text.size() / 2, 4);
  ChatRequest stopped = request;
  stopped.stop = {stop};
  Streamed cut = Run(*provider, stopped);
  ASSERT_TRUE(cut.result.ok());
  EXPECT_EQ(cut.result->content, text.substr(0, text.find(stop)));
  EXPECT_EQ(cut.deltas, cut.result->content);
  EXPECT_EQ(cut.result->finish_reason, FinishReason::kStop);
}

TEST_F(LocalProviderTest, CancellingFromAnotherThreadStopsWithinAToken) {
  std::unique_ptr<Provider> provider = Make();
  std::atomic<bool> cancel{false};
  ChatRequest request = Ask("Once upon a time", 400);
  request.cancel = &cancel;
  Gate first_delta;
  Gate cancelled;
  std::thread canceller([&] {
    first_delta.Wait();
    cancel.store(true);
    cancelled.Open();
  });
  std::string deltas;
  ChatCallbacks callbacks;
  callbacks.on_delta = [&](std::string_view delta) {
    if (deltas.empty()) {
      first_delta.Open();
      cancelled.Wait();  // the flag is set before the engine takes its next step
    }
    deltas += delta;
  };
  Result<ChatResult> result = provider->Chat(request, callbacks);
  canceller.join();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->finish_reason, FinishReason::kCancelled);
  EXPECT_EQ(result->content, deltas);
  EXPECT_LE(result->usage.completion_tokens, 2);
}

// Holds the engine thread inside a request until released.
class BusyEngine {
 public:
  explicit BusyEngine(Provider& provider) {
    thread_ = std::thread([this, &provider] {
      ChatCallbacks callbacks;
      callbacks.on_delta = [this](std::string_view) {
        if (!entered_) {
          entered_ = true;
          inside_.Open();
          release_.Wait();
        }
      };
      result_ = provider.Chat(Ask("Lily saw a bird.", 4), callbacks);
    });
    inside_.Wait();
  }
  ~BusyEngine() { Release(); }
  void Release() {
    release_.Open();
    if (thread_.joinable()) thread_.join();
  }
  const Result<ChatResult>& result() const { return result_; }

 private:
  Gate inside_;
  Gate release_;
  bool entered_ = false;  // engine thread only
  Result<ChatResult> result_ = Status(StatusCode::kInternal, "not run");
  std::thread thread_;
};

TEST_F(LocalProviderTest, ACancelledRequestWaitingInTheQueueNeverRuns) {
  std::unique_ptr<Provider> provider = Make();
  BusyEngine busy(*provider);
  std::atomic<bool> cancel{true};
  ChatRequest request = Ask("This never runs.", 10);
  request.cancel = &cancel;
  Streamed waiting;
  std::thread queued([&] { waiting = Run(*provider, request); });
  busy.Release();
  queued.join();
  ASSERT_TRUE(busy.result().ok());
  ASSERT_TRUE(waiting.result.ok()) << waiting.result.status().ToString();
  EXPECT_EQ(waiting.result->finish_reason, FinishReason::kCancelled);
  EXPECT_EQ(waiting.result->usage.prompt_tokens, 0);
  EXPECT_EQ(waiting.result->usage.completion_tokens, 0);
  EXPECT_EQ(waiting.delta_count, 0);
}

TEST_F(LocalProviderTest, AFullQueueRefusesWithResourceExhausted) {
  LocalProviderOptions options;
  options.max_queued = 1;
  std::unique_ptr<Provider> provider = Make(options);
  BusyEngine busy(*provider);
  // Two more requests while the engine is busy and the queue holds one: exactly one is refused,
  // at once; the other waits its turn and runs.
  std::mutex mutex;
  std::condition_variable returned;
  std::vector<Result<ChatResult>> results;
  std::vector<std::thread> callers;
  for (int i = 0; i < 2; ++i) {
    callers.emplace_back([&] {
      Result<ChatResult> result = provider->Chat(Ask("Tom was happy.", 4), {});
      std::lock_guard lock(mutex);
      results.push_back(std::move(result));
      returned.notify_all();
    });
  }
  {
    std::unique_lock lock(mutex);
    returned.wait(lock, [&] { return !results.empty(); });
    ASSERT_FALSE(results[0].ok());
    EXPECT_EQ(results[0].status().code(), StatusCode::kResourceExhausted);
    EXPECT_THAT(results[0].status().message(), HasSubstr("provider tiny has 1 requests waiting"));
  }
  busy.Release();
  for (std::thread& caller : callers) caller.join();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[1].ok()) << results[1].status().ToString();
}

TEST_F(LocalProviderTest, ConcurrentCallersAllGetTheirOwnReplies) {
  const std::vector<std::string> prompts = {"The cat sat.", "A big tree grew.", "Sue liked cake.", "The sun was hot.",
                                            "Ben found a box."};
  std::vector<std::string> alone;
  {
    std::unique_ptr<Provider> reference = Make();
    for (const std::string& prompt : prompts) {
      Result<ChatResult> result = reference->Chat(Ask(prompt, 16), {});
      ASSERT_TRUE(result.ok());
      alone.push_back(result->content);
    }
  }
  LocalProviderOptions options;
  options.cache_slots = 2;  // fewer slots than callers: slots are evicted and reused
  std::unique_ptr<Provider> provider = Make(options);
  std::vector<std::string> together(prompts.size());
  std::vector<std::thread> callers;
  for (size_t i = 0; i < prompts.size(); ++i) {
    callers.emplace_back([&, i] {
      Streamed streamed = Run(*provider, Ask(prompts[i], 16));
      together[i] = streamed.result.ok() && streamed.deltas == streamed.result->content
                        ? streamed.result->content
                        : "failed: " + streamed.result.status().ToString();
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(together, alone);
}

// Many callers at once, a third of them cancelling after their first delta and one in five
// cancelled before it runs: every call ends exactly once, the survivors' replies equal what they
// get alone, and nothing leaks or races (this runs under ASan and TSan).
TEST_F(LocalProviderTest, ManyCallersWithCancellationsAllEndOnceAndTheRestAreUntouched) {
  LocalProviderOptions options;
  options.cache_slots = 4;
  options.max_queued = 64;
  std::unique_ptr<Provider> provider = Make(options);
  const std::vector<std::string> prompts = {"The cat sat.", "A big tree grew.", "Sue liked cake.", "Ben found a box."};
  std::vector<std::string> alone;
  for (const std::string& prompt : prompts) alone.push_back(provider->Chat(Ask(prompt, 12), {})->content);

  constexpr int kCalls = 24;
  std::vector<Streamed> outcomes(kCalls);
  std::vector<int> ends(kCalls, 0);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCalls; ++i) {
    callers.emplace_back([&, i] {
      std::atomic<bool> cancel{i % 5 == 4};
      ChatRequest request = Ask(prompts[static_cast<size_t>(i) % prompts.size()], 12);
      request.cancel = &cancel;
      ChatCallbacks callbacks;
      callbacks.on_delta = [&, i](std::string_view delta) {
        outcomes[static_cast<size_t>(i)].deltas += delta;
        if (i % 3 == 1) cancel = true;
      };
      outcomes[static_cast<size_t>(i)].result = provider->Chat(request, callbacks);
      ++ends[static_cast<size_t>(i)];
    });
  }
  for (std::thread& caller : callers) caller.join();
  for (int i = 0; i < kCalls; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(ends[static_cast<size_t>(i)], 1);
    const Streamed& outcome = outcomes[static_cast<size_t>(i)];
    ASSERT_TRUE(outcome.result.ok()) << outcome.result.status().ToString();
    EXPECT_EQ(outcome.deltas, outcome.result->content);
    const std::string& reference = alone[static_cast<size_t>(i) % prompts.size()];
    if (i % 5 == 4) {
      EXPECT_EQ(outcome.result->finish_reason, FinishReason::kCancelled);
      EXPECT_EQ(outcome.result->content, "");
    } else if (i % 3 == 1) {
      // Cancelled at its next step, unless the first delta came with its last token.
      EXPECT_EQ(reference.rfind(outcome.result->content, 0), 0u) << outcome.result->content;
      if (outcome.result->finish_reason != FinishReason::kCancelled) {
        EXPECT_EQ(outcome.result->content, reference);
      }
    } else {
      EXPECT_EQ(outcome.result->content, reference);
    }
  }
  EXPECT_EQ(provider->engine_load()->running, 0);
}

TEST_F(LocalProviderTest, ANextTurnReusingTheCachedPrefixMatchesAFreshRun) {
  LocalProviderOptions options;
  options.cache_slots = 1;
  std::unique_ptr<Provider> provider = Make(options);
  ChatRequest turn = Ask("Lily had a doll.", 16);
  Result<ChatResult> first = provider->Chat(turn, {});
  ASSERT_TRUE(first.ok());
  turn.messages.push_back({"assistant", first->content, "", {}, ""});
  turn.messages.push_back({"user", "What did she do?", "", {}, ""});
  Result<ChatResult> second = provider->Chat(turn, {});
  Result<ChatResult> fresh = Make()->Chat(turn, {});
  ASSERT_TRUE(second.ok() && fresh.ok());
  EXPECT_EQ(second->content, fresh->content);
  EXPECT_EQ(second->usage.prompt_tokens, fresh->usage.prompt_tokens);
}

// A small KV budget: requests wait for blocks rather than fail, cached blocks are evicted to make
// room, replies stay those of a provider with room to spare, and a request larger than the whole
// budget is refused by name.
TEST_F(LocalProviderTest, ASmallKvBudgetServesEveryoneAndRefusesWhatCanNeverFit) {
  const std::vector<std::string> prompts = {"The cat sat.", "A big tree grew.", "Sue liked cake.", "Ben found a box.",
                                            "Tom ran home.", "The sun was hot."};
  std::vector<std::string> alone;
  std::unique_ptr<Provider> roomy = Make();
  for (const std::string& prompt : prompts) alone.push_back(roomy->Chat(Ask(prompt, 24), {})->content);

  LocalProviderOptions options;
  options.cache_slots = 4;
  const uint64_t block = engine::KvBlockBytes(model_->transformer(), engine::KvCacheType::kF16);
  options.kv_cache_bytes = 8 * block;  // room for two or three of these requests at once
  std::unique_ptr<Provider> provider = Make(options);
  for (int round = 0; round < 2; ++round) {
    std::vector<std::string> together(prompts.size());
    std::vector<std::thread> callers;
    for (size_t i = 0; i < prompts.size(); ++i) {
      callers.emplace_back([&, i] {
        Result<ChatResult> result = provider->Chat(Ask(prompts[i], 24), {});
        together[i] = result.ok() ? result->content : "failed: " + result.status().ToString();
      });
    }
    for (std::thread& caller : callers) caller.join();
    EXPECT_EQ(together, alone) << "round " << round;
  }
  const EngineLoad load = *provider->engine_load();
  EXPECT_EQ(load.kv_blocks_capacity, 8);
  EXPECT_GT(load.kv_blocks_evicted, 0);
  EXPECT_EQ(load.kv_blocks_used, 0);
  EXPECT_EQ(load.kv_blocks_reserved, 0);

  Result<ChatResult> huge = provider->Chat(Ask("The cat sat.", 400), {});
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(huge.status().message(), HasSubstr("model.kv_cache_bytes"));
}

// A request waiting for KV memory that is cancelled ends at once, not when the memory frees.
TEST_F(LocalProviderTest, ARequestCancelledWhileWaitingForMemoryEndsBeforeTheOneHoldingIt) {
  LocalProviderOptions options;
  options.cache_slots = 4;
  options.kv_cache_bytes = 24 * engine::KvBlockBytes(model_->transformer(), engine::KvCacheType::kF16);
  std::unique_ptr<Provider> provider = Make(options);
  std::atomic<bool> cancel_second{false};
  std::mutex mutex;
  std::vector<std::string> ends;
  Gate both_done;
  const auto record = [&](std::string name) {
    return [&, name](Result<ChatResult> result) {
      std::lock_guard lock(mutex);
      ends.push_back(name + (result.ok() && result->finish_reason == FinishReason::kCancelled ? " cancelled" : ""));
      if (ends.size() == 2) both_done.Open();
    };
  };
  ChatCallbacks first_callbacks;
  first_callbacks.on_delta = [&](std::string_view) { cancel_second = true; };
  first_callbacks.on_done = record("first");
  ChatRequest first = Ask("Lily had a doll.", 300);  // 19 of the 24 blocks
  ChatRequest second = Ask("Tom had a ball.", 300);
  second.cancel = &cancel_second;
  ChatCallbacks second_callbacks;
  second_callbacks.on_done = record("second");
  std::shared_ptr<ChatCall> one = provider->Start(first, first_callbacks);
  std::shared_ptr<ChatCall> two = provider->Start(second, second_callbacks);
  both_done.Wait();
  EXPECT_THAT(ends, ::testing::ElementsAre("second cancelled", "first"));
}

// model.draft_path: a draft with the model's vocabulary (here the model itself, so every proposal
// is kept) changes the steps, not the reply; one with another vocabulary is refused by name.
TEST_F(LocalProviderTest, ADraftModelSpeculatesWithoutChangingTheReply) {
  const ChatRequest request = Ask("Lily had a doll.", 40);
  Result<ChatResult> plain = Make()->Chat(request, {});
  LocalProviderOptions options;
  options.draft = LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf").value();
  options.draft_tokens = 3;
  std::unique_ptr<Provider> provider = Make(options);
  Result<ChatResult> fast = provider->Chat(request, {});
  ASSERT_TRUE(plain.ok() && fast.ok());
  EXPECT_EQ(fast->content, plain->content);
  EXPECT_EQ(fast->usage.completion_tokens, plain->usage.completion_tokens);
  const EngineLoad load = *provider->engine_load();
  EXPECT_GT(load.draft_tokens_proposed, 0);
  EXPECT_EQ(load.draft_tokens_accepted, load.draft_tokens_proposed);
  EXPECT_LT(load.steps, fast->usage.completion_tokens);

  options.draft = LocalModel::Load(::troupe::testing::SharedDir() / "models/synthetic/tiny-llama-spm-Q4_0.gguf").value();
  Result<std::unique_ptr<Provider>> foreign = MakeLocalProvider(local_, options);
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(foreign.status().message(), HasSubstr("vocabulary"));
  EXPECT_EQ(foreign.status().field(), "model.draft_path");
}

TEST_F(LocalProviderTest, KvCacheSettingsAreCheckedWhenTheProviderIsMade) {
  LocalProviderOptions options;
  options.kv_cache_type = "q4_0";
  Result<std::unique_ptr<Provider>> made = MakeLocalProvider(local_, options);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(made.status().message(), HasSubstr("q4_0"));
  options.kv_cache_type = "q8_0";  // stories260K's heads are 8 wide
  made = MakeLocalProvider(local_, options);
  ASSERT_FALSE(made.ok());
  EXPECT_THAT(made.status().message(), HasSubstr("multiples of 32"));
  options.kv_cache_type = "f16";
  options.kv_cache_bytes = 100;
  made = MakeLocalProvider(local_, options);
  ASSERT_FALSE(made.ok());
  EXPECT_THAT(made.status().message(), HasSubstr("less than one block"));
}

TEST_F(LocalProviderTest, TokenCountsAreTheTokenizers) {
  std::unique_ptr<Provider> provider = Make();
  const std::string text = "Once upon a time, there was a little dog.";
  EXPECT_EQ(provider->CountTokens(text), static_cast<int64_t>(model_->Tokenize(text, false, false).size()));
  const std::vector<ChatMessage> messages = {{"system", "Tell a story.", "", {}, ""}, {"user", text, "", {}, ""}};
  EXPECT_EQ(provider->CountChatTokens(messages), static_cast<int64_t>(PromptTokens(messages)));
  ChatRequest request = Ask(text, 2);
  request.messages = messages;
  Result<ChatResult> result = provider->Chat(request, {});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->usage.prompt_tokens, provider->CountChatTokens(messages));
}

TEST_F(LocalProviderTest, APromptThatFillsTheContextIsRefusedNamingTheCounts) {
  LocalProviderOptions options;
  options.context_length = 64;
  std::unique_ptr<Provider> provider = Make(options);
  const ChatRequest request = Ask(std::string(400, 'a'));
  const int64_t tokens = provider->CountChatTokens(request.messages);
  ASSERT_GT(tokens, 64);
  Result<ChatResult> result = provider->Chat(request, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(),
              HasSubstr("provider tiny: the prompt is " + std::to_string(tokens) + " tokens and the context holds 64"));
}

TEST_F(LocalProviderTest, BadSamplingSettingsAreTheCallersError) {
  std::unique_ptr<Provider> provider = Make();
  ChatRequest request = Ask("Hi.", 4);
  request.sampling.temperature = 0.8;
  request.sampling.top_p = 2.0;
  Result<ChatResult> result = provider->Chat(request, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("top_p"));
  // The provider still works afterwards.
  EXPECT_TRUE(provider->Chat(Ask("Hi.", 4), {}).ok());
}

TEST_F(LocalProviderTest, TurnEndsComeFromEndOfGenerationTokens) {
  EXPECT_THAT(Make()->TurnEndStrings(), ::testing::Contains(std::string("</s>")));
}

// A qwen2 network with random weights and Qwen's real chat template (which renders tools), so the
// prompt side of tool calling runs for real.

TEST_F(QwenTemplateTest, TheTemplatesTurnEndIsAStopString) {
  EXPECT_THAT(Make()->TurnEndStrings(), ::testing::Contains(std::string("<|im_end|>")));
}

TEST_F(QwenTemplateTest, ToolsReachTheTemplateUnlessToolChoiceIsNone) {
  std::unique_ptr<Provider> provider = Make();
  ChatRequest request = Ask("What is the weather in Oslo?", 4);
  request.messages.insert(request.messages.begin(), {"system", "You help.", "", {}, ""});
  Result<ChatResult> plain = provider->Chat(request, {});
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();

  request.tools = {{"get_weather", "Weather for a city",
                    R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})"}};
  Result<ChatResult> with_tools = provider->Chat(request, {});
  ASSERT_TRUE(with_tools.ok()) << with_tools.status().ToString();

  engine::ChatTemplateInputs inputs;
  inputs.messages = nlohmann::ordered_json::array(
      {{{"role", "system"}, {"content", "You help."}}, {{"role", "user"}, {"content", "What is the weather in Oslo?"}}});
  inputs.tools = nlohmann::ordered_json::array(
      {{{"type", "function"},
        {"function",
         {{"name", "get_weather"},
          {"description", "Weather for a city"},
          {"parameters", nlohmann::ordered_json::parse(request.tools[0].parameters_json)}}}}});
  const engine::Model& engine_model = *LocalModelAccess::EngineModel(*model_);
  const std::string rendered = engine_model.RenderChat(inputs);
  EXPECT_THAT(rendered, HasSubstr("get_weather"));
  EXPECT_EQ(with_tools->usage.prompt_tokens, static_cast<int64_t>(engine_model.Tokenize(rendered, true, true).size()));
  EXPECT_GT(with_tools->usage.prompt_tokens, plain->usage.prompt_tokens);

  request.tool_choice = "none";
  Result<ChatResult> none = provider->Chat(request, {});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->usage.prompt_tokens, plain->usage.prompt_tokens);
}

TEST_F(QwenTemplateTest, AHistoryWithToolCallsAndResultsRenders) {
  std::unique_ptr<Provider> provider = Make();
  ChatRequest request = Ask("Weather in Oslo?", 4);
  request.tools = {{"get_weather", "", R"({"type":"object","properties":{"city":{"type":"string"}}})"}};
  request.messages.push_back({"assistant", "", "", {{"call_0", "get_weather", R"({"city":"Oslo"})"}}, ""});
  request.messages.push_back({"tool", "-3 C, snow", "", {}, "call_0"});
  Result<ChatResult> result = provider->Chat(request, {});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_GT(result->usage.prompt_tokens, provider->CountChatTokens({request.messages[0]}));
}

}  // namespace
}  // namespace troupe::llm
