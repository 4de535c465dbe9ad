// The two inner loops of attention over a chunk of cached positions, for one query head: the
// scores of the chunk's keys and the probability-weighted sum of its values. Each has a baseline
// version the compiler vectorizes and an AVX2/FMA version chosen at run time (cpu_features.h).
//
// What a result depends on: a score only on its query and key (keys are taken four at a time,
// and a key's arithmetic is the same in every position of the four); an accumulated element
// only on its own values and weights, added in position order. So attention's bits do not
// depend on how tokens are batched, on one machine.
#pragma once

#include <cstddef>

namespace troupe::engine::kernels {

// Keys are scored in groups of this many: ScoreKeys reads RoundUp(count, kScoreGroup) rows.
inline constexpr size_t kScoreGroup = 4;

// scores[j] = dot(keys + j * dim, query) * scale for j < count. `keys` holds at least
// RoundUp(count, kScoreGroup) rows of `dim` floats (the extra rows' scores are not written).
void ScoreKeys(const float* query, const float* keys, size_t count, size_t dim, float scale, float* scores);

// accumulator[i] += weights[j] * values[j * dim + i] for j = 0..count-1 in order, i < dim.
void AccumulateValues(const float* weights, const float* values, size_t count, size_t dim, float* accumulator);

}  // namespace troupe::engine::kernels
