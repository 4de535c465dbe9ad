// Customer segments. A segment's members are the users whose users.segment equals its name:
// evaluating a segment (chat/customers/) and applying it writes that field through Assign, and
// anything that targets a segment (campaigns) reads the field. Thread-safe; failures are Status
// values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

// "rules": definition_json is {"rules": {...}}; "kmeans": {"kmeans": {...}} and result_json holds
// the clusters of its last run; "cluster": one cluster of the k-means segment named `parent`,
// definition_json {"index": i}. The store keeps the JSON as given: chat/customers/ interprets it.
struct Segment {
  int64_t id = 0;
  std::string name;  // unique; 1..64 of [A-Za-z0-9_.-]
  std::string description;
  std::string kind = "rules";
  std::string definition_json = "{}";
  std::string parent;  // "" unless kind is "cluster"
  std::string result_json = "{}";
  int64_t member_count = 0;  // users whose segment is this name, counted when read
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// What Assign changed, summed over the segments it was given.
struct SegmentAssignment {
  int64_t members = 0;  // users in the segments afterwards
  int64_t added = 0;    // of them, users that were not in that segment before
  int64_t removed = 0;  // users that were in one of the segments and no longer are (segment "")
};

class SegmentRepository {
 public:
  virtual ~SegmentRepository() = default;
  // Fills id and times. kInvalidArgument (field "name") for a bad name, kConflict when taken.
  virtual Result<Segment> Create(Segment segment) = 0;
  // Creates `segments` in one transaction: all or none.
  virtual Status CreateAll(std::vector<Segment> segments) = 0;
  virtual Result<Segment> Get(std::string_view name) = 0;
  // By name: description, definition_json and result_json. kNotFound if absent.
  virtual Result<Segment> Update(Segment segment) = 0;
  // Segments in ascending id order.
  virtual Result<Page<Segment>> List(const PageRequest& page) = 0;
  // Deletes the segment and its clusters, and empties users.segment of their members; returns
  // how many users left them. kNotFound if absent.
  virtual Result<int64_t> Delete(std::string_view name) = 0;
  // Users whose segment is `name`, ascending id (the name need not be a stored segment).
  virtual Result<Page<User>> Members(std::string_view name, const PageRequest& page) = 0;
  // For each segment name, makes exactly the listed users its members, in one transaction:
  // listed users get users.segment = name (leaving whatever segment they were in); users who were
  // in the segment and are not listed get "".
  virtual Result<SegmentAssignment> Assign(const std::map<std::string, std::vector<int64_t>>& members) = 0;
};

}  // namespace troupe::store
