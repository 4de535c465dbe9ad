// Fast IEEE half <-> float conversion for the kernels: a table for single values and row
// converters with an F16C path. quant.h's FloatToHalf / HalfToFloat define the exact results;
// these agree with them bit for bit
// (NaN stays NaN, its payload may differ).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace troupe::engine::kernels {

// Every half's float value, indexed by the half's bits.
extern const std::array<float, 65536> kHalfToFloat;

inline float HalfBitsToFloat(uint16_t bits) { return kHalfToFloat[bits]; }

void HalfRowToFloat(const uint16_t* src, float* dst, size_t count);
// Rounds to nearest even, like quant.h's FloatToHalf.
void FloatRowToHalf(const float* src, uint16_t* dst, size_t count);

}  // namespace troupe::engine::kernels
