// SplitMix64 (Steele, Lea and Flood), the engine's one source of reproducible random bits: the
// sampler's seeds and synthetic weights give the same bytes on every platform and standard library.
#pragma once

#include <cstdint>

namespace troupe::engine {

// Advances the state and returns its next 64 random bits.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace troupe::engine
