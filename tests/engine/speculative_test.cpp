// Speculative decoding on the shared models: with a draft of the same vocabulary (the Q4_0 and Q8_0
// files quantized from the same master as the F16 one), greedy output equals plain greedy decoding
// token for token, with stop strings and max tokens too, and the main model agrees with part of
// what the draft proposes, so it runs fewer passes than tokens; a draft that is the model itself
// has every proposal accepted; sampling and a foreign vocabulary are refused. The batch generator
// takes speculative steps for a greedy sequence running alone and plain steps with company, with
// the tokens of plain decoding either way.
#include "engine/speculative.h"

#include "engine/batch_generator.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/error.h"
#include "engine/shared_model.h"

namespace troupe::engine {
namespace {

GenerationRequest Greedy(Model& model, const std::string& text, int32_t max_tokens) {
  GenerationRequest request;
  request.prompt = model.Tokenize(text, true, false);
  request.sampling = GreedyParams();
  request.max_tokens = max_tokens;
  request.stop_on_end_of_generation = false;
  return request;
}

TEST(SpeculativeTest, GreedyOutputEqualsPlainDecodingAndTakesFewerPasses) {
  Model& main = SharedModel("models/synthetic/tiny-llama-spm-F16.gguf");
  for (const char* draft_file : {"models/synthetic/tiny-llama-spm-Q4_0.gguf", "models/synthetic/tiny-llama-spm-Q8_0.gguf"}) {
    SCOPED_TRACE(draft_file);
    Model& draft = SharedModel(draft_file);
    uint32_t passes = 0;
    uint32_t tokens = 0;
    for (const char* text : {"Hello, my name is", "1 2 3 4"}) {
      SCOPED_TRACE(text);
      GenerationRequest request = Greedy(main, text, 32);
      if (std::string(text) == "1 2 3 4") request.stop_strings = {"5"};
      const GenerationResult plain = main.Generate(*main.NewSequence(256), request);
      for (int k : {1, 5}) {
        SpeculativeStats stats;
        std::string streamed;
        GenerationCallbacks callbacks;
        callbacks.on_piece = [&](std::string_view piece) { streamed += piece; };
        const GenerationResult fast =
            GenerateSpeculative(main.transformer(), draft.transformer(), main.tokenizer(), *main.NewSequence(256),
                                *draft.NewSequence(256), request, callbacks, SpeculativeOptions{.draft_tokens = k}, &stats);
        EXPECT_EQ(fast.tokens, plain.tokens) << "k " << k;
        EXPECT_EQ(fast.text, plain.text);
        EXPECT_EQ(streamed, plain.text);
        EXPECT_EQ(fast.stop_reason, plain.stop_reason);
        EXPECT_LE(stats.accepted, stats.proposed);
        passes += stats.passes;
        tokens += static_cast<uint32_t>(fast.tokens.size());
      }
    }
    EXPECT_LT(passes, tokens);  // some proposals were kept
  }
}

TEST(SpeculativeTest, TheBatchSpeculatesForAGreedySequenceAloneAndBatchesOtherwise) {
  Model& main = SharedModel("models/synthetic/tiny-llama-spm-F16.gguf");
  Model& draft = SharedModel("models/synthetic/tiny-llama-spm-Q8_0.gguf");
  GenerationRequest greedy = Greedy(main, "Hello, my name is", 40);
  GenerationRequest sampled = Greedy(main, "1 2 3 4", 12);
  sampled.sampling.temperature = 0.8f;
  sampled.sampling.seed = 9;
  const GenerationResult plain_greedy = main.Generate(*main.NewSequence(256), greedy);
  const GenerationResult plain_sampled = main.Generate(*main.NewSequence(256), sampled);

  BatchGenerator batch(main.transformer(), main.tokenizer(),
                       BatchOptions{.max_step_tokens = 64, .draft = &draft.transformer(), .draft_tokens = 4});
  std::unique_ptr<KvCache> greedy_cache = main.NewSequence(256);
  std::unique_ptr<KvCache> sampled_cache = main.NewSequence(256);
  std::optional<GenerationResult> greedy_result, sampled_result;
  batch.Add(*greedy_cache, greedy, {}, [&](GenerationResult result, std::exception_ptr error) {
    ASSERT_FALSE(error);
    greedy_result = std::move(result);
  });
  // Company for the first steps: plain batched steps, no proposals.
  batch.Add(*sampled_cache, sampled, {}, [&](GenerationResult result, std::exception_ptr error) {
    ASSERT_FALSE(error);
    sampled_result = std::move(result);
  });
  batch.Step();
  batch.Step();
  EXPECT_EQ(batch.draft_proposed(), 0u);
  size_t steps = 2;
  while (batch.Step() > 0) ++steps;
  ASSERT_TRUE(greedy_result && sampled_result);
  EXPECT_EQ(greedy_result->tokens, plain_greedy.tokens);
  EXPECT_EQ(greedy_result->text, plain_greedy.text);
  EXPECT_EQ(sampled_result->tokens, plain_sampled.tokens);
  // Alone after the sampled one ended, the greedy one speculated (the draft caught up on what it
  // had missed), and kept some proposals: fewer steps than tokens.
  EXPECT_GT(batch.draft_proposed(), 0u);
  EXPECT_GT(batch.draft_accepted(), 0u);
  EXPECT_LT(steps, greedy_result->tokens.size());

  Model& foreign = SharedModel("models/stories260K.gguf");
  EXPECT_THROW(BatchGenerator(main.transformer(), main.tokenizer(), BatchOptions{.draft = &foreign.transformer()}),
               EngineError);
}

TEST(SpeculativeTest, ADraftThatIsTheModelHasEveryProposalAccepted) {
  Model& main = SharedModel("models/stories260K.gguf");
  const GenerationRequest request = Greedy(main, "Once upon a time", 30);
  const GenerationResult plain = main.Generate(*main.NewSequence(128), request);
  SpeculativeStats stats;
  const GenerationResult fast = GenerateSpeculative(main.transformer(), main.transformer(), main.tokenizer(),
                                                    *main.NewSequence(128), *main.NewSequence(128), request, {},
                                                    SpeculativeOptions{.draft_tokens = 4}, &stats);
  EXPECT_EQ(fast.tokens, plain.tokens);
  EXPECT_GT(stats.proposed, 0u);
  // Every pass keeps all four proposals and adds one of its own; only the last, cut by max_tokens,
  // may leave some unchecked.
  EXPECT_GE(stats.accepted + 4, stats.proposed);
  EXPECT_LE(stats.passes, (plain.tokens.size() + 4) / 5 + 1);
}

TEST(SpeculativeTest, SamplingAndAForeignVocabularyAreRefused) {
  Model& main = SharedModel("models/stories260K.gguf");
  GenerationRequest request = Greedy(main, "Once", 4);
  request.sampling.temperature = 0.8f;
  EXPECT_THROW(GenerateSpeculative(main.transformer(), main.transformer(), main.tokenizer(), *main.NewSequence(64),
                                   *main.NewSequence(64), request),
               EngineError);
  Model& other = SharedModel("models/synthetic/tiny-llama-spm-Q4_0.gguf");
  request.sampling = GreedyParams();
  EXPECT_THROW(GenerateSpeculative(main.transformer(), other.transformer(), main.tokenizer(), *main.NewSequence(64),
                                   *other.NewSequence(64), request),
               EngineError);
}

}  // namespace
}  // namespace troupe::engine
