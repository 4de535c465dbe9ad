#include "llm/memory_bandwidth.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <latch>
#include <memory>
#include <new>
#include <span>
#include <system_error>
#include <thread>
#include <vector>

namespace troupe::llm {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

// Four 64-bit lanes, 32 bytes per add. The build targets baseline x86-64, so the compiler splits
// each add over two SSE2 registers: enough loads in flight for one core to reach what its memory
// can give, without a kernel per instruction set.
using Lanes = uint64_t __attribute__((vector_size(32)));

// Four independent sums so no add waits for the one before it.
uint64_t SumSlice(std::span<const Lanes> data) {
  Lanes a = {}, b = {}, c = {}, d = {};
  const size_t count = data.size();
  size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    a += data[i];
    b += data[i + 1];
    c += data[i + 2];
    d += data[i + 3];
  }
  for (; i < count; ++i) a += data[i];
  const Lanes total = (a + b) + (c + d);
  return total[0] + total[1] + total[2] + total[3];
}

// Written by the thread that later reads the slice, so each page is mapped (an untouched page
// reads as the kernel's one shared zero page, from the cache) and lands near its reader.
void FillSlice(std::span<Lanes> data, uint64_t seed) {
  for (size_t i = 0; i < data.size(); ++i) data[i] = Lanes{seed + i, i, ~i, seed ^ i};
}

// Runs body(index) on `threads` new threads released together; the seconds from their release to
// the last one's end, or kResourceExhausted when the threads cannot be started.
Result<double> TimeOnThreads(int threads, const std::function<void(int index)>& body) {
  std::latch ready(threads + 1);
  std::atomic<bool> abandoned{false};
  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(threads));
  try {
    for (int index = 0; index < threads; ++index) {
      workers.emplace_back([&ready, &abandoned, &body, index] {
        ready.arrive_and_wait();
        if (!abandoned.load()) body(index);
      });
    }
  } catch (const std::system_error& error) {
    // Release the threads that did start, with nothing to do, so they can be joined.
    abandoned.store(true);
    ready.count_down(static_cast<std::ptrdiff_t>(threads - workers.size()) + 1);
    for (std::thread& worker : workers) worker.join();
    return Status(StatusCode::kResourceExhausted, "cannot start " + std::to_string(threads) +
                                                      " threads for the bandwidth probe: " + error.what());
  }
  ready.arrive_and_wait();
  // steady_clock, not an injected Clock: this measures real elapsed time, the probe's output.
  const auto start = std::chrono::steady_clock::now();
  for (std::thread& worker : workers) worker.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Status CheckBandwidthOptions(const BandwidthOptions& options) {
  if (options.threads < 1) return InvalidArgument("the bandwidth probe needs at least one thread", "threads");
  if (options.passes < 1) return InvalidArgument("the bandwidth probe needs at least one pass", "passes");
  if (options.buffer_bytes != 0 && options.buffer_bytes < kMiB) {
    return InvalidArgument("the bandwidth probe's buffer must be at least 1 MiB", "buffer_bytes");
  }
  return Status::Ok();
}

uint64_t DefaultBandwidthBufferBytes() {
  const long last_level = std::max({sysconf(_SC_LEVEL3_CACHE_SIZE), sysconf(_SC_LEVEL2_CACHE_SIZE), 0L});
  uint64_t bytes = std::max<uint64_t>(512 * kMiB, 4 * static_cast<uint64_t>(last_level));
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) {
    bytes = std::min(bytes, static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) / 4);
  }
  return std::max(kMiB, bytes / kMiB * kMiB);
}

Result<MemoryBandwidth> MeasureReadBandwidth(const BandwidthOptions& options) {
  TROUPE_RETURN_IF_ERROR(CheckBandwidthOptions(options));
  const uint64_t buffer_bytes = options.buffer_bytes != 0 ? options.buffer_bytes : DefaultBandwidthBufferBytes();
  const size_t lanes = static_cast<size_t>(buffer_bytes / sizeof(Lanes));
  // Default-initialised: the memory stays untouched until each reader fills its own slice.
  std::unique_ptr<Lanes[]> buffer(new (std::nothrow) Lanes[lanes]);
  if (!buffer) {
    return Status(StatusCode::kResourceExhausted,
                  "cannot allocate " + std::to_string(buffer_bytes / kMiB) + " MiB for the bandwidth probe");
  }
  const int threads = options.threads;
  auto slice = [&buffer, lanes, threads](int index) {
    const size_t begin = lanes * static_cast<size_t>(index) / threads;
    const size_t end = lanes * static_cast<size_t>(index + 1) / threads;
    return std::span<Lanes>(buffer.get() + begin, end - begin);
  };
  TROUPE_RETURN_IF_ERROR(
      TimeOnThreads(threads, [&slice](int index) { FillSlice(slice(index), static_cast<uint64_t>(index)); }).status());

  // Every slice's sum goes here, so no pass can be optimised away.
  std::atomic<uint64_t> sink{0};
  MemoryBandwidth result;
  result.buffer_bytes = lanes * sizeof(Lanes);
  result.threads = threads;
  double best_seconds = 0.0;
  for (int pass = 0; pass < options.passes; ++pass) {
    if (options.cancel != nullptr && options.cancel->load()) break;
    TROUPE_ASSIGN_OR_RETURN(const double seconds, TimeOnThreads(threads, [&slice, &sink](int index) {
                              sink.fetch_add(SumSlice(slice(index)), std::memory_order_relaxed);
                            }));
    if (result.passes == 0 || seconds < best_seconds) best_seconds = seconds;
    ++result.passes;
  }
  if (result.passes > 0 && best_seconds > 0.0) {
    result.bytes_per_second = static_cast<double>(result.buffer_bytes) / best_seconds;
  }
  return result;
}

}  // namespace troupe::llm
