// Prometheus gauges of the support KPIs (store/kpi_report.h) over the trailing 24 hours, per
// character (label character = its slug): troupe_kpi_first_response_seconds,
// troupe_kpi_resolution_ratio, troupe_kpi_handoff_ratio, ... and the counts beside them. A ratio
// with nothing to measure is left out. The figures come from the store at most once per refresh
// interval: the scrape that finds them stale recomputes them (concurrent scrapes meanwhile read the
// previous figures), every other scrape reads the cached ones.
#pragma once

#include <cstdint>
#include <memory>

#include "base/clock.h"
#include "server/http/metrics.h"
#include "store/store.h"

namespace troupe::server {

struct KpiMetricsOptions {
  int64_t window_ms = 24 * 3'600'000;
  int64_t refresh_ms = 60'000;
};

class KpiMetrics {
 public:
  // Registers the families in `registry`. `store` and `clock` must outlive this; once this is
  // destroyed the families stay registered and show no samples.
  KpiMetrics(MetricsRegistry& registry, store::Store& store, const Clock& clock, KpiMetricsOptions options = {});
  ~KpiMetrics();
  KpiMetrics(const KpiMetrics&) = delete;
  KpiMetrics& operator=(const KpiMetrics&) = delete;

  class Cache;

 private:
  std::shared_ptr<Cache> cache_;
};

}  // namespace troupe::server
