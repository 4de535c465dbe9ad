// Continuous batching on the shared models: every sequence of a batch gets exactly the tokens and
// text Generate gives it alone (greedy and seeded sampling, stop strings, max tokens, a grammar),
// whether sequences start together or join mid-way; a long prompt is split over steps within the
// step budget while the others keep decoding; cancelling one leaves the others untouched; a
// ForwardBatch gives Forward's logits bit for bit.
#include "engine/batch_generator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/error.h"
#include "engine/json_schema.h"
#include "engine/shared_model.h"

namespace troupe::engine {
namespace {



std::vector<GenerationRequest> Requests(Model& model) {
  std::vector<GenerationRequest> requests;
  const char* prompts[] = {"Once upon a time", "The little dog", "Lily and Tom went to the park because the sun was out",
                           "A"};
  for (size_t i = 0; i < 4; ++i) {
    GenerationRequest request;
    request.prompt = model.Tokenize(prompts[i], true, false);
    request.max_tokens = 20 + static_cast<int32_t>(i) * 7;
    request.sampling = GreedyParams();
    if (i % 2 == 1) {
      request.sampling.temperature = 0.9f;
      request.sampling.seed = 40 + i;
    }
    if (i == 2) request.stop_strings = {"."};
    requests.push_back(std::move(request));
  }
  GenerationRequest constrained;
  constrained.prompt = model.Tokenize("Answer:", true, false);
  constrained.max_tokens = 60;
  constrained.sampling.seed = 5;
  constrained.grammar = JsonSchemaGrammar(nlohmann::ordered_json::parse(
      R"({"type": "object", "properties": {"n": {"type": "integer"}, "w": {"enum": ["a", "b"]}}, "required": ["n", "w"]})"));
  requests.push_back(std::move(constrained));
  return requests;
}

struct Alone {
  GenerationResult result;
  std::string streamed;
};

Alone RunAlone(Model& model, const GenerationRequest& request) {
  Alone alone;
  GenerationCallbacks callbacks;
  callbacks.on_piece = [&](std::string_view piece) { alone.streamed += piece; };
  alone.result = model.Generate(*model.NewSequence(256), request, callbacks);
  return alone;
}

struct Batched {
  std::unique_ptr<KvCache> cache;
  std::string streamed;
  std::optional<GenerationResult> result;
};

void AddTo(BatchGenerator& batch, Model& model, const GenerationRequest& request, Batched& out) {
  out.cache = model.NewSequence(256);
  GenerationCallbacks callbacks;
  callbacks.on_piece = [&out](std::string_view piece) { out.streamed += piece; };
  batch.Add(*out.cache, request, callbacks, [&out](GenerationResult result, std::exception_ptr error) {
    ASSERT_FALSE(error);
    out.result = std::move(result);
  });
}

TEST(BatchGeneratorTest, EverySequenceGetsWhatItGetsAlone) {
  for (const std::string file : {"models/stories260K.gguf", "models/synthetic/tiny-qwen2-bpe-Q4_K_M.gguf"}) {
    SCOPED_TRACE(file);
    Model& model = SharedModel(file);
    const std::vector<GenerationRequest> requests = Requests(model);
    std::vector<Alone> alone;
    for (const GenerationRequest& request : requests) alone.push_back(RunAlone(model, request));

    // All at once, then with two joining after a few steps.
    for (size_t join_after : {0u, 3u}) {
      SCOPED_TRACE("join after " + std::to_string(join_after));
      BatchGenerator batch(model.transformer(), model.tokenizer(), BatchOptions{.max_step_tokens = 64});
      std::vector<Batched> batched(requests.size());
      for (size_t i = 0; i < requests.size(); ++i) {
        if (join_after == 0 || i < 3) AddTo(batch, model, requests[i], batched[i]);
      }
      for (size_t step = 0; step < join_after; ++step) batch.Step();
      for (size_t i = 3; join_after > 0 && i < requests.size(); ++i) AddTo(batch, model, requests[i], batched[i]);
      while (batch.Step() > 0) {
      }
      for (size_t i = 0; i < requests.size(); ++i) {
        SCOPED_TRACE("sequence " + std::to_string(i));
        ASSERT_TRUE(batched[i].result.has_value());
        EXPECT_EQ(batched[i].result->tokens, alone[i].result.tokens);
        EXPECT_EQ(batched[i].result->text, alone[i].result.text);
        EXPECT_EQ(batched[i].result->stop_reason, alone[i].result.stop_reason);
        EXPECT_EQ(batched[i].streamed, alone[i].streamed);
      }
    }
  }
}

TEST(BatchGeneratorTest, ALongPromptIsSplitWhileOthersKeepDecoding) {
  Model& model = SharedModel("models/stories260K.gguf");
  BatchGenerator batch(model.transformer(), model.tokenizer(), BatchOptions{.max_step_tokens = 16});
  GenerationRequest talker;
  talker.prompt = model.Tokenize("Once", true, false);
  talker.max_tokens = 100;
  talker.sampling = GreedyParams();
  Batched first;
  AddTo(batch, model, talker, first);
  batch.Step();  // its prompt
  GenerationRequest reader = talker;
  std::string long_text;
  for (int i = 0; i < 10; ++i) long_text += "The cat sat on the mat. ";
  reader.prompt = model.Tokenize(long_text, true, false);
  ASSERT_GT(reader.prompt.size(), 60u);
  Batched second;
  AddTo(batch, model, reader, second);
  size_t pieces_before = first.result ? 0 : first.streamed.size();
  size_t steps = 0;
  while (second.streamed.empty() && batch.active() > 1) {
    batch.Step();
    ++steps;
    EXPECT_LE(batch.last_step_tokens(), 16u);
    EXPECT_EQ(batch.last_step_sequences(), 2u);
  }
  // The reader's prompt took several steps, and the talker streamed during each of them.
  EXPECT_GE(steps, reader.prompt.size() / 15);
  EXPECT_GT(first.streamed.size(), pieces_before);
}

TEST(BatchGeneratorTest, CancellingOneLeavesTheOthersAsTheyWouldBe) {
  Model& model = SharedModel("models/stories260K.gguf");
  std::vector<GenerationRequest> requests = Requests(model);
  requests.resize(3);
  const Alone untouched = RunAlone(model, requests[0]);
  std::atomic<bool> cancel{false};
  requests[1].cancel = &cancel;
  requests[1].max_tokens = -1;
  BatchGenerator batch(model.transformer(), model.tokenizer());
  std::vector<Batched> batched(3);
  for (size_t i = 0; i < 3; ++i) AddTo(batch, model, requests[i], batched[i]);
  for (int step = 0; step < 5; ++step) batch.Step();
  cancel = true;
  batch.Step();
  ASSERT_TRUE(batched[1].result.has_value());
  EXPECT_EQ(batched[1].result->stop_reason, StopReason::kCancelled);
  EXPECT_EQ(batched[1].result->tokens.size(), 5u);  // one sampled after the prompt's step, one per decode step
  while (batch.Step() > 0) {
  }
  EXPECT_EQ(batched[0].result->tokens, untouched.result.tokens);
}

TEST(BatchGeneratorTest, ForwardBatchGivesForwardsLogitsBitForBit) {
  Model& model = SharedModel("models/synthetic/tiny-llama-spm-Q8_0.gguf");
  Transformer& transformer = model.transformer();
  const std::vector<std::vector<int32_t>> prompts = {model.Tokenize("Hello there", true, false),
                                                     model.Tokenize("A much longer prompt than the first one", true, false),
                                                     {1, 500, 7000}};
  std::vector<std::vector<float>> alone;
  for (const auto& prompt : prompts) {
    std::vector<float> logits;
    transformer.Forward(*model.NewSequence(64), prompt, false, logits);
    alone.push_back(logits);
  }
  std::vector<std::unique_ptr<KvCache>> caches;
  std::vector<ForwardEntry> entries;
  for (const auto& prompt : prompts) {
    caches.push_back(model.NewSequence(64));
    entries.push_back(ForwardEntry{caches.back().get(), prompt, true});
  }
  entries[1].logits = false;
  std::vector<float> batched;
  transformer.ForwardBatch(entries, batched);
  const size_t vocab = static_cast<size_t>(transformer.vocab_size());
  ASSERT_EQ(batched.size(), 2 * vocab);
  EXPECT_TRUE(std::equal(alone[0].begin(), alone[0].end(), batched.begin()));
  EXPECT_TRUE(std::equal(alone[2].begin(), alone[2].end(), batched.begin() + static_cast<std::ptrdiff_t>(vocab)));
  for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(caches[i]->size(), prompts[i].size());

  // Refusals leave every cache as it was.
  entries[2].cache = entries[0].cache;
  EXPECT_THROW(transformer.ForwardBatch(entries, batched), EngineError);
  EXPECT_EQ(caches[0]->size(), prompts[0].size());
  EXPECT_THROW(transformer.ForwardBatch({}, batched), EngineError);
}

}  // namespace
}  // namespace troupe::engine
