// k-means clustering of points in a few dimensions (customers on chosen numeric fields).
// Deterministic: the same points, k and seed give the same clusters on every run and machine.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"

namespace troupe::chat::customers {

struct KMeansOptions {
  int k = 3;
  uint64_t seed = 1;
  int max_iterations = 100;  // per restart
  int restarts = 8;          // seeded k-means++ starts; the one with the least inertia wins
  // Scale every dimension to mean 0 and standard deviation 1 before clustering (a constant
  // dimension becomes 0), so no field outweighs another by its units.
  bool standardise = true;
};

struct KMeansResult {
  // Clusters are numbered by size, largest first (ties: smaller centroid first, dimension by
  // dimension). assignment[i] is the cluster of points[i].
  std::vector<int> assignment;
  std::vector<std::vector<double>> centroids;  // in the points' own units, one per cluster
  std::vector<int64_t> sizes;
  double inertia = 0;  // sum of squared distances to the centroids, in the clustered (scaled) space
  int iterations = 0;  // of the winning restart
};

// kInvalidArgument (field "k") when k < 1 or there are fewer points than k; (field "points") when
// the points are not all of one non-zero dimension or hold a value that is not finite.
Result<KMeansResult> KMeans(const std::vector<std::vector<double>>& points, const KMeansOptions& options);

}  // namespace troupe::chat::customers
