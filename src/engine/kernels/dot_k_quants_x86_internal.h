// The K-quant kernels of the AVX2 family, written once and compiled once per instruction set so
// the paths cannot drift apart. Not an ordinary header: each dot_k_quants_<isa>.cpp includes
// <immintrin.h> and dot_k_quants_internal.h, then this file inside its own anonymous namespace,
// after defining
//   TROUPE_KQ_TARGET   the target attribute of its instruction set, on every function here
//   AddProducts(acc, a, b) -> acc + _mm256_madd_epi16(a, b)   (VNNI: one vpdpwssd)
//   kTileRows, kTileTokens   its register blocking
//
// The integer core: weight levels are unsigned bytes (Q4_K 0..15, Q5_K 0..31, Q6_K 0..63 before
// its offset of 32) and activation levels signed bytes in -127..127, so _mm256_maddubs_epi16 sums
// pairs without saturating (at most 2 * 63 * 127), and AddProducts multiplies those pairs by the
// 16-bit scale of their run and widens to 32 bits. VNNI's byte product vpdpbusd would give sums of
// four that still need a 16-bit scale step, so vpdpwssd (the scale step fused with the add) is
// where VNNI saves an instruction. Every integer sum is exact; per super-block each (row, token)
// then does the same float operations whatever its place in a tile:
//   acc = fma(d * activation scale, float(products), acc)
//   acc = fnma(dmin * activation scale, float(min products), acc)     (Q4_K, Q5_K)
// and the eight lanes are summed in one fixed order at the end. Only explicit FMAs appear: GCC
// contracts _mm256_mul_ps feeding _mm256_add_ps into an FMA wherever it likes.
//
// No include guard or #pragma once: each including file is meant to get its own copy.

#define TROUPE_KQ_INLINE TROUPE_KQ_TARGET inline __attribute__((always_inline))

// Decode streams weights from DRAM (a model's weights pass through once per token), and the
// hardware prefetcher alone left a core at about half its read bandwidth: asking for the lines
// 2 KB ahead of the block being multiplied took Q4_K decode of a 33 MB matrix from 10 to 15 GB/s
// on an EPYC (Zen 3). Prefetching past the last row is harmless: prefetches do not fault.
constexpr size_t kPrefetchBytes = 2048;

TROUPE_KQ_INLINE __m256i LoadBytes(const void* bytes) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(bytes));
}

TROUPE_KQ_INLINE float LoadHalf(const uint8_t* bytes) {
  uint16_t bits;
  std::memcpy(&bits, bytes, sizeof(bits));
  return _cvtsh_ss(bits);
}

// A pshufb control giving every 16-bit word of the low 128-bit lane that lane's word `low`, and
// of the high lane its word `high`. Written as one _mm256_setr_epi16 so it folds to a constant.
TROUPE_KQ_INLINE __m256i PickWords(int low, int high) {
  const auto l = static_cast<short>(((2 * low + 1) << 8) | (2 * low));
  const auto h = static_cast<short>(((2 * high + 1) << 8) | (2 * high));
  return _mm256_setr_epi16(l, l, l, l, l, l, l, l, h, h, h, h, h, h, h, h);
}

TROUPE_KQ_INLINE float HorizontalSum(__m256 lanes) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(lanes), _mm256_extractf128_ps(lanes, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

// Moves bit `kFrom` of every byte to bit `kTo` (the others are garbage the caller masks off).
// 16-bit shifts suffice: bits only move within their byte by at most 4 places.
template <int kFrom, int kTo>
TROUPE_KQ_INLINE __m256i MoveBit(__m256i bytes) {
  if constexpr (kFrom < kTo) return _mm256_slli_epi16(bytes, kTo - kFrom);
  if constexpr (kFrom > kTo) return _mm256_srli_epi16(bytes, kFrom - kTo);
  return bytes;
}

// Q4_K and Q5_K's scales and minimums of one super-block, laid out for the integer products.
struct ScaledBlock {
  __m256i scales;  // the 8 sub-block scales as 16-bit words, in both 128-bit lanes
  __m256i mins;    // (min k, min k) in 32-bit lane k: madd with the 16 activation sums
  float d;
  float dmin;
  const uint8_t* block;
};

TROUPE_KQ_INLINE ScaledBlock LoadScaledBlock(const uint8_t* block) {
  const PackedScales packed = UnpackScalesAndMins(block + 4);
  const __m128i scales =
      _mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<long long>(packed.scales)));
  const __m128i mins = _mm_cvtsi64_si128(static_cast<long long>(packed.mins));
  return {_mm256_broadcastsi128_si256(scales), _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mins, mins)),
          LoadHalf(block), LoadHalf(block + 2), block};
}

