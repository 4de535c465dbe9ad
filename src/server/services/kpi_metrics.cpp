#include "server/services/kpi_metrics.h"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "store/kpi_report.h"

namespace troupe::server {

// The latest figures per character and when they were computed.
class KpiMetrics::Cache {
 public:
  Cache(store::Store& store, const Clock& clock, KpiMetricsOptions options)
      : store_(store), clock_(clock), options_(options) {}

  // The figures, recomputed first when they are stale and no other scrape is recomputing them.
  std::shared_ptr<const std::vector<std::pair<std::string, store::KpiValues>>> Figures() {
    std::unique_lock refreshing(refresh_mutex_, std::try_to_lock);
    if (refreshing.owns_lock()) {
      const int64_t now = clock_.NowMillis();
      bool stale = false;
      {
        std::lock_guard lock(mutex_);
        stale = !computed_at_ || now - *computed_at_ >= options_.refresh_ms;
      }
      if (stale) Refresh(now);
    }
    std::lock_guard lock(mutex_);
    return figures_;
  }

 private:
  void Refresh(int64_t now) {
    auto figures = std::make_shared<std::vector<std::pair<std::string, store::KpiValues>>>();
    Result<store::KpiRows> rows = store_.kpis().Rows(now - options_.window_ms, now + 1);
    if (rows.ok()) {
      const store::KpiReport report = store::AggregateKpis(*rows, store::KpiGrouping::kCharacter);
      for (const store::KpiGroup& group : report.groups) {
        Result<store::Character> character = store_.characters().Get(std::stoll(group.key));
        figures->emplace_back(character.ok() ? character->slug : "id:" + group.key, group.values);
      }
    } else {
      spdlog::warn("KPI metrics not refreshed: {}", rows.status().ToString());
    }
    std::lock_guard lock(mutex_);
    computed_at_ = now;  // a failure is retried at the next interval too, not at every scrape
    if (rows.ok()) figures_ = std::move(figures);
  }

  store::Store& store_;
  const Clock& clock_;
  const KpiMetricsOptions options_;
  std::mutex refresh_mutex_;  // held by the scrape recomputing
  std::mutex mutex_;
  std::optional<int64_t> computed_at_;  // guarded by mutex_
  std::shared_ptr<const std::vector<std::pair<std::string, store::KpiValues>>> figures_ =
      std::make_shared<std::vector<std::pair<std::string, store::KpiValues>>>();  // guarded by mutex_
};

namespace {

using KpiReading = std::optional<double> (*)(const store::KpiValues&);

struct KpiGaugeSpec {
  const char* name;
  const char* help;
  KpiReading read;
};

std::optional<double> KpiSeconds(const std::optional<double>& ms) {
  if (!ms) return std::nullopt;
  return *ms / 1000.0;
}

std::optional<double> KpiCount(int64_t count) { return static_cast<double>(count); }

const std::vector<KpiGaugeSpec>& KpiGaugeSpecs() {
  static const std::vector<KpiGaugeSpec> specs = {
      {"troupe_kpi_conversations", "Conversations started in the last 24 hours.",
       [](const store::KpiValues& v) { return KpiCount(v.conversations); }},
      {"troupe_kpi_first_response_seconds",
       "Mean time from a conversation's first user message to its first reply (conversations of the last 24 hours).",
       [](const store::KpiValues& v) { return KpiSeconds(v.first_response_ms); }},
      {"troupe_kpi_response_seconds", "Mean time from the earliest user message a reply answers to the reply.",
       [](const store::KpiValues& v) { return KpiSeconds(v.average_response_ms); }},
      {"troupe_kpi_replies", "Replies measured by troupe_kpi_response_seconds.",
       [](const store::KpiValues& v) { return KpiCount(v.replies); }},
      {"troupe_kpi_resolution_ratio", "Share of the conversations that are closed.",
       [](const store::KpiValues& v) { return v.resolution_rate; }},
      {"troupe_kpi_resolved", "Conversations that are closed.",
       [](const store::KpiValues& v) { return KpiCount(v.resolved); }},
      {"troupe_kpi_handoff_ratio", "Share of the conversations handed to a person.",
       [](const store::KpiValues& v) { return v.handoff_rate; }},
      {"troupe_kpi_handed_off", "Conversations handed to a person.",
       [](const store::KpiValues& v) { return KpiCount(v.handed_off); }},
      {"troupe_kpi_agent_load_reduction_ratio", "Share of the closed conversations never handed to a person.",
       [](const store::KpiValues& v) { return v.agent_load_reduction; }},
      {"troupe_kpi_csat_ratio", "Share of post-conversation ratings (1 to 5) that are 4 or 5.",
       [](const store::KpiValues& v) { return v.csat; }},
      {"troupe_kpi_csat_mean", "Mean post-conversation rating (1 to 5).",
       [](const store::KpiValues& v) { return v.csat_mean; }},
      {"troupe_kpi_csat_ratings", "Post-conversation ratings (the latest of each conversation).",
       [](const store::KpiValues& v) { return KpiCount(v.csat_ratings); }},
      {"troupe_kpi_routing_accuracy_ratio", "Share of agent-reviewed messages whose routed intent the agent confirmed.",
       [](const store::KpiValues& v) { return v.routing_accuracy; }},
      {"troupe_kpi_routing_reviews", "Messages whose routing an agent reviewed.",
       [](const store::KpiValues& v) { return KpiCount(v.routing_reviews); }},
      {"troupe_kpi_campaign_reply_ratio", "Share of campaign messages the end user answered.",
       [](const store::KpiValues& v) { return v.campaign_reply_rate; }},
  };
  return specs;
}

}  // namespace

KpiMetrics::KpiMetrics(MetricsRegistry& registry, store::Store& store, const Clock& clock, KpiMetricsOptions options)
    : cache_(std::make_shared<Cache>(store, clock, options)) {
  std::weak_ptr<Cache> weak = cache_;
  for (const KpiGaugeSpec& spec : KpiGaugeSpecs()) {
    registry.AddCallbackSeries(spec.name, spec.help, {"character"}, [weak, read = spec.read]() {
      CallbackGaugeSeries::Samples samples;
      std::shared_ptr<Cache> cache = weak.lock();
      if (!cache) return samples;
      for (const auto& [character, values] : *cache->Figures()) {
        if (std::optional<double> value = read(values)) samples.push_back({{character}, *value});
      }
      return samples;
    });
  }
}

KpiMetrics::~KpiMetrics() = default;

}  // namespace troupe::server
