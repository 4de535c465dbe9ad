// The memory read-bandwidth probe behind the decode limit: its shape (threads, passes, buffer),
// the options it refuses and cancellation. The figure itself is only checked to be positive: small
// buffers measure a cache, and timings depend on the machine.
#include "llm/memory_bandwidth.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

namespace troupe::llm {
namespace {

constexpr uint64_t kMebibyte = 1024 * 1024;

TEST(MemoryBandwidth, EveryThreadReadsItsSliceAndTheBestPassCounts) {
  const Result<MemoryBandwidth> measured =
      MeasureReadBandwidth({.threads = 2, .buffer_bytes = 8 * kMebibyte + 96, .passes = 3});
  ASSERT_TRUE(measured.ok()) << measured.status().ToString();
  EXPECT_GT(measured->bytes_per_second, 0.0);
  EXPECT_EQ(measured->threads, 2);
  EXPECT_EQ(measured->passes, 3);
  EXPECT_EQ(measured->buffer_bytes, 8 * kMebibyte + 96);  // whole 32-byte lanes are read
}

TEST(MemoryBandwidth, RefusesNoThreadsNoPassesAndTinyBuffersAndStopsWhenCancelled) {
  EXPECT_EQ(MeasureReadBandwidth({.threads = 0, .buffer_bytes = 4 * kMebibyte}).status().field(), "threads");
  EXPECT_EQ(MeasureReadBandwidth({.threads = 1, .buffer_bytes = 4 * kMebibyte, .passes = 0}).status().field(), "passes");
  EXPECT_EQ(MeasureReadBandwidth({.threads = 1, .buffer_bytes = 4096}).status().field(), "buffer_bytes");
  std::atomic<bool> cancel{true};
  const Result<MemoryBandwidth> cancelled =
      MeasureReadBandwidth({.threads = 1, .buffer_bytes = 4 * kMebibyte, .passes = 3, .cancel = &cancel});
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->passes, 0);
  EXPECT_EQ(cancelled->bytes_per_second, 0.0);
}

TEST(MemoryBandwidth, TheDefaultBufferIsAtLeast512MiBOrAQuarterOfMemory) {
  const uint64_t bytes = DefaultBandwidthBufferBytes();
  EXPECT_GE(bytes, kMebibyte);
  EXPECT_EQ(bytes % kMebibyte, 0u);
  const uint64_t memory = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  EXPECT_GE(bytes, std::min<uint64_t>(512 * kMebibyte, memory / 4 / kMebibyte * kMebibyte));
  EXPECT_LE(bytes, memory / 4);
}

}  // namespace
}  // namespace troupe::llm
