// Generation and scoring on the shared models: greedy tokens equal llama.cpp's goldens (up to
// the README's margin rule), perplexity of the long prompt within 1%, stop strings that span
// tokens never leak into the stream, cancellation from another thread, max tokens, a full
// cache, and UTF-8-safe pieces from a byte-fallback vocabulary.
#include "engine/generator.h"

#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine/error.h"
#include "engine/sampler.h"
#include "engine/scoring.h"
#include "engine/transformer.h"
#include "support/llama_goldens.h"
#include "support/temp_dir.h"

namespace troupe::engine {
namespace {

using troupe::testing::SharedDir;
namespace fs = std::filesystem;

constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();

using troupe::testing::GoldenPrompt;
using troupe::testing::LlamaGolden;
using troupe::testing::LlamaGoldens;

struct LoadedModel {
  std::unique_ptr<Model> model;
  std::unique_ptr<Transformer> transformer;
};

LoadedModel Load(const fs::path& path, int threads = 2) {
  LoadedModel loaded;
  loaded.model = Model::Load(path);
  loaded.transformer = Transformer::Create(loaded.model->file(), *loaded.model->summary().spec, threads);
  return loaded;
}

// stories260K: a real (tiny) model with a 512-token SentencePiece vocabulary and byte fallback.
LoadedModel& Stories() {
  static LoadedModel* stories = new LoadedModel(Load(SharedDir() / "models/stories260K.gguf"));
  return *stories;
}

const nlohmann::json& StoriesGolden() {
  static const nlohmann::json* golden = [] {
    std::ifstream in(SharedDir() / "testdata/golden/stories260K.json");
    return new nlohmann::json(nlohmann::json::parse(in));
  }();
  return *golden;
}

std::vector<int32_t> Ids(const nlohmann::json& array) { return array.get<std::vector<int32_t>>(); }

std::string FromHex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

// The steps of a golden greedy run that are meaningful: up to the first whose recorded lead of
// the best logit over the runner-up is under the tolerance (README, "Greedy continuation").
size_t ReliableSteps(const nlohmann::json& greedy, double tolerance) {
  const std::vector<double> margins = greedy["margin_top1_minus_top2"];
  size_t steps = 0;
  while (steps < margins.size() && margins[steps] >= tolerance) ++steps;
  return steps;
}

GenerationRequest GreedyRequest(std::vector<int32_t> prompt, int32_t max_tokens) {
  GenerationRequest request;
  request.prompt = std::move(prompt);
  request.sampling = GreedyParams();
  request.max_tokens = max_tokens;
  request.stop_on_end_of_generation = false;  // as the goldens were recorded
  return request;
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || (length == 2 && lead < 0xC2) || i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

TEST(Generate, GreedyTokensEqualEveryGoldenUpToTheMarginRule) {
  for (const LlamaGolden& golden : LlamaGoldens()) {
    SCOPED_TRACE(golden.stem);
    LoadedModel loaded = Load(golden.model);
    const double tolerance = golden.quantized ? 0.6 : 0.05;
    size_t compared = 0;
    for (const nlohmann::json& prompt : golden.json["prompts"]) {
      SCOPED_TRACE(prompt["name"].get<std::string>());
      const nlohmann::json& greedy = prompt["greedy"];
      GenerationRequest request = GreedyRequest(Ids(prompt["tokens"]), 32);
      request.prompt_batch_size = 64;  // the long prompts run in several batches
      const std::unique_ptr<KvCache> cache = loaded.transformer->NewCache(1024);
      const GenerationResult result = Generate(*loaded.transformer, loaded.model->tokenizer(), *cache, request);
      EXPECT_EQ(result.stop_reason, StopReason::kMaxTokens);
      ASSERT_EQ(result.tokens.size(), 32u);
      EXPECT_EQ(result.prompt_tokens, request.prompt.size());
      EXPECT_EQ(cache->size(), request.prompt.size() + 31);
      const std::vector<int32_t> expected = Ids(greedy["tokens"]);
      const size_t steps = ReliableSteps(greedy, tolerance);
      for (size_t k = 0; k < steps; ++k) ASSERT_EQ(result.tokens[k], expected[k]) << "step " << k;
      compared += steps;
      // The text is the pieces joined, except that the stream shows whole characters only: a
      // continuation whose lead byte ended the prompt (a split "€") becomes U+FFFD.
      const std::string golden_text = FromHex(greedy["text_hex"]);
      EXPECT_TRUE(IsValidUtf8(result.text));
      if (steps == 32 && IsValidUtf8(golden_text)) {
        EXPECT_EQ(result.text, golden_text);
      }
    }
    // The margin rule leaves something to compare for every model.
    EXPECT_GT(compared, 0u);
  }
}

TEST(ScoreTokens, PerplexityOfTheLongPromptIsWithinOnePercentOfEveryGolden) {
  for (const LlamaGolden& golden : LlamaGoldens()) {
    SCOPED_TRACE(golden.stem);
    LoadedModel loaded = Load(golden.model);
    const nlohmann::json& prompt = GoldenPrompt(golden.json, "long_paragraph");
    const nlohmann::json& forced = prompt["teacher_forcing"];
    const std::vector<int32_t> tokens = Ids(prompt["tokens"]);
    const TokenScores scores = ScoreTokens(*loaded.transformer, tokens);
    EXPECT_EQ(scores.predicted_tokens(), forced["n_predicted_tokens"].get<size_t>());
    const double expected_perplexity = forced["perplexity"];
    EXPECT_NEAR(scores.perplexity() / expected_perplexity, 1.0, 0.01)
        << "mean NLL " << scores.mean_negative_log_likelihood() << " vs " << forced["mean_nll"];
    // Each score is a log-probability, and they add up to the total.
    double sum = 0.0;
    for (double log_prob : scores.log_probs) {
      EXPECT_LE(log_prob, 0.0);
      sum += log_prob;
    }
    EXPECT_NEAR(sum, scores.total_log_prob, 1e-9 * std::abs(sum));
  }
}

TEST(ScoreTokens, PerplexityIsTheExponentOfTheMeanNegativeLogLikelihood) {
  Transformer& transformer = *Stories().transformer;
  const std::vector<int32_t> tokens = Ids(GoldenPrompt(StoriesGolden(), "short_sentence")["tokens"]);
  const TokenScores scores = ScoreTokens(transformer, tokens);
  ASSERT_EQ(scores.predicted_tokens(), tokens.size() - 1);
  EXPECT_DOUBLE_EQ(scores.mean_negative_log_likelihood(), -scores.total_log_prob / static_cast<double>(tokens.size() - 1));
  EXPECT_DOUBLE_EQ(Perplexity(transformer, tokens), std::exp(scores.mean_negative_log_likelihood()));
}

TEST(ScoreTokens, RejectsTooFewTokensAndIdsOutOfRange) {
  Transformer& transformer = *Stories().transformer;
  EXPECT_THROW(ScoreTokens(transformer, std::vector<int32_t>{1}), EngineError);
  EXPECT_THROW(ScoreTokens(transformer, std::vector<int32_t>{1, 512}), EngineError);
  EXPECT_THROW(ScoreTokens(transformer, std::vector<int32_t>{-1, 5}), EngineError);
}

// The golden greedy run of stories260K's first prompt, trusted for its first `steps` tokens.
struct StoriesRun {
  std::vector<int32_t> prompt;
  std::vector<std::string> pieces;
  size_t steps = 0;
};

StoriesRun StoriesShortSentence() {
  const nlohmann::json& prompt = GoldenPrompt(StoriesGolden(), "short_sentence");
  StoriesRun run;
  run.prompt = Ids(prompt["tokens"]);
  for (const nlohmann::json& hex : prompt["greedy"]["pieces_hex"]) run.pieces.push_back(FromHex(hex));
  run.steps = ReliableSteps(prompt["greedy"], 0.05);
  return run;
}

std::string Joined(const std::vector<std::string>& pieces, size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i) text += pieces[i];
  return text;
}

struct Streamed {
  GenerationResult result;
  std::vector<std::string> pieces;
};

Streamed GenerateStreaming(LoadedModel& loaded, const GenerationRequest& request, uint32_t cache_size) {
  Streamed streamed;
  const std::unique_ptr<KvCache> cache = loaded.transformer->NewCache(cache_size);
  GenerationCallbacks callbacks;
  callbacks.on_piece = [&](std::string_view piece) { streamed.pieces.emplace_back(piece); };
  streamed.result = Generate(*loaded.transformer, loaded.model->tokenizer(), *cache, request, callbacks);
  return streamed;
}

TEST(Generate, AStopStringAcrossTwoTokensNeverReachesTheStream) {
  const StoriesRun run = StoriesShortSentence();
  ASSERT_GE(run.steps, 8u);
  // The last two bytes of one piece and the first two of the next, from the fifth piece on.
  size_t boundary = 4;
  while (run.pieces[boundary].size() < 2 || run.pieces[boundary + 1].size() < 2) ++boundary;
  ASSERT_LT(boundary + 1, run.steps);
  const std::string stop = run.pieces[boundary].substr(run.pieces[boundary].size() - 2) +
                           run.pieces[boundary + 1].substr(0, 2);
  const std::string reliable_text = Joined(run.pieces, run.steps);
  const size_t stop_at = reliable_text.find(stop);
  ASSERT_NE(stop_at, std::string::npos);

  GenerationRequest request = GreedyRequest(run.prompt, 64);
  request.stop_strings = {"never appears", stop};
  const Streamed streamed = GenerateStreaming(Stories(), request, 256);
  EXPECT_EQ(streamed.result.stop_reason, StopReason::kStopString);
  EXPECT_EQ(streamed.result.stop_string, stop);
  EXPECT_EQ(streamed.result.text, reliable_text.substr(0, stop_at));
  std::string joined;
  for (const std::string& piece : streamed.pieces) {
    EXPECT_FALSE(piece.empty());
    joined += piece;
  }
  EXPECT_EQ(joined, streamed.result.text);
  // Generation stopped at the token that completed the stop string.
  size_t tokens_needed = 0;
  while (Joined(run.pieces, tokens_needed).size() < stop_at + stop.size()) ++tokens_needed;
  EXPECT_EQ(streamed.result.tokens.size(), tokens_needed);
}

TEST(Generate, AStopStringAcrossThreeTokensStopsTheTextJustBeforeIt) {
  const StoriesRun run = StoriesShortSentence();
  // "y and w" in " She was very happy and wanted": the end of " happy", " and", " w...".
  const std::string reliable_text = Joined(run.pieces, run.steps);
  ASSERT_EQ(reliable_text.substr(0, 30), " She was very happy and wanted");
  GenerationRequest request = GreedyRequest(run.prompt, 64);
  request.stop_strings = {"y and w"};
  const Streamed streamed = GenerateStreaming(Stories(), request, 256);
  EXPECT_EQ(streamed.result.stop_reason, StopReason::kStopString);
  EXPECT_EQ(streamed.result.text, " She was very happ");
  std::string joined;
  for (const std::string& piece : streamed.pieces) joined += piece;
  EXPECT_EQ(joined, " She was very happ");
  EXPECT_EQ(streamed.result.tokens.size(), 6u);  // " She", " was", " very", " happy", " and", " want"
}

TEST(Generate, TextHeldForAStopStringThatNeverCompletesIsReleasedAtTheEnd) {
  const StoriesRun run = StoriesShortSentence();
  const auto count = static_cast<int32_t>(run.steps);
  const std::string expected = Joined(run.pieces, run.steps);
  // The stop string begins with the last piece, so that piece is held until generation ends.
  const std::string last_piece = run.pieces[run.steps - 1];
  GenerationRequest request = GreedyRequest(run.prompt, count);
  request.stop_strings = {last_piece + "\x01"};
  const Streamed streamed = GenerateStreaming(Stories(), request, 256);
  EXPECT_EQ(streamed.result.stop_reason, StopReason::kMaxTokens);
  EXPECT_EQ(streamed.result.text, expected);
  ASSERT_FALSE(streamed.pieces.empty());
  EXPECT_EQ(streamed.pieces.back(), last_piece);
  std::string joined;
  for (const std::string& piece : streamed.pieces) joined += piece;
  EXPECT_EQ(joined, expected);
}

TEST(Generate, MaxTokensStopsAndTheCacheHoldsAllButTheLastToken) {
  const StoriesRun run = StoriesShortSentence();
  LoadedModel& stories = Stories();
  const std::unique_ptr<KvCache> cache = stories.transformer->NewCache(256);
  const GenerationResult result =
      Generate(*stories.transformer, stories.model->tokenizer(), *cache, GreedyRequest(run.prompt, 7));
  EXPECT_EQ(result.stop_reason, StopReason::kMaxTokens);
  EXPECT_EQ(result.generated_tokens, 7u);
  EXPECT_EQ(result.text, Joined(run.pieces, 7));
  EXPECT_EQ(cache->size(), run.prompt.size() + 6);
  EXPECT_GT(result.tokens_per_second, 0.0);
  EXPECT_GT(result.generation_ms, 0.0);

  // The prompt continues what the cache holds: rewind to before the last generated token and
  // feed it; greedy decoding picks up exactly where it was.
  cache->Truncate(static_cast<uint32_t>(run.prompt.size() + 5));
  const GenerationResult resumed = Generate(*stories.transformer, stories.model->tokenizer(), *cache,
                                            GreedyRequest({result.tokens[5]}, 3));
  const std::vector<int32_t> golden = Ids(GoldenPrompt(StoriesGolden(), "short_sentence")["greedy"]["tokens"]);
  EXPECT_EQ(resumed.tokens, (std::vector<int32_t>{golden[6], golden[7], golden[8]}));

  // max_tokens 0 only runs the prompt.
  const std::unique_ptr<KvCache> prefill = stories.transformer->NewCache(256);
  const GenerationResult nothing =
      Generate(*stories.transformer, stories.model->tokenizer(), *prefill, GreedyRequest(run.prompt, 0));
  EXPECT_EQ(nothing.stop_reason, StopReason::kMaxTokens);
  EXPECT_TRUE(nothing.tokens.empty());
  EXPECT_EQ(nothing.text, "");
  EXPECT_EQ(prefill->size(), run.prompt.size());
}

TEST(Generate, AFullCacheStopsGeneration) {
  const StoriesRun run = StoriesShortSentence();
  LoadedModel& stories = Stories();
  const auto capacity = static_cast<uint32_t>(run.prompt.size() + 3);
  const std::unique_ptr<KvCache> cache = stories.transformer->NewCache(capacity);
  const GenerationResult result = Generate(*stories.transformer, stories.model->tokenizer(), *cache,
                                           GreedyRequest(run.prompt, -1));
  EXPECT_EQ(result.stop_reason, StopReason::kContextFull);
  // Three positions run three generated tokens, and the fourth is sampled from the last one.
  EXPECT_EQ(result.tokens.size(), 4u);
  EXPECT_EQ(result.text, Joined(run.pieces, 4));
  EXPECT_EQ(cache->size(), capacity);

  // A prompt that does not fit is refused before anything runs.
  const std::unique_ptr<KvCache> small = stories.transformer->NewCache(static_cast<uint32_t>(run.prompt.size() - 1));
  EXPECT_THROW(Generate(*stories.transformer, stories.model->tokenizer(), *small, GreedyRequest(run.prompt, 4)),
               EngineError);
  EXPECT_EQ(small->size(), 0u);
}

TEST(Generate, RejectsAnEmptyPromptAndAnEmptyStopString) {
  LoadedModel& stories = Stories();
  const std::unique_ptr<KvCache> cache = stories.transformer->NewCache(64);
  EXPECT_THROW(Generate(*stories.transformer, stories.model->tokenizer(), *cache, GreedyRequest({}, 4)), EngineError);
  GenerationRequest request = GreedyRequest({1, 403}, 4);
  request.stop_strings = {"a", ""};
  try {
    Generate(*stories.transformer, stories.model->tokenizer(), *cache, request);
    ADD_FAILURE() << "no error";
  } catch (const EngineError& error) {
    EXPECT_EQ(std::string(error.what()), "generate: stop string 1 is empty");
  }
}

TEST(Generate, StopsOnAnEndOfGenerationTokenWithoutShowingIt) {
  const StoriesRun run = StoriesShortSentence();
  LoadedModel& stories = Stories();
  const int32_t eos = *stories.model->tokenizer().eos();
  GenerationRequest request = GreedyRequest(run.prompt, 16);
  request.stop_on_end_of_generation = true;
  request.sampling.logit_bias = {{eos, 1000.0f}};
  const Streamed streamed = GenerateStreaming(stories, request, 256);
  EXPECT_EQ(streamed.result.stop_reason, StopReason::kEndOfGeneration);
  EXPECT_EQ(streamed.result.tokens, (std::vector<int32_t>{eos}));
  EXPECT_EQ(streamed.result.text, "");
  EXPECT_TRUE(streamed.pieces.empty());
}

TEST(Generate, CancellingFromAnotherThreadStopsWithinOneStep) {
  const StoriesRun run = StoriesShortSentence();
  LoadedModel& stories = Stories();
  std::atomic<bool> cancel{false};
  size_t sampled = 0;
  // The fifth step waits for the other thread to cancel: a handshake, so no timing decides it.
  std::promise<void> reached_fifth;
  std::promise<void> cancelled;
  std::future<void> cancelled_seen = cancelled.get_future();
  GenerationRequest request = GreedyRequest(run.prompt, -1);
  request.cancel = &cancel;
  GenerationCallbacks callbacks;
  callbacks.on_token = [&](int32_t) {
    if (++sampled != 5) return;
    reached_fifth.set_value();
    cancelled_seen.wait();
  };
  const std::unique_ptr<KvCache> cache = stories.transformer->NewCache(1024);
  GenerationResult result;
  std::thread generation([&] {
    result = Generate(*stories.transformer, stories.model->tokenizer(), *cache, request, callbacks);
  });
  reached_fifth.get_future().wait();
  cancel.store(true);
  cancelled.set_value();
  generation.join();
  EXPECT_EQ(result.stop_reason, StopReason::kCancelled);
  EXPECT_GE(result.tokens.size(), 5u);
  EXPECT_LE(result.tokens.size(), 6u);

  // A flag already set stops before the prompt runs.
  const std::unique_ptr<KvCache> untouched = stories.transformer->NewCache(256);
  const GenerationResult nothing = Generate(*stories.transformer, stories.model->tokenizer(), *untouched, request);
  EXPECT_EQ(nothing.stop_reason, StopReason::kCancelled);
  EXPECT_TRUE(nothing.tokens.empty());
  EXPECT_EQ(untouched->size(), 0u);
}

TEST(Generate, StreamedPiecesAreWholeUtf8WhenCharactersSpanByteTokens) {
  // Only three byte tokens may be drawn: 0xC3 and 0xA9 (together "é", split over two tokens)
  // and 'a'. Random draws make whole characters, a lead byte cut short, and stray continuations.
  LoadedModel& stories = Stories();
  const Tokenizer& tokenizer = stories.model->tokenizer();
  const std::map<int32_t, char> allowed = {{*tokenizer.FindToken("<0xC3>"), '\xC3'},
                                           {*tokenizer.FindToken("<0xA9>"), '\xA9'},
                                           {*tokenizer.FindToken("<0x61>"), 'a'}};
  GenerationRequest request;
  request.prompt = StoriesShortSentence().prompt;
  request.max_tokens = 300;
  request.sampling = GreedyParams();
  request.sampling.temperature = 1.0f;
  request.sampling.seed = 7;
  for (int32_t token = 0; token < tokenizer.vocab_size(); ++token) {
    if (!allowed.count(token)) request.sampling.logit_bias[token] = kMinusInfinity;
  }
  const Streamed streamed = GenerateStreaming(stories, request, 1024);
  ASSERT_EQ(streamed.result.tokens.size(), 300u);

  // The reference: "é" for C3 A9, "a" for 'a', U+FFFD for any other byte.
  std::string bytes;
  for (int32_t token : streamed.result.tokens) bytes.push_back(allowed.at(token));
  std::string expected;
  size_t split_characters = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == 'a') {
      expected += 'a';
    } else if (bytes[i] == '\xC3' && i + 1 < bytes.size() && bytes[i + 1] == '\xA9') {
      expected += "\xC3\xA9";
      ++split_characters;
      ++i;
    } else {
      expected += "\xEF\xBF\xBD";
    }
  }
  EXPECT_GE(split_characters, 20u);
  EXPECT_EQ(streamed.result.text, expected);
  std::string joined;
  for (const std::string& piece : streamed.pieces) {
    EXPECT_TRUE(IsValidUtf8(piece)) << "piece of " << piece.size() << " bytes";
    joined += piece;
  }
  EXPECT_EQ(joined, expected);
}

