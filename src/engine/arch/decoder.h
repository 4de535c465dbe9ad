// The decoder stack llama and qwen2 share: token embedding, then per block RMSNorm -> q/k/v
// projections (with biases when the file has them) -> rotary positions -> causal grouped-query
// attention over the KV cache -> output projection -> residual -> RMSNorm -> SwiGLU feed-forward
// -> residual; then a final RMSNorm and the output matrix (token_embd when tied).
//
// What differs between the architectures is passed in DecoderOptions; each architecture file
// (arch/llama.cpp, arch/qwen2.cpp) says what it chooses and why.
#pragma once

#include <memory>

#include "engine/gguf.h"
#include "engine/kernels/rope.h"
#include "engine/model_spec.h"
#include "engine/transformer.h"

namespace troupe::engine::arch {

struct DecoderOptions {
  kernels::RopeMode rope_mode = kernels::RopeMode::kAdjacentPairs;
};

// Validates the tensors (ValidateTensors and the kernels' own checks) and builds the network.
// Throws EngineError as Transformer::Create documents.
std::unique_ptr<Transformer> CreateDecoder(const GgufFile& file, const ModelSpec& spec,
                                           int threads, const DecoderOptions& options);

// One per architecture file.
std::unique_ptr<Transformer> CreateLlama(const GgufFile& file, const ModelSpec& spec, int threads);
std::unique_ptr<Transformer> CreateQwen2(const GgufFile& file, const ModelSpec& spec, int threads);

}  // namespace troupe::engine::arch
