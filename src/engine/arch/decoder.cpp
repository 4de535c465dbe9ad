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
#include "engine/kv_cache.h"
#include "engine/quant.h"
#include "engine/thread_pool.h"

namespace troupe::engine::arch {

namespace {

using kernels::WeightMatrix;

// Prompts longer than this run in several passes, which bounds the activation memory; the
// kernels compute each token the same way in any batch, so the split does not change results.
constexpr size_t kMaxBatch = 512;

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
    return std::make_unique<HalfKvCache>(this, spec_.block_count, spec_.key_width(),
                                         spec_.value_width(), max_tokens);
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
    auto* half_cache = dynamic_cast<HalfKvCache*>(&cache);
    if (half_cache == nullptr || half_cache->owner() != this) {
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
    if (tokens.size() > half_cache->capacity() - half_cache->size()) {
      ThrowInvalid("Forward: " + std::to_string(tokens.size()) + " tokens do not fit in the KV cache (" +
                   std::to_string(half_cache->size()) + " of " +
                   std::to_string(half_cache->capacity()) + " positions used)");
    }
    const size_t vocab = spec_.vocab_size;
    logits.resize(all_logits ? tokens.size() * vocab : vocab);
    const uint32_t first_position = half_cache->size();
    for (size_t start = 0; start < tokens.size(); start += kMaxBatch) {
      const size_t count = std::min(kMaxBatch, tokens.size() - start);
      const bool last_chunk = start + count == tokens.size();
      float* out = all_logits ? logits.data() + start * vocab : (last_chunk ? logits.data() : nullptr);
      if (!RunBatch(*half_cache, tokens.subspan(start, count), all_logits, out, cancel)) {
        half_cache->Truncate(first_position);  // the batches before this one
        return false;
      }
    }
    return true;
  }

  static bool Cancelled(const std::atomic<bool>* cancel) {
    return cancel != nullptr && cancel->load(std::memory_order_relaxed);
  }

  // Runs one batch and appends it to the cache; writes logits for every token (all_logits) or
  // for the last one into `out`, or none when `out` is null. False, with nothing appended, when
  // `cancel` is set before a layer (the positions the layers before wrote lie past the cache's size).
  bool RunBatch(HalfKvCache& cache, std::span<const int32_t> tokens, bool all_logits, float* out,
                const std::atomic<bool>* cancel) {
    const size_t n = tokens.size();
    const size_t embd = spec_.embedding_length;
    const uint32_t first_position = cache.size();
    const float eps = static_cast<float>(spec_.rms_norm_epsilon);

    x_.resize(n * embd);
    for (size_t t = 0; t < n; ++t) {
      kernels::DecodeMatrixRow(token_embedding_, static_cast<size_t>(tokens[t]), x_.data() + t * embd);
    }
    const size_t pairs = rope_.rotary_dims / 2;
    cosines_.resize(n * pairs);
    sines_.resize(n * pairs);
    for (size_t t = 0; t < n; ++t) {
      kernels::RopeAngles(rope_, first_position + static_cast<uint32_t>(t),
                          cosines_.data() + t * pairs, sines_.data() + t * pairs);
    }

    const size_t query_width = spec_.query_width();
    const size_t key_width = spec_.key_width();
    const size_t value_width = spec_.value_width();
    const size_t attention_width = spec_.head_count * spec_.value_length;
    const size_t ffn = spec_.feed_forward_length;
    normed_.resize(n * embd);
    q_.resize(n * query_width);
    k_.resize(n * key_width);
    v_.resize(n * value_width);
    attended_.resize(n * attention_width);
    projected_.resize(n * embd);
    gate_.resize(n * ffn);
    up_.resize(n * ffn);

    for (size_t l = 0; l < layers_.size(); ++l) {
      if (Cancelled(cancel)) return false;
      const Layer& layer = layers_[l];
      for (size_t t = 0; t < n; ++t) {
        kernels::RmsNorm(x_.data() + t * embd, layer.attn_norm.data(), embd, eps,
                         normed_.data() + t * embd);
      }
      const kernels::MatMulTarget qkv[] = {{&layer.wq, q_.data()}, {&layer.wk, k_.data()},
                                           {&layer.wv, v_.data()}};
      kernels::MatMul(pool_, qkv, normed_.data(), n);
      AddBias(layer.bq, q_.data(), n);
      AddBias(layer.bk, k_.data(), n);
      AddBias(layer.bv, v_.data(), n);
      uint16_t* cached_keys = cache.keys(l);
      uint16_t* cached_values = cache.values(l);
      for (size_t t = 0; t < n; ++t) {
        const float* cos = cosines_.data() + t * pairs;
        const float* sin = sines_.data() + t * pairs;
        kernels::ApplyRope(rope_, cos, sin, q_.data() + t * query_width, spec_.head_count,
                           spec_.key_length);
        kernels::ApplyRope(rope_, cos, sin, k_.data() + t * key_width, spec_.head_count_kv,
                           spec_.key_length);
        const size_t position = first_position + t;
        kernels::FloatRowToHalf(k_.data() + t * key_width, cached_keys + position * key_width,
                                key_width);
        kernels::FloatRowToHalf(v_.data() + t * value_width,
                                cached_values + position * value_width, value_width);
      }
      kernels::CausalAttention(pool_, attention_, q_.data(), cached_keys, cached_values,
                               first_position, n, attended_.data());
      kernels::MatMul(pool_, layer.wo, attended_.data(), n, projected_.data());
      AddBias(layer.bo, projected_.data(), n);
      AddInPlace(projected_, x_);

      for (size_t t = 0; t < n; ++t) {
        kernels::RmsNorm(x_.data() + t * embd, layer.ffn_norm.data(), embd, eps,
                         normed_.data() + t * embd);
      }
      const kernels::MatMulTarget gate_up[] = {{&layer.gate, gate_.data()}, {&layer.up, up_.data()}};
      kernels::MatMul(pool_, gate_up, normed_.data(), n);
      kernels::SwiGlu(gate_.data(), up_.data(), n * ffn, gate_.data());
      kernels::MatMul(pool_, layer.down, gate_.data(), n, projected_.data());
      AddInPlace(projected_, x_);
    }
    cache.Grow(static_cast<uint32_t>(n));

    if (out == nullptr) return true;
    const size_t first_output = all_logits ? 0 : n - 1;
    const size_t outputs = n - first_output;
    for (size_t i = 0; i < outputs; ++i) {
      kernels::RmsNorm(x_.data() + (first_output + i) * embd, output_norm_.data(), embd, eps,
                       normed_.data() + i * embd);
    }
    kernels::MatMul(pool_, output_, normed_.data(), outputs, out);
    return true;
  }

  ModelSpec spec_;
  ThreadPool pool_;
  kernels::RopeParameters rope_;
  kernels::AttentionShape attention_;
  WeightMatrix token_embedding_;
  WeightMatrix output_;
  std::vector<float> output_norm_;
  std::vector<Layer> layers_;
  // Activations of the batch being run, kept between calls so generation does not allocate.
  std::vector<float> x_, normed_, q_, k_, v_, attended_, projected_, gate_, up_;
  std::vector<float> cosines_, sines_;
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
