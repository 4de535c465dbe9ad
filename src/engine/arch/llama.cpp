// llama (Llama 1/2/3, TinyLlama, SmolLM, Mistral-style files): llama.cpp rotates adjacent
// dimension pairs for this architecture (its "normal" rope), because the GGUF converter permutes
// Hugging Face's q/k weights into that order. Biases are optional and used when present.
#include "engine/arch/decoder.h"

namespace troupe::engine::arch {

std::unique_ptr<Transformer> CreateLlama(const GgufFile& file, const ModelSpec& spec, int threads) {
  DecoderOptions options;
  options.rope_mode = kernels::RopeMode::kAdjacentPairs;
  return CreateDecoder(file, spec, threads, options);
}

}  // namespace troupe::engine::arch
