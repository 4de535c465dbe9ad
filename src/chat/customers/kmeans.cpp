// k-means: k-means++ seeding from a fixed-seed generator, Lloyd iterations with Eigen, several
// restarts, an empty cluster refilled by the point farthest from its centroid. The generator's
// numbers are turned into doubles by hand, since std::uniform_real_distribution may differ between
// standard libraries.
#include "chat/customers/kmeans.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <Eigen/Dense>

namespace troupe::chat::customers {
namespace {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Scaling {
  Eigen::RowVectorXd mean;
  Eigen::RowVectorXd scale;  // 1 for a dimension that does not vary
};

double UnitInterval(std::mt19937_64& generator) { return static_cast<double>(generator() >> 11) * 0x1.0p-53; }

Scaling StandardScaling(const Matrix& points, bool standardise) {
  const Eigen::Index dimensions = points.cols();
  Scaling scaling{Eigen::RowVectorXd::Zero(dimensions), Eigen::RowVectorXd::Ones(dimensions)};
  if (!standardise) return scaling;
  scaling.mean = points.colwise().mean();
  for (Eigen::Index d = 0; d < dimensions; ++d) {
    const double deviation =
        std::sqrt((points.col(d).array() - scaling.mean(d)).square().sum() / static_cast<double>(points.rows()));
    if (deviation > 1e-12) scaling.scale(d) = deviation;
  }
  return scaling;
}

// Squared distance of every point to its nearest row of `centroids`.
Eigen::VectorXd NearestSquaredDistances(const Matrix& points, const Matrix& centroids, std::vector<int>* nearest) {
  Eigen::VectorXd best(points.rows());
  for (Eigen::Index i = 0; i < points.rows(); ++i) {
    Eigen::Index index = 0;
    best(i) = (centroids.rowwise() - points.row(i)).rowwise().squaredNorm().minCoeff(&index);
    if (nearest != nullptr) (*nearest)[static_cast<size_t>(i)] = static_cast<int>(index);
  }
  return best;
}

Matrix PlusPlusSeeds(const Matrix& points, int k, std::mt19937_64& generator) {
  const Eigen::Index count = points.rows();
  Matrix centroids(k, points.cols());
  centroids.row(0) = points.row(static_cast<Eigen::Index>(UnitInterval(generator) * static_cast<double>(count)));
  for (int c = 1; c < k; ++c) {
    const Eigen::VectorXd weights = NearestSquaredDistances(points, centroids.topRows(c), nullptr);
    const double total = weights.sum();
    Eigen::Index chosen = static_cast<Eigen::Index>(UnitInterval(generator) * static_cast<double>(count));
    if (total > 0) {
      double target = UnitInterval(generator) * total;
      chosen = count - 1;
      for (Eigen::Index i = 0; i < count; ++i) {
        target -= weights(i);
        if (target < 0) {
          chosen = i;
          break;
        }
      }
    }
    centroids.row(c) = points.row(chosen);
  }
  return centroids;
}

KMeansResult Lloyd(const Matrix& points, Matrix centroids, int max_iterations) {
  const int k = static_cast<int>(centroids.rows());
  KMeansResult result;
  result.assignment.assign(static_cast<size_t>(points.rows()), -1);
  std::vector<int> nearest(result.assignment.size());
  for (result.iterations = 1; result.iterations <= max_iterations; ++result.iterations) {
    Eigen::VectorXd distances = NearestSquaredDistances(points, centroids, &nearest);
    Matrix sums = Matrix::Zero(k, points.cols());
    std::vector<int64_t> sizes(static_cast<size_t>(k), 0);
    for (Eigen::Index i = 0; i < points.rows(); ++i) {
      sums.row(nearest[static_cast<size_t>(i)]) += points.row(i);
      ++sizes[static_cast<size_t>(nearest[static_cast<size_t>(i)])];
    }
    for (int c = 0; c < k; ++c) {
      if (sizes[static_cast<size_t>(c)] > 0) continue;
      // An empty cluster takes the point farthest from its centroid.
      Eigen::Index farthest = 0;
      distances.maxCoeff(&farthest);
      const int from = nearest[static_cast<size_t>(farthest)];
      if (sizes[static_cast<size_t>(from)] <= 1) continue;
      sums.row(from) -= points.row(farthest);
      --sizes[static_cast<size_t>(from)];
      sums.row(c) = points.row(farthest);
      sizes[static_cast<size_t>(c)] = 1;
      nearest[static_cast<size_t>(farthest)] = c;
      distances(farthest) = 0;
    }
    for (int c = 0; c < k; ++c) {
      if (sizes[static_cast<size_t>(c)] > 0) centroids.row(c) = sums.row(c) / static_cast<double>(sizes[static_cast<size_t>(c)]);
    }
    const bool settled = nearest == result.assignment;
    result.assignment = nearest;
    result.sizes = sizes;
    if (settled) break;
  }
  result.iterations = std::min(result.iterations, max_iterations);
  result.inertia = 0;
  for (Eigen::Index i = 0; i < points.rows(); ++i) {
    result.inertia += (points.row(i) - centroids.row(result.assignment[static_cast<size_t>(i)])).squaredNorm();
  }
  result.centroids.assign(static_cast<size_t>(k), {});
  for (int c = 0; c < k; ++c) {
    result.centroids[static_cast<size_t>(c)].assign(centroids.row(c).data(), centroids.row(c).data() + centroids.cols());
  }
  return result;
}

// Renumbers the clusters largest first and puts the centroids back in the points' units.
void Canonicalise(KMeansResult& result, const Scaling& scaling) {
  const size_t k = result.sizes.size();
  for (auto& centroid : result.centroids) {
    for (size_t d = 0; d < centroid.size(); ++d) {
      centroid[d] = centroid[d] * scaling.scale(static_cast<Eigen::Index>(d)) + scaling.mean(static_cast<Eigen::Index>(d));
    }
  }
  std::vector<int> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    if (result.sizes[static_cast<size_t>(a)] != result.sizes[static_cast<size_t>(b)]) {
      return result.sizes[static_cast<size_t>(a)] > result.sizes[static_cast<size_t>(b)];
    }
    return result.centroids[static_cast<size_t>(a)] < result.centroids[static_cast<size_t>(b)];
  });
  std::vector<int> rank(k);
  KMeansResult sorted = result;
  for (size_t r = 0; r < k; ++r) {
    rank[static_cast<size_t>(order[r])] = static_cast<int>(r);
    sorted.sizes[r] = result.sizes[static_cast<size_t>(order[r])];
    sorted.centroids[r] = result.centroids[static_cast<size_t>(order[r])];
  }
  for (int& cluster : sorted.assignment) cluster = rank[static_cast<size_t>(cluster)];
  result = std::move(sorted);
}

