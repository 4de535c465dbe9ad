// SplitMix64 (Steele, Lea and Flood): reproducible random bits and a stable 64-bit mix, the same on
// every platform and standard library (std::hash and the std distributions are not). Used where a
// draw must not change between builds: flow moods, experiment splits, avatars, data splits. The
// engine keeps its own copy, since it depends on nothing of Troupe.
#pragma once

#include <cstdint>

namespace troupe {

inline constexpr uint64_t kSplitMix64Gamma = 0x9E3779B97F4A7C15ull;

// The generator's output function: a bijective mix of all 64 bits.
inline uint64_t SplitMix64Finalize(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Advances the state and returns its next 64 random bits.
inline uint64_t SplitMix64(uint64_t& state) { return SplitMix64Finalize(state += kSplitMix64Gamma); }

// The top 53 bits of `bits` as a double in [0, 1).
inline double UnitInterval(uint64_t bits) { return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0); }

}  // namespace troupe
