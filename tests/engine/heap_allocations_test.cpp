// A decode step allocates nothing but KV memory: after the first steps have grown the activation
// buffers, a Forward call of one token and the sampling of the next make no heap allocation, on
// any thread, except in a step whose position starts a new KV block (one per 16 positions).
// Counted through the sanitizer's allocation hooks, or else by replacing the global operator new
// for this test binary (the replacement only counts, then calls malloc).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <optional>
#include <vector>

#include "engine/gguf.h"
#include "engine/model_spec.h"
#include "engine/sampler.h"
#include "engine/synth.h"
#include "engine/transformer.h"
#include "support/temp_dir.h"

namespace {

std::atomic<uint64_t> heap_allocations{0};

}  // namespace

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// The sanitizers own operator new and free and check that they pair up, so a replacement here
// would be reported as a mismatch; they call these hooks on every allocation instead.
// (Declared here: Debian's GCC ships the runtime without the sanitizer headers.)
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*on_malloc)(const volatile void*, size_t),
                                                         void (*on_free)(const volatile void*));

namespace {
void CountAllocation(const volatile void*, size_t) { heap_allocations.fetch_add(1, std::memory_order_relaxed); }
void IgnoreFree(const volatile void*) {}
const bool hooks_installed = __sanitizer_install_malloc_and_free_hooks(CountAllocation, IgnoreFree) != 0;
}  // namespace
#else
namespace {
const bool hooks_installed = true;

void* CountedAllocation(std::size_t size, std::size_t alignment = 0) {
  heap_allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  void* memory = nullptr;
  if (alignment > alignof(std::max_align_t)) {
    if (posix_memalign(&memory, alignment, size) != 0) memory = nullptr;
  } else {
    memory = std::malloc(size);
  }
  if (memory == nullptr) throw std::bad_alloc();
  return memory;
}
}  // namespace

void* operator new(std::size_t size) { return CountedAllocation(size); }
void* operator new[](std::size_t size) { return CountedAllocation(size); }
void* operator new(std::size_t size, std::align_val_t alignment) {
  return CountedAllocation(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return CountedAllocation(size, static_cast<std::size_t>(alignment));
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete(void* memory, std::align_val_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::align_val_t) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t, std::align_val_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t, std::align_val_t) noexcept { std::free(memory); }
#endif

namespace troupe::engine {
namespace {

TEST(HeapAllocationsTest, DecodeStepsAfterTheFirstAllocateNothing) {
  ASSERT_TRUE(hooks_installed);
  for (const char* weight_type : {"q8_0", "q4_k_m", "f16"}) {
    SCOPED_TRACE(weight_type);
    testing::TempDir dir;
    SynthOptions options;
    options.output = dir / "tiny.gguf";
    options.shape = *ShapePreset("tiny");
    options.weight_type = weight_type;
    WriteSyntheticModel(options);
    GgufFile file = GgufFile::Open(options.output);
    const ModelSpec spec = ModelSpec::FromGguf(file);
    auto transformer = Transformer::Create(file, spec, 2);
    auto cache = transformer->NewCache(64);
    std::vector<float> logits;
    const std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6, 7, 8};
    transformer->Forward(*cache, prompt, false, logits);
    int32_t token = 9;
    transformer->Forward(*cache, std::span<const int32_t>(&token, 1), false, logits);

    SamplingParams sampling;
    sampling.temperature = 0.8f;
    sampling.repeat_penalty = 1.1f;
    sampling.seed = 7;
    Sampler sampler(sampling, transformer->vocab_size());
    for (int32_t id : prompt) sampler.Accept(id);
    token = sampler.Sample(logits);
    sampler.Accept(token);

    const uint64_t before = heap_allocations.load();
    int block_steps = 0;
    for (int step = 0; step < 40; ++step) {
      const bool starts_block = cache->size() % 16 == 0;
      const uint64_t step_start = heap_allocations.load();
      transformer->Forward(*cache, std::span<const int32_t>(&token, 1), false, logits);
      token = sampler.Sample(logits);
      sampler.Accept(token);
      const uint64_t made = heap_allocations.load() - step_start;
      if (starts_block) {
        ++block_steps;
        EXPECT_LE(made, 2u) << "at position " << cache->size() - 1;  // the block, and its entry in the store
      } else {
        EXPECT_EQ(made, 0u) << "at position " << cache->size() - 1;
      }
    }
    EXPECT_EQ(block_steps, 3);  // positions 16, 32 and 48
    // The counter counts: a step that does allocate is seen.
    std::vector<int32_t> grows(1000);
    EXPECT_EQ(grows.size(), 1000u);
    EXPECT_GT(heap_allocations.load() - before, 0u);
  }
}

}  // namespace
}  // namespace troupe::engine
