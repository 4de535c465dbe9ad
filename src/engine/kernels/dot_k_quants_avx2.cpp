// The K-quant kernels for AVX2 + FMA + F16C (dot_k_quants_x86.h), selected per function by target
// attributes so the rest of the program stays baseline x86-64.
#include "engine/kernels/dot_k_quants_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace troupe::engine::kernels::dot_rows::k_quants {

namespace {

#define TROUPE_KQ_TARGET __attribute__((target("avx2,fma,f16c")))

TROUPE_KQ_TARGET inline __attribute__((always_inline)) __m256i AddProducts(__m256i acc, __m256i a,
                                                                           __m256i b) {
  acc = _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
  // Integer adds are associative, so GCC regroups the whole block's chain into a tree and keeps
  // every product alive until the end, spilling most of them; an empty asm keeps the chain.
  __asm__("" : "+x"(acc));
  return acc;
}

// One row x 8 tokens: each unpacked weight vector serves 8 tokens, and the 8 integer sums stay in
// registers through a super-block (the float sums, touched once per super-block, may spill).
// Measured on Zen 3 at 64 tokens: 10-20% faster than 4 tokens; 2 rows spill the unpacked weights.
constexpr size_t kTileRows = 1;
constexpr size_t kTileTokens = 8;

#include "engine/kernels/dot_k_quants_x86_internal.h"  // the kernels, compiled for this target

#undef TROUPE_KQ_TARGET

}  // namespace

Kernel Avx2Kernel(TensorType type) { return KernelFor(type); }

}  // namespace troupe::engine::kernels::dot_rows::k_quants

#else

namespace troupe::engine::kernels::dot_rows::k_quants {
Kernel Avx2Kernel(TensorType) { return nullptr; }
}  // namespace troupe::engine::kernels::dot_rows::k_quants

#endif