TROUPE_KQ_INLINE __m256 AddScaledBlock(__m256 acc, __m256i products, const ScaledBlock& weights,
                                       const BlockQ8_K& activations) {
  const __m256i min_products = _mm256_madd_epi16(LoadBytes(activations.sums), weights.mins);
  acc = _mm256_fmadd_ps(_mm256_set1_ps(weights.d * activations.scale), _mm256_cvtepi32_ps(products),
                        acc);
  return _mm256_fnmadd_ps(_mm256_set1_ps(weights.dmin * activations.scale),
                          _mm256_cvtepi32_ps(min_products), acc);
}

// Each type gives, for group g of 64 elements (activation levels 64g..64g+63), two vectors of 32
// unsigned levels and the 16-bit scales that go with each.
struct Q4K {
  static constexpr size_t kBlockBytes = kQ4KBytes;
  using Weights = ScaledBlock;
  TROUPE_KQ_INLINE static Weights Load(const uint8_t* block) { return LoadScaledBlock(block); }

  // Group g is 32 bytes of nibbles: sub-block 2g low, 2g + 1 high.
  template <int kGroup>
  TROUPE_KQ_INLINE static void Unpack(const Weights& weights, __m256i levels[2],
                                      __m256i scales[2]) {
    const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
    const __m256i bytes = LoadBytes(weights.block + 16 + 32 * kGroup);
    levels[0] = _mm256_and_si256(bytes, low_nibbles);
    levels[1] = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low_nibbles);
    scales[0] = _mm256_shuffle_epi8(weights.scales, PickWords(2 * kGroup, 2 * kGroup));
    scales[1] = _mm256_shuffle_epi8(weights.scales, PickWords(2 * kGroup + 1, 2 * kGroup + 1));
  }

  TROUPE_KQ_INLINE static __m256 AddBlock(__m256 acc, __m256i products, const Weights& weights,
                                          const BlockQ8_K& activations) {
    return AddScaledBlock(acc, products, weights, activations);
  }
};

// As Q4_K, with bit 2g (2g + 1) of the 32 fifth-bit bytes as bit 4 of sub-block 2g (2g + 1).
struct Q5K {
  static constexpr size_t kBlockBytes = kQ5KBytes;
  using Weights = ScaledBlock;
  TROUPE_KQ_INLINE static Weights Load(const uint8_t* block) { return LoadScaledBlock(block); }

  template <int kGroup>
  TROUPE_KQ_INLINE static void Unpack(const Weights& weights, __m256i levels[2],
                                      __m256i scales[2]) {
    const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
    const __m256i bit_four = _mm256_set1_epi8(0x10);
    const __m256i fifth = LoadBytes(weights.block + 16);
    const __m256i bytes = LoadBytes(weights.block + 48 + 32 * kGroup);
    const __m256i low_fifth = _mm256_and_si256(MoveBit<2 * kGroup, 4>(fifth), bit_four);
    const __m256i high_fifth = _mm256_and_si256(MoveBit<2 * kGroup + 1, 4>(fifth), bit_four);
    levels[0] = _mm256_or_si256(_mm256_and_si256(bytes, low_nibbles), low_fifth);
    levels[1] =
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bytes, 4), low_nibbles), high_fifth);
    scales[0] = _mm256_shuffle_epi8(weights.scales, PickWords(2 * kGroup, 2 * kGroup));
    scales[1] = _mm256_shuffle_epi8(weights.scales, PickWords(2 * kGroup + 1, 2 * kGroup + 1));
  }

  TROUPE_KQ_INLINE static __m256 AddBlock(__m256 acc, __m256i products, const Weights& weights,
                                          const BlockQ8_K& activations) {
    return AddScaledBlock(acc, products, weights, activations);
  }
};

