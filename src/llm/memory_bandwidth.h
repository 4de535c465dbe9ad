// How fast this machine reads memory: the ceiling on local decoding, which reads every weight once
// per generated token (model_bench.h turns it into a tokens/s limit). The probe sums a buffer much
// larger than the last-level cache with `threads` threads, each over its own slice, and keeps the
// best of several passes, so a pass slowed by a neighbour on a shared machine does not count.
//
// Thread safety: each call owns its buffer and threads; calls may run concurrently (and then slow
// each other down).
#pragma once

#include <atomic>
#include <cstdint>

#include "base/status.h"

namespace troupe::llm {

struct BandwidthOptions {
  int threads = 1;            // readers, each over its own slice of the buffer
  uint64_t buffer_bytes = 0;  // 0: DefaultBandwidthBufferBytes()
  int passes = 5;             // timed passes; the fastest is reported
  // Checked between passes; may be null; must outlive the call.
  const std::atomic<bool>* cancel = nullptr;
};

struct MemoryBandwidth {
  double bytes_per_second = 0.0;  // of the fastest pass; 0 when cancelled before the first ended
  uint64_t buffer_bytes = 0;
  int threads = 0;
  int passes = 0;  // the timed passes that ran (fewer than asked when cancelled)
};

// Four times the last-level cache as the C library reports it, and at least 512 MiB, so no pass
// is served from a cache; at most a quarter of physical memory.
uint64_t DefaultBandwidthBufferBytes();

// kInvalidArgument naming the field for threads < 1, passes < 1 or a buffer under 1 MiB: for a
// caller that wants to refuse bad options before it does anything long.
Status CheckBandwidthOptions(const BandwidthOptions& options);

// Fills the buffer (so every page is mapped and holds data), then times `passes` reads of it.
// What CheckBandwidthOptions refuses; kResourceExhausted when the buffer or the threads cannot be
// had.
Result<MemoryBandwidth> MeasureReadBandwidth(const BandwidthOptions& options);

}  // namespace troupe::llm
