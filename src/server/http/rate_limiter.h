// Token-bucket rate limiting keyed by a string (an API key's id). Each key's bucket holds up to
// `burst` tokens and refills at `rate_per_second`; a request takes one. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"

namespace troupe::server {

class RateLimiter {
 public:
  struct Decision {
    bool allowed = true;
    // When refused: whole seconds until a token is available (at least 1), for Retry-After.
    int retry_after_seconds = 0;
  };

  // `rate_per_second` <= 0 disables limiting (every request is allowed). `burst` below 1 counts
  // as 1. `clock` must outlive the limiter.
  RateLimiter(double rate_per_second, int burst, const Clock& clock);

  // Takes a token from `key`'s bucket if one is there.
  Decision Acquire(std::string_view key);

  // Number of keys tracked (buckets that refilled completely are forgotten now and then).
  size_t tracked_keys() const;

 private:
  struct Bucket {
    double tokens = 0;
    int64_t updated_millis = 0;
  };
  // Drops buckets that are full again: they behave exactly like a new bucket.
  void ForgetFullBuckets(int64_t now_millis);  // requires mutex_

  const double rate_per_second_;
  const double burst_;
  const Clock& clock_;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mutex_
  size_t next_sweep_size_ = 1024;                    // guarded by mutex_
};

}  // namespace troupe::server
