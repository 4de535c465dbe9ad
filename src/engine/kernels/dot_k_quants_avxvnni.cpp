// The K-quant kernels for AVX-VNNI (dot_k_quants_x86.h): the AVX2 kernels with vpdpwssd
// fusing the 16-bit scale step and its add. Target attributes per function, as for AVX2.
#include "engine/kernels/dot_k_quants_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace troupe::engine::kernels::dot_rows::k_quants {

namespace {

#define TROUPE_KQ_TARGET __attribute__((target("avx2,fma,f16c,avxvnni")))

TROUPE_KQ_TARGET inline __attribute__((always_inline)) __m256i AddProducts(__m256i acc, __m256i a,
                                                                           __m256i b) {
  return _mm256_dpwssd_avx_epi32(acc, a, b);
}

// The AVX2 tiling (dot_k_quants_avx2.cpp), so every x86 path runs the same code.
constexpr size_t kTileRows = 1;
constexpr size_t kTileTokens = 8;

#include "engine/kernels/dot_k_quants_x86_internal.h"  // the kernels, compiled for this target

#undef TROUPE_KQ_TARGET

}  // namespace

Kernel AvxVnniKernel(TensorType type) { return KernelFor(type); }

}  // namespace troupe::engine::kernels::dot_rows::k_quants

#else

namespace troupe::engine::kernels::dot_rows::k_quants {
Kernel AvxVnniKernel(TensorType) { return nullptr; }
}  // namespace troupe::engine::kernels::dot_rows::k_quants

#endif
