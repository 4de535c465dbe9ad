// Reads a studio job's request fields against their defaults, the first error naming its field:
// how every studio job checks what the API queues (flow_jobs.h, bias_job.h). Keys it is not asked
// for are left alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace troupe::studio {

class PayloadReader {
 public:
  explicit PayloadReader(const nlohmann::json& json) : json_(json) {}

  std::string Text(const char* key, bool required);
  int64_t Integer(const char* key, int64_t fallback, int64_t low, int64_t high);
  double Number(const char* key, double fallback, double low, double high);
  bool Flag(const char* key);
  // A list of 1..max_count strings, each with text and at most max_bytes; absent: empty.
  std::vector<std::string> Texts(const char* key, size_t max_count, size_t max_bytes);
  Status status() const { return status_; }

 private:
  void Fail(const char* key, std::string message);
  const nlohmann::json& json_;
  Status status_;
};

}  // namespace troupe::studio
