// The paged KV cache: shared prefixes give the logits of a cold run, blocks are shared rather
// than copied, a budget evicts only cached blocks no sequence uses, and Q8_0 rows stay close to F16.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "engine/error.h"
#include "engine/kv_pool.h"
#include "shared_model.h"

namespace troupe::engine {
namespace {

constexpr uint32_t kBlock = KvBlockPool::kBlockPositions;

std::vector<int32_t> Tokens(size_t count, int32_t seed) {
  std::vector<int32_t> tokens(count);
  for (size_t i = 0; i < count; ++i) tokens[i] = 3 + static_cast<int32_t>((i * 7 + static_cast<size_t>(seed) * 13) % 250);
  return tokens;
}

std::vector<int32_t> Concat(std::vector<int32_t> a, const std::vector<int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The last token's logits of `tokens` run from an empty cache of the transformer's own.
std::vector<float> ColdLogits(Transformer& transformer, const std::vector<int32_t>& tokens) {
  auto cache = transformer.NewCache(512);
  std::vector<float> logits;
  transformer.Forward(*cache, tokens, false, logits);
  return logits;
}

// Runs what `start` did not attach of `tokens`; the last token's logits.
std::vector<float> RunRest(Transformer& transformer, KvBlockPool::Start& start, const std::vector<int32_t>& tokens) {
  std::vector<float> logits;
  transformer.Forward(*start.cache, std::span<const int32_t>(tokens).subspan(start.attached), false, logits);
  return logits;
}

uint64_t Budget(const Transformer& transformer, size_t blocks) {
  return blocks * KvBlockBytes(transformer, KvCacheType::kF16);
}

TEST(KvPoolTest, CachedPrefixGivesTheLogitsOfAColdRun) {
  Transformer& transformer = SharedModel("models/stories260K.gguf").transformer();
  auto pool = NewKvBlockPool(transformer, {Budget(transformer, 64), KvCacheType::kF16});
  const std::vector<int32_t> prefix = Tokens(40, 1);
  {
    KvBlockPool::Start first = pool->StartSequence(prefix, 39, 128);
    ASSERT_NE(first.cache, nullptr);
    EXPECT_EQ(first.attached, 0u);
    RunRest(transformer, first, prefix);
  }
  EXPECT_EQ(pool->stats().cached_blocks, 2u);  // 32 of the 40 positions: whole blocks only
  EXPECT_EQ(pool->CachedPrefix(prefix), 32u);

  const std::vector<int32_t> longer = Concat(prefix, Tokens(9, 2));
  KvBlockPool::Start second = pool->StartSequence(longer, static_cast<uint32_t>(longer.size() - 1), 128);
  ASSERT_NE(second.cache, nullptr);
  EXPECT_EQ(second.attached, 32u);
  EXPECT_EQ(RunRest(transformer, second, longer), ColdLogits(transformer, longer));  // bit for bit
  EXPECT_EQ(pool->stats().shared_attaches, 2u);

  // A prompt that differs inside the first block attaches nothing.
  std::vector<int32_t> other = longer;
  other[5] += 1;
  EXPECT_EQ(pool->CachedPrefix(other), 0u);
}

TEST(KvPoolTest, SequencesSharePrefixBlocksInsteadOfCopyingThem) {
  Transformer& transformer = SharedModel("models/stories260K.gguf").transformer();
  auto pool = NewKvBlockPool(transformer, {Budget(transformer, 256), KvCacheType::kF16});
  const std::vector<int32_t> prefix = Tokens(64, 3);  // four blocks
  std::vector<KvBlockPool::Start> running;
  for (int32_t i = 0; i < 8; ++i) {
    const std::vector<int32_t> prompt = Concat(prefix, Tokens(20, 10 + i));
    running.push_back(pool->StartSequence(prompt, static_cast<uint32_t>(prompt.size() - 1), 256));
    ASSERT_NE(running.back().cache, nullptr);
    EXPECT_EQ(running.back().attached, i == 0 ? 0u : 64u) << i;
    EXPECT_EQ(RunRest(transformer, running.back(), prompt), ColdLogits(transformer, prompt)) << i;
  }
  // Four shared blocks, and each sequence's own 20 positions in two blocks.
  EXPECT_EQ(pool->stats().used_blocks, 4u + 8u * 2u);
}

TEST(KvPoolTest, SequencesComputingTheSamePrefixTogetherKeepOneCopy) {
  Transformer& transformer = SharedModel("models/stories260K.gguf").transformer();
  auto pool = NewKvBlockPool(transformer, {Budget(transformer, 64), KvCacheType::kF16});
  const std::vector<int32_t> prefix = Tokens(48, 4);
  std::vector<KvBlockPool::Start> starts;
  std::vector<std::vector<int32_t>> prompts;
  for (int32_t i = 0; i < 3; ++i) {
    prompts.push_back(Concat(prefix, Tokens(4, 20 + i)));
    starts.push_back(pool->StartSequence(prompts.back(), 51, 64));
    ASSERT_NE(starts.back().cache, nullptr);
  }
  std::vector<ForwardEntry> entries;
  for (size_t i = 0; i < starts.size(); ++i) entries.push_back({starts[i].cache.get(), prompts[i], true});
  std::vector<float> logits;
  transformer.ForwardBatch(entries, logits);
  // Three blocks of the prefix once, and one block of its own per sequence.
  EXPECT_EQ(pool->stats().used_blocks, 3u + 3u);
  // The sequences go on reading the kept copy.
  const int32_t next = 7;
  for (size_t i = 0; i < starts.size(); ++i) {
    std::vector<float> after;
    transformer.Forward(*starts[i].cache, std::span<const int32_t>(&next, 1), false, after);
    EXPECT_EQ(after, ColdLogits(transformer, Concat(prompts[i], {next}))) << i;
  }
}

TEST(KvPoolTest, EvictionTakesOnlyCachedBlocksLeastRecentlyUsedFirst) {
  Transformer& transformer = SharedModel("models/stories260K.gguf").transformer();
  auto pool = NewKvBlockPool(transformer, {Budget(transformer, 8), KvCacheType::kF16});
  // A running sequence holds three blocks and is promised a fourth.
  const std::vector<int32_t> held = Tokens(40, 5);
  KvBlockPool::Start running = pool->StartSequence(held, 39, 64);
  ASSERT_NE(running.cache, nullptr);
  RunRest(transformer, running, held);
  // Finished sequences leave their whole blocks cached: the older one is evicted first.
  const std::vector<int32_t> old_prompt = Tokens(32, 6);
  const std::vector<int32_t> new_prompt = Tokens(32, 7);
  for (const std::vector<int32_t>* prompt : {&old_prompt, &new_prompt}) {
    KvBlockPool::Start done = pool->StartSequence(*prompt, 31, 32);
    ASSERT_NE(done.cache, nullptr);
    RunRest(transformer, done, *prompt);
  }
  EXPECT_EQ(pool->stats().cached_blocks, 4u);
  EXPECT_EQ(pool->CachedPrefix(old_prompt), 32u);

  // Three more blocks are needed and one is left unmade: two cached ones give their memory.
  const std::vector<int32_t> fresh = Tokens(36, 8);
  KvBlockPool::Start next = pool->StartSequence(fresh, 0, 48);
  ASSERT_NE(next.cache, nullptr);
  RunRest(transformer, next, fresh);
  EXPECT_EQ(pool->stats().evicted_blocks, 2u);
  EXPECT_EQ(pool->CachedPrefix(old_prompt), 0u);
  EXPECT_EQ(pool->CachedPrefix(new_prompt), 32u);

  // The running sequence's blocks were never taken: it goes on as a cold run would.
  const std::vector<int32_t> more = Tokens(6, 9);
  std::vector<float> logits;
  transformer.Forward(*running.cache, more, false, logits);
  EXPECT_EQ(logits, ColdLogits(transformer, Concat(held, more)));

  // Nothing more can be promised while both run; the whole budget can never be exceeded.
  EXPECT_EQ(pool->StartSequence(fresh, 0, 64).cache, nullptr);
  try {
    pool->StartSequence(fresh, 0, 9 * kBlock);
    FAIL() << "a sequence larger than the budget was started";
  } catch (const EngineError& error) {
    EXPECT_EQ(error.kind(), EngineError::Kind::kExhausted);
  }
  running.cache.reset();
  next.cache.reset();
  EXPECT_NE(pool->StartSequence(fresh, 0, 8 * kBlock).cache, nullptr);
}

TEST(KvPoolTest, ASequenceWritesACopyOfABlockItShares) {
  Transformer& transformer = SharedModel("models/stories260K.gguf").transformer();
  const std::vector<int32_t> first_tokens = Tokens(40, 11);
  auto first = transformer.NewCache(128);
  std::vector<float> logits;
  transformer.Forward(*first, first_tokens, false, logits);

  auto second = transformer.NewCache(128);
  second->CopyPrefix(*first, 40);  // two shared blocks, the third copied
  second->Truncate(20);            // into the second shared block
  const std::vector<int32_t> branch = Tokens(10, 12);
  std::vector<float> branched;
  transformer.Forward(*second, branch, false, branched);
  EXPECT_EQ(branched, ColdLogits(transformer, Concat({first_tokens.begin(), first_tokens.begin() + 20}, branch)));

  // The first sequence still reads its own rows.
  const int32_t next = 9;
  transformer.Forward(*first, std::span<const int32_t>(&next, 1), false, logits);
  EXPECT_EQ(logits, ColdLogits(transformer, Concat(first_tokens, {next})));
}

TEST(KvPoolTest, Q8RowsTakeAboutHalfTheMemoryAndStayCloseToF16) {
  Transformer& transformer = SharedModel("models/synthetic/tiny-llama-spm-F16.gguf").transformer();
  const uint64_t f16 = KvBlockBytes(transformer, KvCacheType::kF16);
  const uint64_t q8 = KvBlockBytes(transformer, KvCacheType::kQ8_0);
  EXPECT_LE(static_cast<double>(q8), 0.56 * static_cast<double>(f16));

  auto pool = NewKvBlockPool(transformer, {64 * q8, KvCacheType::kQ8_0});
  const std::vector<int32_t> prompt = Tokens(70, 13);
  KvBlockPool::Start start = pool->StartSequence(prompt, 0, 128);
  ASSERT_NE(start.cache, nullptr);
  const std::vector<float> quantized = RunRest(transformer, start, prompt);
  const std::vector<float> exact = ColdLogits(transformer, prompt);
  ASSERT_EQ(quantized.size(), exact.size());
  double spread = 0, error = 0;
  for (size_t i = 0; i < exact.size(); ++i) {
    spread = std::max(spread, std::fabs(static_cast<double>(exact[i])));
    error = std::max(error, std::fabs(static_cast<double>(exact[i] - quantized[i])));
  }
  EXPECT_GT(error, 0.0);  // the rows really are quantized
  EXPECT_LT(error, 0.05 * spread);
  EXPECT_EQ(std::max_element(quantized.begin(), quantized.end()) - quantized.begin(),
            std::max_element(exact.begin(), exact.end()) - exact.begin());

  // A model whose heads are not whole Q8_0 blocks is refused by name.
  Transformer& small = SharedModel("models/stories260K.gguf").transformer();
  try {
    NewKvBlockPool(small, {1 << 20, KvCacheType::kQ8_0});
    FAIL() << "q8_0 rows for 8-wide heads were accepted";
  } catch (const EngineError& error_thrown) {
    EXPECT_EQ(error_thrown.kind(), EngineError::Kind::kUnsupported);
    EXPECT_NE(std::string(error_thrown.what()).find("q8_0"), std::string::npos);
  }
}

// Random starts, passes, rewinds and ends over a small budget, with prompts that share prefixes:
// every pass gives the logits of a cold run of what its sequence holds, and the budget holds.
TEST(KvPoolTest, RandomUseKeepsEverySequenceExactAndTheBudget) {
  Transformer& transformer = SharedModel("models/stories260K.gguf").transformer();
  auto pool = NewKvBlockPool(transformer, {Budget(transformer, 12), KvCacheType::kF16});
  const std::vector<std::vector<int32_t>> stems = {Tokens(40, 21), Tokens(24, 22), Tokens(17, 23)};
  struct Live {
    std::unique_ptr<KvCache> cache;
    std::vector<int32_t> tokens;  // what the cache holds
  };
  std::vector<Live> live;
  uint64_t state = 12345;
  const auto next = [&state](uint64_t bound) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % bound;
  };
  int passes = 0, exhausted = 0;
  for (int step = 0; step < 120; ++step) {
    SCOPED_TRACE(step);
    const uint64_t action = next(10);
    if (action < 3 || live.empty()) {
      std::vector<int32_t> prompt = stems[next(stems.size())];
      prompt.resize(prompt.size() - next(8));
      prompt = Concat(prompt, Tokens(1 + next(6), static_cast<int32_t>(100 + step)));
      KvBlockPool::Start start = pool->StartSequence(prompt, static_cast<uint32_t>(prompt.size() - 1), 80);
      if (!start.cache) continue;
      std::vector<float> logits = RunRest(transformer, start, prompt);
      EXPECT_EQ(logits, ColdLogits(transformer, prompt));
      ++passes;
      live.push_back({std::move(start.cache), prompt});
    } else if (action < 7) {
      Live& sequence = live[next(live.size())];
      const size_t room = sequence.cache->capacity() - sequence.cache->size();
      if (room == 0) continue;
      const std::vector<int32_t> more = Tokens(1 + next(std::min<uint64_t>(room, 20)), static_cast<int32_t>(step));
      std::vector<float> logits;
      try {
        transformer.Forward(*sequence.cache, more, false, logits);
      } catch (const EngineError& error) {
        ASSERT_EQ(error.kind(), EngineError::Kind::kExhausted) << error.what();
        EXPECT_EQ(sequence.cache->size(), sequence.tokens.size());  // nothing kept
        ++exhausted;
        continue;
      }
      sequence.tokens = Concat(sequence.tokens, more);
      EXPECT_EQ(logits, ColdLogits(transformer, sequence.tokens));
      ++passes;
    } else if (action < 9) {
      Live& sequence = live[next(live.size())];
      const size_t keep = 1 + next(sequence.tokens.size());
      sequence.cache->Truncate(static_cast<uint32_t>(keep));
      sequence.tokens.resize(keep);
    } else {
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(next(live.size())));
    }
    const KvPoolStats stats = pool->stats();
    EXPECT_LE(stats.used_blocks + stats.reserved_blocks, stats.capacity_blocks);
    EXPECT_LE(stats.allocated_bytes, stats.capacity_blocks * stats.block_bytes);
  }
  EXPECT_GT(passes, 40);
  EXPECT_GT(pool->stats().shared_attaches, 0u);
  EXPECT_GT(pool->stats().evicted_blocks, 0u);
  RecordProperty("exhausted", exhausted);
}

TEST(KvPoolTest, NamesOfTypes) {
  EXPECT_EQ(ParseKvCacheType("f16"), KvCacheType::kF16);
  EXPECT_EQ(ParseKvCacheType("q8_0"), KvCacheType::kQ8_0);
  EXPECT_EQ(ParseKvCacheType("q4_0"), std::nullopt);
  EXPECT_EQ(NameOf(KvCacheType::kQ8_0), "q8_0");
}

}  // namespace
}  // namespace troupe::engine
