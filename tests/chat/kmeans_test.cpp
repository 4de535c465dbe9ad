// k-means on data with known answers: well-separated blobs are recovered point for point, the same
// seed gives the same clusters, standardisation keeps a large-unit field from drowning a small
// one, and bad input is refused with the field named.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "chat/customers/kmeans.h"

namespace troupe::chat::customers {
namespace {

struct Blobs {
  std::vector<std::vector<double>> points;
  std::vector<int> blob;  // which blob each point was drawn from
};

// `sizes[b]` points around centre b with a spread far smaller than the distance between centres.
Blobs MakeBlobs(const std::vector<std::vector<double>>& centres, const std::vector<int>& sizes, double spread,
                uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<double> noise(0.0, spread);
  Blobs blobs;
  for (size_t b = 0; b < centres.size(); ++b) {
    for (int i = 0; i < sizes[b]; ++i) {
      std::vector<double> point;
      for (double coordinate : centres[b]) point.push_back(coordinate + noise(generator));
      blobs.points.push_back(point);
      blobs.blob.push_back(static_cast<int>(b));
    }
  }
  return blobs;
}

TEST(KMeansTest, EveryPointLandsWithItsBlob) {
  const Blobs blobs = MakeBlobs({{0, 0}, {10, 10}, {-10, 10}}, {40, 30, 20}, 0.5, 7);
  KMeansOptions options;
  options.k = 3;
  options.seed = 42;
  Result<KMeansResult> result = KMeans(blobs.points, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  // Clusters are numbered largest first, and the blobs have different sizes: blob b is cluster b.
  ASSERT_EQ(result->assignment.size(), blobs.points.size());
  for (size_t i = 0; i < blobs.points.size(); ++i) EXPECT_EQ(result->assignment[i], blobs.blob[i]) << "point " << i;
  EXPECT_EQ(result->sizes, (std::vector<int64_t>{40, 30, 20}));
  // Centroids come back in the points' units, near the blob centres.
  const std::vector<std::vector<double>> centres = {{0, 0}, {10, 10}, {-10, 10}};
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_NEAR(result->centroids[c][0], centres[c][0], 0.5);
    EXPECT_NEAR(result->centroids[c][1], centres[c][1], 0.5);
  }
}

TEST(KMeansTest, TheSameSeedGivesTheSameClusters) {
  const Blobs blobs = MakeBlobs({{0, 0, 0}, {3, 3, 3}, {6, 0, 3}, {0, 6, 6}}, {25, 25, 25, 25}, 1.5, 3);
  KMeansOptions options;
  options.k = 4;
  options.seed = 9;
  Result<KMeansResult> first = KMeans(blobs.points, options);
  Result<KMeansResult> second = KMeans(blobs.points, options);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->assignment, second->assignment);
  EXPECT_EQ(first->centroids, second->centroids);
  EXPECT_EQ(first->inertia, second->inertia);
}

TEST(KMeansTest, StandardisingLetsASmallUnitFieldSeparateTheClusters) {
  // Two groups told apart only by the second field (0 or 1); the first field varies widely at
  // random. Unscaled, the first field's spread decides; scaled, the groups are found.
  std::mt19937_64 generator(5);
  std::uniform_real_distribution<double> wide(0.0, 1000.0);
  std::vector<std::vector<double>> points;
  std::vector<int> group;
  for (int i = 0; i < 60; ++i) {
    group.push_back(i % 2);
    points.push_back({wide(generator), static_cast<double>(i % 2) * 1.0 + (i % 3) * 0.01});
  }
  KMeansOptions options;
  options.k = 2;
  options.seed = 1;
  Result<KMeansResult> scaled = KMeans(points, options);
  ASSERT_TRUE(scaled.ok());
  std::set<std::pair<int, int>> pairs;  // (group, cluster) seen
  for (size_t i = 0; i < points.size(); ++i) pairs.insert({group[i], scaled->assignment[i]});
  EXPECT_EQ(pairs.size(), 2u) << "each group is exactly one cluster";

  options.standardise = false;
  Result<KMeansResult> raw = KMeans(points, options);
  ASSERT_TRUE(raw.ok());
  std::set<std::pair<int, int>> raw_pairs;
  for (size_t i = 0; i < points.size(); ++i) raw_pairs.insert({group[i], raw->assignment[i]});
  EXPECT_GT(raw_pairs.size(), 2u) << "without scaling the wide field splits the groups";
}

TEST(KMeansTest, IdenticalPointsAndKOfOne) {
  std::vector<std::vector<double>> same(5, std::vector<double>{2.0, 3.0});
  KMeansOptions options;
  options.k = 2;
  Result<KMeansResult> result = KMeans(same, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->sizes[0] + result->sizes[1], 5);
  EXPECT_DOUBLE_EQ(result->centroids[0][0], 2.0);
  options.k = 1;
  result = KMeans(same, options);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->sizes, (std::vector<int64_t>{5}));
}

TEST(KMeansTest, BadInputNamesTheField) {
  KMeansOptions options;
  options.k = 3;
  Result<KMeansResult> too_few = KMeans({{1.0}, {2.0}}, options);
  EXPECT_EQ(too_few.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(too_few.status().field(), "k");
  options.k = 1;
  EXPECT_EQ(KMeans({{1.0}, {2.0, 3.0}}, options).status().field(), "points");
  EXPECT_EQ(KMeans({{1.0}, {std::nan("")}}, options).status().field(), "points");
  options.k = 0;
  EXPECT_EQ(KMeans({{1.0}}, options).status().field(), "k");
}

}  // namespace
}  // namespace troupe::chat::customers
