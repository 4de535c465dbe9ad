#include "engine/arch/decoder.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/kernels/activation.h"
#include "engine/kernels/attention.h"
#include "engine/kernels/fp16.h"
#include "engine/kernels/matmul.h"
#include "engine/kernels/norm.h"
#include "engine/kernels/quantized_activations.h"
#include "engine/kv/paged_cache.h"
#include "engine/quant.h"
#include "engine/thread_pool.h"

namespace troupe::engine::arch {

namespace {

using kernels::WeightMatrix;

// Prompts longer than this run in several passes, which bounds the activation memory; the
// kernels compute each token the same way in any batch, so the split does not change results.
constexpr size_t kMaxBatch = Transformer::kMaxForwardTokens;

// A run of consecutive batch rows that belong to one sequence.
struct Segment {
  kv::PagedKvCache* cache = nullptr;
  uint32_t first_position = 0;  // where the segment's first token goes in its cache
  size_t row = 0;               // its first row in the batch
  size_t count = 0;
};

struct Layer {
  std::vector<float> attn_norm;
  WeightMatrix wq, wk, wv, wo;
  std::vector<float> bq, bk, bv, bo;  // empty when the file has none
  std::vector<float> ffn_norm;
  WeightMatrix gate, up, down;
};

// A 1-D F32 tensor (ValidateTensors checked type and shape), or empty when absent.
std::vector<float> LoadVector(const GgufFile& file, const std::string& name) {
  const GgufTensorInfo* tensor = file.FindTensor(name);
  if (tensor == nullptr) return {};
  std::vector<float> values(tensor->element_count);
  Dequantize(tensor->type, file.TensorData(*tensor), values);
  return values;
}

void AddBias(const std::vector<float>& bias, float* rows, size_t n_rows) {
  if (bias.empty()) return;
  for (size_t r = 0; r < n_rows; ++r) {
    float* row = rows + r * bias.size();
    for (size_t i = 0; i < bias.size(); ++i) row[i] += bias[i];
  }
}

void AddInPlace(const std::vector<float>& delta, std::vector<float>& target) {
  for (size_t i = 0; i < target.size(); ++i) target[i] += delta[i];
}

kernels::RopeParameters MakeRope(const GgufFile& file, const ModelSpec& spec,
                                 kernels::RopeMode mode) {
  const std::string& scaling = spec.rope_scaling.type;
  if (scaling != "none" && scaling != "linear") {
    ThrowUnsupported(file.label() + ": rope scaling '" + scaling +
                     "' is not supported (only none and linear)");
  }
  if (spec.rope_dimension_count % 2 != 0 || spec.rope_dimension_count > spec.key_length) {
    ThrowInvalid(file.label() + ": rope dimension count " +
                 std::to_string(spec.rope_dimension_count) +
                 " must be even and at most the head dimension " + std::to_string(spec.key_length));
  }
  kernels::RopeParameters rope;
  rope.mode = mode;
  rope.rotary_dims = spec.rope_dimension_count;
  rope.freq_base = static_cast<float>(spec.rope_freq_base);
  rope.freq_scale =
      spec.rope_scaling.factor > 0 ? static_cast<float>(1.0 / spec.rope_scaling.factor) : 1.0f;
  rope.freq_factors = LoadVector(file, "rope_freqs.weight");
  return rope;
}

class Decoder final : public Transformer {
 public:
  Decoder(const GgufFile& file, const ModelSpec& spec, int threads, const DecoderOptions& options)
      : spec_(spec), pool_(threads, kernels::ReserveAttentionScratch) {
    // Caches made by NewCache share one store without a budget: CopyPrefix between them shares
    // whole blocks instead of copying them.
    own_store_ = std::make_shared<kv::BlockStore>(
        static_cast<const Transformer*>(this), kv::MakeGeometry(spec.block_count, spec.key_length, spec.key_width(), spec.value_length, spec.value_width(),
                               KvCacheType::kF16),
        0);
    rope_ = MakeRope(file, spec, options.rope_mode);
    token_embedding_ = WeightMatrix::FromTensor(file, "token_embd.weight");
    output_ = spec.tied_embeddings ? token_embedding_
                                   : WeightMatrix::FromTensor(file, "output.weight");
    output_norm_ = LoadVector(file, "output_norm.weight");
    layers_.reserve(spec.block_count);
    for (uint64_t b = 0; b < spec.block_count; ++b) {
      const std::string prefix = "blk." + std::to_string(b) + ".";
      Layer layer;
      layer.attn_norm = LoadVector(file, prefix + "attn_norm.weight");
      layer.wq = WeightMatrix::FromTensor(file, prefix + "attn_q.weight");
      layer.wk = WeightMatrix::FromTensor(file, prefix + "attn_k.weight");
      layer.wv = WeightMatrix::FromTensor(file, prefix + "attn_v.weight");
      layer.wo = WeightMatrix::FromTensor(file, prefix + "attn_output.weight");
      layer.bq = LoadVector(file, prefix + "attn_q.bias");
      layer.bk = LoadVector(file, prefix + "attn_k.bias");
      layer.bv = LoadVector(file, prefix + "attn_v.bias");
      layer.bo = LoadVector(file, prefix + "attn_output.bias");
      layer.ffn_norm = LoadVector(file, prefix + "ffn_norm.weight");
      layer.gate = WeightMatrix::FromTensor(file, prefix + "ffn_gate.weight");
      layer.up = WeightMatrix::FromTensor(file, prefix + "ffn_up.weight");
      layer.down = WeightMatrix::FromTensor(file, prefix + "ffn_down.weight");
      layers_.push_back(std::move(layer));
    }
    attention_.query_heads = spec.head_count;
    attention_.kv_heads = spec.head_count_kv;
    attention_.key_dim = spec.key_length;
    attention_.value_dim = spec.value_length;
    attention_.scale = 1.0f / std::sqrt(static_cast<float>(spec.key_length));
    kernels::CheckAttentionShape(attention_);
  }

