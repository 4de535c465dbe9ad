// qwen2 (Qwen 1.5/2/2.5): the weights keep Hugging Face's layout, so rotary pairs are (i, i + d/2)
// (ggml's "neox" rope); q/k/v carry biases, which ValidateTensors requires for this architecture.
#include "engine/arch/decoder.h"

namespace troupe::engine::arch {

std::unique_ptr<Transformer> CreateQwen2(const GgufFile& file, const ModelSpec& spec, int threads) {
  DecoderOptions options;
  options.rope_mode = kernels::RopeMode::kHalfSplit;
  return CreateDecoder(file, spec, threads, options);
}

}  // namespace troupe::engine::arch