Result<Matrix> ToMatrix(const std::vector<std::vector<double>>& points) {
  const size_t dimensions = points.empty() ? 0 : points.front().size();
  if (dimensions == 0) return InvalidArgument("points need at least one dimension", "points");
  Matrix matrix(static_cast<Eigen::Index>(points.size()), static_cast<Eigen::Index>(dimensions));
  for (size_t i = 0; i < points.size(); ++i) {
    if (points[i].size() != dimensions) return InvalidArgument("every point needs the same dimensions", "points");
    for (size_t d = 0; d < dimensions; ++d) {
      if (!std::isfinite(points[i][d])) return InvalidArgument("a point holds a value that is not finite", "points");
      matrix(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(d)) = points[i][d];
    }
  }
  return matrix;
}

}  // namespace

Result<KMeansResult> KMeans(const std::vector<std::vector<double>>& points, const KMeansOptions& options) {
  if (options.k < 1) return InvalidArgument("k must be at least 1", "k");
  if (points.size() < static_cast<size_t>(options.k)) {
    return InvalidArgument("k-means with k = " + std::to_string(options.k) + " needs at least " +
                               std::to_string(options.k) + " points, got " + std::to_string(points.size()),
                           "k");
  }
  TROUPE_ASSIGN_OR_RETURN(Matrix raw, ToMatrix(points));
  const Scaling scaling = StandardScaling(raw, options.standardise);
  Matrix scaled = raw;
  for (Eigen::Index d = 0; d < raw.cols(); ++d) {
    scaled.col(d) = (raw.col(d).array() - scaling.mean(d)) / scaling.scale(d);
  }
  std::mt19937_64 generator(options.seed);
  KMeansResult best;
  for (int restart = 0; restart < std::max(1, options.restarts); ++restart) {
    KMeansResult candidate = Lloyd(scaled, PlusPlusSeeds(scaled, options.k, generator), std::max(1, options.max_iterations));
    if (restart == 0 || candidate.inertia < best.inertia) best = std::move(candidate);
  }
  Canonicalise(best, scaling);
  return best;
}

}  // namespace troupe::chat::customers
