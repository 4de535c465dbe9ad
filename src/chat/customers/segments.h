// Defining and applying customer segments over the store. A rule segment's members are the
// customers its rules match (segment_rules.h); a k-means segment NAME clusters the customers that
// have a number (or boolean) in every chosen field, standardised, into NAME-1..NAME-k (largest
// first; kmeans.h), and its clusters are segments of their own. Applying writes users.segment
// (segment_repository.h); nothing else does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/store.h"

namespace troupe::chat::customers {

inline constexpr int kMaxKMeansFields = 16;
inline constexpr int kMaxKMeansClusters = 50;

// Creates a segment from {name, description?, rules: {...}} or {name, description?, kmeans:
// {fields: [...], k, seed?}}. A k-means segment is clustered at once, so its centroids are known
// from the start, and its clusters are created with it. kInvalidArgument naming the field for a
// bad body (rules.all[0].op, kmeans.k, ...), or for fewer clusterable customers than k;
// kConflict when the name or a cluster's name is taken. Writes no users.segment.
Result<store::Segment> DefineSegment(store::Store& store, const nlohmann::json& body, int64_t now);

struct SegmentApplyReport {
  std::string name;
  int64_t evaluated = 0;  // customers looked at
  int64_t skipped = 0;    // k-means: customers lacking a number in some field (in no cluster)
  int64_t members = 0;    // members afterwards (k-means: in all clusters)
  int64_t added = 0;      // members that were not before
  int64_t removed = 0;    // former members that are not any more
  nlohmann::json clusters = nlohmann::json::array();  // k-means: [{name, size, centroid}]
};

// Evaluates the segment over every customer as of `now` and makes the result its membership (a
// k-means segment is clustered again, with its seed, and its stored centroids updated).
// kNotFound for an unknown segment; kFailedPrecondition for a cluster (apply its k-means segment).
Result<SegmentApplyReport> ApplySegment(store::Store& store, std::string_view name, int64_t now);

nlohmann::json SegmentApplyReportJson(const SegmentApplyReport& report);

}  // namespace troupe::chat::customers
