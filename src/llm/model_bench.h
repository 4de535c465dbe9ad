// `troupe bench`: how fast a loaded model runs on this machine, measured the way llama.cpp's
// llama-bench measures it so the two can be set side by side, and how close decoding comes to the
// limit the machine's memory sets.
//
// Two tests, each run once untimed (to fault the weights in and wake the threads) and then
// `repetitions` times from an empty KV cache:
//   pp<N>: prompt processing, one forward pass over N prompt tokens (logits for the last only);
//   tg<M>: text generation, M forward passes of one token each.
// Token ids are spread over the vocabulary by a fixed rule, and generation feeds them too instead
// of sampling, so every run does the same work and nothing but the network is timed.
//
// Decoding reads every weight once per token, so memory read bandwidth over the bytes of weights a
// token reads is the most tokens/s the machine can decode; the report gives that limit and the share
// of it the tg test reached.
//
// Thread safety: RunModelBench runs the network: one call at a time per model, like Score and
// LocalSequence::Generate; `cancel` may be set from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "llm/local_model.h"
#include "llm/memory_bandwidth.h"

namespace troupe::llm {

// Where a bench run is, for progress reports.
struct BenchProgress {
  std::string test;     // "pp512", "tg128" or "bandwidth"
  int repetition = 0;   // 0: the warm-up; then 1..repetitions
  int repetitions = 0;  // for "bandwidth": its passes
};

struct BenchOptions {
  uint32_t prompt_tokens = 512;     // pp test; 0 skips it
  uint32_t generated_tokens = 128;  // tg test; 0 skips it
  int repetitions = 3;              // timed runs of each test
  bool measure_bandwidth = true;
  uint64_t bandwidth_buffer_bytes = 0;  // 0: DefaultBandwidthBufferBytes()
  int bandwidth_passes = 5;
  // Checked before every forward pass and between bandwidth passes (a prompt's one pass is not cut
  // short); may be null; must outlive the call.
  const std::atomic<bool>* cancel = nullptr;
  // Called on the calling thread as each run starts; may be empty.
  std::function<void(const BenchProgress&)> on_progress;
};

struct BenchTest {
  std::string name;  // "pp512", "tg128"
  uint32_t prompt_tokens = 0;
  uint32_t generated_tokens = 0;
  std::vector<double> tokens_per_second;  // one per timed run, in order
  double mean_tokens_per_second = 0.0;
  double sd_tokens_per_second = 0.0;  // sample standard deviation (n - 1); 0 for one run
};

// What memory allows decoding.
struct DecodeLimit {
  double tokens_per_second = 0.0;  // bandwidth / weight bytes per token
  double share = 0.0;              // the tg test's mean over that limit (0 without a tg test)
};

struct BenchReport {
  std::string model;  // architecture, size and weight type: "llama 135M Q8_0"
  std::string path;
  uint64_t weight_bytes = 0;  // every tensor's bytes (llama-bench's "size")
  uint64_t parameter_count = 0;
  std::string kernel_path;  // the engine's instruction-set level: "scalar", "avx2", ...
  int threads = 0;          // compute threads the model runs with (and the bandwidth probe used)
  std::vector<BenchTest> tests;  // pp, then tg, those that ran
  uint64_t weight_bytes_per_token = 0;  // see WeightBytesPerToken
  std::optional<MemoryBandwidth> bandwidth;  // absent when not measured (or cancelled first)
  std::optional<DecodeLimit> decode_limit;   // with the bandwidth
  // Set when `cancel` stopped the run: the tests hold the runs that finished (a cut-short run is
  // not counted), and what was not reached is absent.
  bool cancelled = false;
};

// Runs the tests and then the bandwidth probe (with the model's thread count). kInvalidArgument
// naming the field, before anything runs, for repetitions < 1, no test at all, a test longer than
// the model's trained context, probe options CheckBandwidthOptions refuses, or a model loaded
// vocab_only; kResourceExhausted when the probe cannot get its memory or threads; an engine
// failure as LocalModel reports one.
Result<BenchReport> RunModelBench(LocalModel& model, const BenchOptions& options);

// The bytes of weights one decoded token reads: every tensor whole, except the token embedding,
// of which one row is read, unless the output projection reuses it (tied), which reads it whole.
// 0 for a model loaded vocab_only.
uint64_t WeightBytesPerToken(const LocalModel& model);

// "llama 135M Q8_0": the architecture, the parameter count rounded (K, M or B) and the file type
// (the most common tensor type when the file names none).
std::string ModelLabel(const ModelInfo& info);

// The engine's kernel level in this process ("scalar", "avx2", "avx-vnni", "avx512"): the CPU's
// best, capped by TROUPE_ENGINE_KERNELS.
std::string KernelPathName();

}  // namespace troupe::llm
