// The AVX-VNNI variants of the integer small-block dot products: the AVX2 tile with the block
// product done by VEX vpdpbusd (one instruction instead of sign, vpmaddubsw and vpmaddwd). The
// float types have nothing new to gain here and run their AVX2 variants.
#include "engine/kernels/dot_small_blocks_internal.h"

#if defined(__x86_64__)

#define TROUPE_DOT_TARGET __attribute__((target("avx2,fma,f16c,avxvnni")))
#include "engine/kernels/dot_small_blocks_x86_internal.h"

namespace troupe::engine::kernels::dot_small_blocks {

namespace {

struct VexDotProduct {
  TROUPE_DOT_INLINE static __m256i Accumulate(__m256i sum, __m256i unsigned_bytes,
                                              __m256i signed_bytes) {
    return _mm256_dpbusd_avx_epi32(sum, unsigned_bytes, signed_bytes);
  }
};

// The AVX2 integer tile shape: the same 16 vector registers.
constexpr size_t kTileRows = 4;
constexpr size_t kTileTokens = 4;

template <class Blocks>
using VnniIntTiles = IntTiles<OffsetTrick<VexDotProduct>, Blocks>;

}  // namespace

dot_rows::Kernel AvxVnniKernel(TensorType type) {
  switch (type) {
    case TensorType::kQ8_0:
      return &RunTiles<VnniIntTiles<Q8_0Blocks>, kTileRows, kTileTokens>;
    case TensorType::kQ4_0:
      return &RunTiles<VnniIntTiles<Q4_0Blocks>, kTileRows, kTileTokens>;
    case TensorType::kQ5_0:
      return &RunTiles<VnniIntTiles<Q5_0Blocks>, kTileRows, kTileTokens>;
    default:
      return nullptr;
  }
}

}  // namespace troupe::engine::kernels::dot_small_blocks

#else  // !defined(__x86_64__)

namespace troupe::engine::kernels::dot_small_blocks {
dot_rows::Kernel AvxVnniKernel(TensorType) { return nullptr; }
}  // namespace troupe::engine::kernels::dot_small_blocks

#endif