TEST(Generate, TheSameSeedGeneratesTheSameTokens) {
  const StoriesRun run = StoriesShortSentence();
  auto sample = [&](uint64_t seed) {
    GenerationRequest request;
    request.prompt = run.prompt;
    request.max_tokens = 24;
    request.stop_on_end_of_generation = false;
    request.sampling.temperature = 1.5f;  // llama.cpp's default filters, hot enough to vary
    request.sampling.seed = seed;
    LoadedModel& stories = Stories();
    const std::unique_ptr<KvCache> cache = stories.transformer->NewCache(256);
    return Generate(*stories.transformer, stories.model->tokenizer(), *cache, request).tokens;
  };
  EXPECT_EQ(sample(11), sample(11));
  EXPECT_NE(sample(11), sample(12));
}

TEST(StopReasonName, NamesEachReason) {
  EXPECT_EQ(StopReasonName(StopReason::kEndOfGeneration), "eos");
  EXPECT_EQ(StopReasonName(StopReason::kStopString), "stop");
  EXPECT_EQ(StopReasonName(StopReason::kMaxTokens), "length");
  EXPECT_EQ(StopReasonName(StopReason::kContextFull), "context_full");
  EXPECT_EQ(StopReasonName(StopReason::kCancelled), "cancelled");
}

}  // namespace
}  // namespace troupe::engine