// Q6_K's levels stay unsigned (0..63) for maddubs; their offset of 32 comes back exactly through
// the activation sums of the runs r of 16:
//   sum scale_r * (q - 32) * a = sum scale_r * q * a - 32 * sum_r scale_r * sums_r
struct Q6K {
  static constexpr size_t kBlockBytes = kQ6KBytes;
  struct Weights {
    __m256i half_scales[2];  // the 8 int8 scales of each 128 elements as 16-bit words, both lanes
    __m256i offset_scales;   // -32 * scale r in word r: madd with the 16 activation sums
    float d;
    const uint8_t* block;
  };

  TROUPE_KQ_INLINE static Weights Load(const uint8_t* block) {
    const __m256i scales =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 192)));
    return {{_mm256_permute4x64_epi64(scales, 0x44), _mm256_permute4x64_epi64(scales, 0xEE)},
            _mm256_sub_epi16(_mm256_setzero_si256(), _mm256_slli_epi16(scales, 5)),
            LoadHalf(block + 208),
            block};
  }

  // Group g covers runs of 32 numbered 2g and 2g + 1 of the 8: in half h = g / 2 of the block,
  // g even takes the low nibbles of low bytes 0-31 and 32-63 with high bits 0-1 and 2-3, g odd
  // their high nibbles with bits 4-5 and 6-7. Each run of 32 has a scale per 16: one per lane.
  template <int kGroup>
  TROUPE_KQ_INLINE static void Unpack(const Weights& weights, __m256i levels[2],
                                      __m256i scales[2]) {
    constexpr int kHalf = kGroup / 2;
    constexpr int kNibble = 4 * (kGroup % 2);
    const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
    const __m256i top_bits = _mm256_set1_epi8(0x30);
    const __m256i first = LoadBytes(weights.block + 64 * kHalf);
    const __m256i second = LoadBytes(weights.block + 64 * kHalf + 32);
    const __m256i high = LoadBytes(weights.block + 128 + 32 * kHalf);
    levels[0] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(first, kNibble), low_nibbles),
                                _mm256_and_si256(MoveBit<kNibble, 4>(high), top_bits));
    levels[1] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(second, kNibble), low_nibbles),
                                _mm256_and_si256(MoveBit<kNibble + 2, 4>(high), top_bits));
    // Run k of the group has scale words kNibble + 2k (its first 16 elements), kNibble + 2k + 1.
    for (int k = 0; k < 2; ++k) {
      const __m256i pick = PickWords(kNibble + 2 * k, kNibble + 2 * k + 1);
      scales[k] = _mm256_shuffle_epi8(weights.half_scales[kHalf], pick);
    }
  }

  TROUPE_KQ_INLINE static __m256 AddBlock(__m256 acc, __m256i products, const Weights& weights,
                                          const BlockQ8_K& activations) {
    products = AddProducts(products, LoadBytes(activations.sums), weights.offset_scales);
    return _mm256_fmadd_ps(_mm256_set1_ps(weights.d * activations.scale),
                           _mm256_cvtepi32_ps(products), acc);
  }
};

