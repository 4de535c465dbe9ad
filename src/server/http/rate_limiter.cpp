#include "server/http/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace troupe::server {

RateLimiter::RateLimiter(double rate_per_second, int burst, const Clock& clock)
    : rate_per_second_(rate_per_second), burst_(std::max(burst, 1)), clock_(clock) {}

RateLimiter::Decision RateLimiter::Acquire(std::string_view key) {
  if (!(rate_per_second_ > 0)) return {};
  int64_t now = clock_.NowMillis();
  std::lock_guard lock(mutex_);
  auto [it, inserted] = buckets_.try_emplace(std::string(key));
  Bucket& bucket = it->second;
  if (inserted) {
    bucket.tokens = burst_;
  } else if (now > bucket.updated_millis) {
    double elapsed_seconds = static_cast<double>(now - bucket.updated_millis) / 1000.0;
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed_seconds * rate_per_second_);
  }
  // A clock that steps back leaves the bucket as it was rather than refilling it.
  bucket.updated_millis = std::max(bucket.updated_millis, now);

  Decision decision;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
  } else {
    decision.allowed = false;
    double wait = (1 - bucket.tokens) / rate_per_second_;
    decision.retry_after_seconds = std::max(1, static_cast<int>(std::ceil(wait - 1e-9)));
  }
  if (buckets_.size() >= next_sweep_size_) ForgetFullBuckets(now);
  return decision;
}

void RateLimiter::ForgetFullBuckets(int64_t now_millis) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    double elapsed = static_cast<double>(now_millis - it->second.updated_millis) / 1000.0;
    if (it->second.tokens + elapsed * rate_per_second_ >= burst_) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  // Sweep again when the map has doubled, so sweeping stays amortised O(1) per request.
  next_sweep_size_ = std::max<size_t>(1024, buckets_.size() * 2);
}

size_t RateLimiter::tracked_keys() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace troupe::server