  const ModelSpec& spec() const override { return spec_; }
  int32_t vocab_size() const override { return static_cast<int32_t>(spec_.vocab_size); }
  int threads() const override { return pool_.size(); }

  std::unique_ptr<KvCache> NewCache(uint32_t max_tokens) const override {
    if (max_tokens == 0 || max_tokens > spec_.context_length) {
      ThrowInvalid("KV cache of " + std::to_string(max_tokens) +
                   " positions: must be between 1 and the context length " +
                   std::to_string(spec_.context_length));
    }
    return std::make_unique<kv::PagedKvCache>(own_store_, max_tokens);
  }

  void Forward(KvCache& cache, std::span<const int32_t> tokens, bool all_logits,
               std::vector<float>& logits) override {
    Run(cache, tokens, all_logits, logits, nullptr);
  }

  bool ForwardUnlessCancelled(KvCache& cache, std::span<const int32_t> tokens, bool all_logits,
                              std::vector<float>& logits, const std::atomic<bool>& cancel) override {
    return Run(cache, tokens, all_logits, logits, &cancel);
  }

 private:
  // Forward; with `cancel`, false (and the cache as it was) once it is set before a layer.
  bool Run(KvCache& cache, std::span<const int32_t> tokens, bool all_logits, std::vector<float>& logits,
           const std::atomic<bool>* cancel) {
    auto* paged = dynamic_cast<kv::PagedKvCache*>(&cache);
    if (paged == nullptr || paged->owner() != static_cast<const Transformer*>(this)) {
      ThrowInvalid("Forward: the KV cache was not made by this Transformer's NewCache");
    }
    if (tokens.empty()) ThrowInvalid("Forward: no tokens to run");
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i] < 0 || static_cast<uint64_t>(tokens[i]) >= spec_.vocab_size) {
        ThrowInvalid("Forward: token id " + std::to_string(tokens[i]) + " at index " +
                     std::to_string(i) + " is outside the vocabulary [0, " +
                     std::to_string(spec_.vocab_size) + ")");
      }
    }
    if (tokens.size() > paged->capacity() - paged->size()) {
      ThrowInvalid("Forward: " + std::to_string(tokens.size()) + " tokens do not fit in the KV cache (" +
                   std::to_string(paged->size()) + " of " +
                   std::to_string(paged->capacity()) + " positions used)");
    }
    const size_t vocab = spec_.vocab_size;
    logits.resize(all_logits ? tokens.size() * vocab : vocab);
    const uint32_t first_position = paged->size();
    for (size_t start = 0; start < tokens.size(); start += kMaxBatch) {
      const size_t count = std::min(kMaxBatch, tokens.size() - start);
      const bool last_chunk = start + count == tokens.size();
      float* out = all_logits ? logits.data() + start * vocab : (last_chunk ? logits.data() : nullptr);
      segments_.assign(1, Segment{paged, paged->size(), 0, count});
      output_rows_.clear();
      if (out != nullptr) {
        for (size_t row = all_logits ? 0 : count - 1; row < count; ++row) output_rows_.push_back(row);
      }
      try {
        paged->PrepareAppend(count);
      } catch (...) {
        paged->Truncate(first_position);
        throw;
      }
      if (!RunBatch(tokens.subspan(start, count), out, cancel)) {
        paged->Truncate(first_position);  // the batches before this one
        return false;
      }
    }
    return true;
  }

  void ForwardBatch(std::span<const ForwardEntry> entries, std::vector<float>& logits) override {
    if (entries.empty()) ThrowInvalid("ForwardBatch: no entries");
    segments_.clear();
    output_rows_.clear();
    batch_tokens_.clear();
    for (size_t e = 0; e < entries.size(); ++e) {
      auto* cache = dynamic_cast<kv::PagedKvCache*>(entries[e].cache);
      if (cache == nullptr || cache->owner() != static_cast<const Transformer*>(this)) {
        ThrowInvalid("ForwardBatch: the KV cache of entry " + std::to_string(e) + " was not made by this Transformer");
      }
      const std::span<const int32_t> tokens = entries[e].tokens;
      if (tokens.empty()) ThrowInvalid("ForwardBatch: entry " + std::to_string(e) + " has no tokens");
      for (const Segment& other : segments_) {
        if (other.cache == cache) ThrowInvalid("ForwardBatch: entry " + std::to_string(e) + "'s cache is in another entry too");
      }
      if (batch_tokens_.size() + tokens.size() > kMaxBatch) {
        ThrowInvalid("ForwardBatch: more than " + std::to_string(kMaxBatch) + " tokens in one pass");
      }
      if (tokens.size() > cache->capacity() - cache->size()) {
        ThrowInvalid("ForwardBatch: entry " + std::to_string(e) + "'s " + std::to_string(tokens.size()) +
                     " tokens do not fit in its KV cache");
      }
      for (int32_t token : tokens) {
        if (token < 0 || static_cast<uint64_t>(token) >= spec_.vocab_size) {
          ThrowInvalid("ForwardBatch: token id " + std::to_string(token) + " in entry " + std::to_string(e) +
                       " is outside the vocabulary");
        }
      }
      segments_.push_back(Segment{cache, cache->size(), batch_tokens_.size(), tokens.size()});
      batch_tokens_.insert(batch_tokens_.end(), tokens.begin(), tokens.end());
      if (entries[e].logits) output_rows_.push_back(batch_tokens_.size() - 1);
    }
    // Room for every entry before anything runs: a full budget refuses the pass, not part of it.
    for (const Segment& segment : segments_) segment.cache->PrepareAppend(segment.count);
    logits.resize(output_rows_.size() * spec_.vocab_size);
    RunBatch(batch_tokens_, logits.data(), nullptr);
  }

  static bool Cancelled(const std::atomic<bool>* cancel) {
    return cancel != nullptr && cancel->load(std::memory_order_relaxed);
  }

  // Runs one batch (rows split into segments_, one per sequence) and appends each segment to its
  // cache; writes the logits of output_rows_ into `out`, one row after another (none when `out` is
  // null). False, with nothing appended, when `cancel` is set before a layer (the positions the
  // layers before wrote lie past each cache's size).
  bool RunBatch(std::span<const int32_t> tokens, float* out, const std::atomic<bool>* cancel) {
    const size_t n = tokens.size();
    const size_t embd = spec_.embedding_length;
    const float eps = static_cast<float>(spec_.rms_norm_epsilon);

    x_.resize(n * embd);
    for (size_t t = 0; t < n; ++t) {
      kernels::DecodeMatrixRow(token_embedding_, static_cast<size_t>(tokens[t]), x_.data() + t * embd);
    }
    const size_t pairs = rope_.rotary_dims / 2;
    cosines_.resize(n * pairs);
    sines_.resize(n * pairs);
    for (const Segment& segment : segments_) {
      for (size_t i = 0; i < segment.count; ++i) {
        const size_t t = segment.row + i;
        kernels::RopeAngles(rope_, segment.first_position + static_cast<uint32_t>(i), cosines_.data() + t * pairs,
                            sines_.data() + t * pairs);
      }
    }

    const size_t query_width = spec_.query_width();
    const size_t attention_width = spec_.head_count * spec_.value_length;
    const size_t ffn = spec_.feed_forward_length;
    normed_.resize(n * embd);
    q_.resize(n * query_width);
    k_.resize(n * spec_.key_width());
    v_.resize(n * spec_.value_width());
    attended_.resize(n * attention_width);
    projected_.resize(n * embd);
    gate_.resize(n * ffn);
    up_.resize(n * ffn);

    for (size_t l = 0; l < layers_.size(); ++l) {
      if (Cancelled(cancel)) return false;
      const Layer& layer = layers_[l];
      for (size_t t = 0; t < n; ++t) {
        kernels::RmsNorm(x_.data() + t * embd, layer.attn_norm.data(), embd, eps, normed_.data() + t * embd);
      }
      const kernels::MatMulTarget qkv[] = {{&layer.wq, q_.data()}, {&layer.wk, k_.data()}, {&layer.wv, v_.data()}};
      kernels::MatMul(pool_, qkv, normed_.data(), n);
      AddBias(layer.bq, q_.data(), n);
      AddBias(layer.bk, k_.data(), n);
      AddBias(layer.bv, v_.data(), n);
      Attend(l);
      kernels::MatMul(pool_, layer.wo, attended_.data(), n, projected_.data());
      AddBias(layer.bo, projected_.data(), n);
      AddInPlace(projected_, x_);

      for (size_t t = 0; t < n; ++t) {
        kernels::RmsNorm(x_.data() + t * embd, layer.ffn_norm.data(), embd, eps, normed_.data() + t * embd);
      }
      const kernels::MatMulTarget gate_up[] = {{&layer.gate, gate_.data()}, {&layer.up, up_.data()}};
      kernels::MatMul(pool_, gate_up, normed_.data(), n);
      kernels::SwiGlu(gate_.data(), up_.data(), n * ffn, gate_.data());
      kernels::MatMul(pool_, layer.down, gate_.data(), n, projected_.data());
      AddInPlace(projected_, x_);
    }
    for (const Segment& segment : segments_) segment.cache->Commit(tokens.subspan(segment.row, segment.count));

    if (out == nullptr || output_rows_.empty()) return true;
    for (size_t i = 0; i < output_rows_.size(); ++i) {
      kernels::RmsNorm(x_.data() + output_rows_[i] * embd, output_norm_.data(), embd, eps, normed_.data() + i * embd);
    }
    kernels::MatMul(pool_, output_, normed_.data(), output_rows_.size(), out);
    return true;
  }

  // Rotates this layer's queries and keys, stores keys and values in each segment's cache, and
  // attends each segment to its own cache.
  void Attend(size_t layer) {
    const size_t query_width = spec_.query_width();
    const size_t key_width = spec_.key_width();
    const size_t value_width = spec_.value_width();
    const size_t pairs = rope_.rotary_dims / 2;
    const size_t attention_width = spec_.head_count * spec_.value_length;
    attention_batch_.clear();
    for (const Segment& segment : segments_) {
      const kv::KvGeometry& geometry = segment.cache->geometry();
      for (size_t i = 0; i < segment.count; ++i) {
        const size_t t = segment.row + i;
        const float* cos = cosines_.data() + t * pairs;
        const float* sin = sines_.data() + t * pairs;
        kernels::ApplyRope(rope_, cos, sin, q_.data() + t * query_width, spec_.head_count, spec_.key_length);
        kernels::ApplyRope(rope_, cos, sin, k_.data() + t * key_width, spec_.head_count_kv, spec_.key_length);
        const size_t position = segment.first_position + i;
        std::byte* block = segment.cache->block_for(position);
        const size_t slot = position % kv::kBlockPositions;
        WriteRow(geometry.type, k_.data() + t * key_width, block + geometry.key_offset(layer) + slot * geometry.key_row_bytes,
                 key_width);
        WriteRow(geometry.type, v_.data() + t * value_width,
                 block + geometry.value_offset(layer) + slot * geometry.value_row_bytes, value_width);
      }
      kernels::AttentionSequence sequence;
      sequence.queries = q_.data() + segment.row * query_width;
      sequence.rows.key_blocks = segment.cache->block_data().data();
      sequence.rows.value_blocks = sequence.rows.key_blocks;
      sequence.rows.block_shift = kv::kBlockShift;
      sequence.rows.key_offset = geometry.key_offset(layer);
      sequence.rows.value_offset = geometry.value_offset(layer);
      sequence.rows.key_row_bytes = geometry.key_row_bytes;
      sequence.rows.value_row_bytes = geometry.value_row_bytes;
      sequence.rows.format = geometry.type == KvCacheType::kF16 ? kernels::KvRowFormat::kF16 : kernels::KvRowFormat::kQ8_0;
      sequence.first_position = segment.first_position;
      sequence.n_tokens = segment.count;
      sequence.out = attended_.data() + segment.row * attention_width;
      attention_batch_.push_back(sequence);
    }
    kernels::CausalAttentionBatch(pool_, attention_, attention_batch_);
  }

  static void WriteRow(KvCacheType type, const float* row, std::byte* out, size_t width) {
    if (type == KvCacheType::kF16) {
      kernels::FloatRowToHalf(row, reinterpret_cast<uint16_t*>(out), width);
    } else {
      kernels::QuantizeActivationRow(kernels::ActivationFormat::kQ8_0, row, width, out);
    }
  }

  ModelSpec spec_;
  ThreadPool pool_;
  std::shared_ptr<kv::BlockStore> own_store_;
  kernels::RopeParameters rope_;
  kernels::AttentionShape attention_;
  WeightMatrix token_embedding_;
  WeightMatrix output_;
  std::vector<float> output_norm_;
  std::vector<Layer> layers_;
  // Activations of the batch being run, kept between calls so generation does not allocate.
  std::vector<float> x_, normed_, q_, k_, v_, attended_, projected_, gate_, up_;
  std::vector<float> cosines_, sines_;
  // The batch's layout, kept between calls so generation does not allocate.
  std::vector<Segment> segments_;
  std::vector<size_t> output_rows_;
  std::vector<int32_t> batch_tokens_;
  std::vector<kernels::AttentionSequence> attention_batch_;
};

}  // namespace

std::unique_ptr<Transformer> CreateDecoder(const GgufFile& file, const ModelSpec& spec,
                                           int threads, const DecoderOptions& options) {
  if (threads < 1 || threads > 256) {
    ThrowInvalid("threads: " + std::to_string(threads) + " is not between 1 and 256");
  }
  ValidateTensors(file, spec);
  return std::make_unique<Decoder>(file, spec, threads, options);
}

}  // namespace troupe::engine::arch