template <class Type, int kGroup, size_t kRows, size_t kTokens>
TROUPE_KQ_INLINE void MultiplyGroup(const typename Type::Weights (&weights)[kRows],
                                    const BlockQ8_K* const (&activations)[kTokens],
                                    __m256i (&products)[kRows][kTokens]) {
  __m256i levels[kRows][2];
  __m256i scales[kRows][2];
#pragma GCC unroll 8
  for (size_t r = 0; r < kRows; ++r) {
    Type::template Unpack<kGroup>(weights[r], levels[r], scales[r]);
  }
#pragma GCC unroll 8
  for (size_t t = 0; t < kTokens; ++t) {
    const int8_t* levels_of_token = activations[t]->levels + 64 * kGroup;
#pragma GCC unroll 8
    for (size_t r = 0; r < kRows; ++r) {
#pragma GCC unroll 2
      for (size_t k = 0; k < 2; ++k) {
        const __m256i pairs =
            _mm256_maddubs_epi16(levels[r][k], LoadBytes(levels_of_token + 32 * k));
        products[r][t] = AddProducts(products[r][t], pairs, scales[r][k]);
      }
    }
  }
}

template <class Type, size_t kRows, size_t kTokens>
struct SimdTile {
  TROUPE_KQ_TARGET static void Run(const DotRowsProblem& problem, size_t first_row,
                                   size_t first_token) {
    __m256 acc[kRows][kTokens];
#pragma GCC unroll 8
    for (size_t r = 0; r < kRows; ++r) {
#pragma GCC unroll 8
      for (size_t t = 0; t < kTokens; ++t) acc[r][t] = _mm256_setzero_ps();
    }
    const size_t blocks = problem.cols / kSuperBlock;
    for (size_t block = 0; block < blocks; ++block) {
      typename Type::Weights weights[kRows];
#pragma GCC unroll 8
      for (size_t r = 0; r < kRows; ++r) {
        const uint8_t* weight_block = WeightBlock(problem, first_row + r, block, Type::kBlockBytes);
        for (size_t line = 0; line < Type::kBlockBytes; line += 64) {
          _mm_prefetch(reinterpret_cast<const char*>(weight_block) + kPrefetchBytes + line,
                       _MM_HINT_T0);
        }
        weights[r] = Type::Load(weight_block);
      }
      const BlockQ8_K* activations[kTokens];
#pragma GCC unroll 8
      for (size_t t = 0; t < kTokens; ++t) {
        activations[t] = ActivationBlock(problem, first_token + t, block);
      }
      __m256i products[kRows][kTokens];
#pragma GCC unroll 8
      for (size_t r = 0; r < kRows; ++r) {
#pragma GCC unroll 8
        for (size_t t = 0; t < kTokens; ++t) products[r][t] = _mm256_setzero_si256();
      }
      MultiplyGroup<Type, 0>(weights, activations, products);
      MultiplyGroup<Type, 1>(weights, activations, products);
      MultiplyGroup<Type, 2>(weights, activations, products);
      MultiplyGroup<Type, 3>(weights, activations, products);
#pragma GCC unroll 8
      for (size_t r = 0; r < kRows; ++r) {
#pragma GCC unroll 8
        for (size_t t = 0; t < kTokens; ++t) {
          acc[r][t] = Type::AddBlock(acc[r][t], products[r][t], weights[r], *activations[t]);
        }
      }
    }
#pragma GCC unroll 8
    for (size_t r = 0; r < kRows; ++r) {
#pragma GCC unroll 8
      for (size_t t = 0; t < kTokens; ++t) {
        problem.out[(first_token + t) * problem.out_stride + first_row + r] =
            HorizontalSum(acc[r][t]);
      }
    }
  }
};

template <class Type>
struct TileOf {
  template <size_t kRows, size_t kTokens>
  using Tile = SimdTile<Type, kRows, kTokens>;
};

template <class Type>
void RunSimd(const DotRowsProblem& problem) {
  static constexpr TileTable<kTileRows, kTileTokens> kTable =
      MakeTileTable<TileOf<Type>::template Tile, kTileRows, kTileTokens>();
  RunTiles(problem, kTable);
}

Kernel KernelFor(TensorType type) {
  switch (type) {
    case TensorType::kQ4_K: return RunSimd<Q4K>;
    case TensorType::kQ5_K: return RunSimd<Q5K>;
    case TensorType::kQ6_K: return RunSimd<Q6K>;
    default: return nullptr;
  }
}

#undef TROUPE_KQ_INLINE
