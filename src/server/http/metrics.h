// A small metrics registry with Prometheus text exposition (format 0.0.4). Debian bookworm's
// prometheus-cpp-dev drags in civetweb, libcurl and zlib for its pull/push halves; exposition is
// all we need, so this is one module. Every method is thread-safe. Families live as long as the
// registry; the references Add* returns stay valid until it is destroyed.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace troupe::server {

using LabelValues = std::vector<std::string>;

class MetricFamily {
 public:
  virtual ~MetricFamily() = default;
  const std::string& name() const { return name_; }
  // Appends the HELP, TYPE and sample lines of this family.
  virtual void Render(std::string& out) const = 0;

 protected:
  MetricFamily(std::string name, std::string help, std::vector<std::string> label_names);
  // `name{a="x",b="y"}` (or `name` without labels), with `extra` appended as a last label.
  std::string SampleName(std::string_view suffix, const LabelValues& values,
                         std::string_view extra = {}) const;
  void RenderHeader(std::string& out, std::string_view type) const;
  // Aborts on a label count mismatch: that is a programming error.
  void CheckLabels(const LabelValues& values) const;

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
};

// Monotonic counts. Increments must be non-negative.
class Counter final : public MetricFamily {
 public:
  Counter(std::string name, std::string help, std::vector<std::string> label_names);
  void Increment(const LabelValues& values = {}, double by = 1);
  double Value(const LabelValues& values = {}) const;
  void Render(std::string& out) const override;

 private:
  mutable std::mutex mutex_;
  std::map<LabelValues, double> values_;  // guarded by mutex_
};

class Gauge final : public MetricFamily {
 public:
  Gauge(std::string name, std::string help, std::vector<std::string> label_names);
  void Set(double value, const LabelValues& values = {});
  void Add(double delta, const LabelValues& values = {});
  double Value(const LabelValues& values = {}) const;
  void Render(std::string& out) const override;

 private:
  mutable std::mutex mutex_;
  std::map<LabelValues, double> values_;  // guarded by mutex_
};

class Histogram final : public MetricFamily {
 public:
  // `bounds` are the upper bounds of the buckets, ascending; +Inf is implied.
  Histogram(std::string name, std::string help, std::vector<std::string> label_names,
            std::vector<double> bounds);
  void Observe(double value, const LabelValues& values = {});
  void Render(std::string& out) const override;

 private:
  struct Series {
    std::vector<uint64_t> counts;  // per bucket, not cumulative; the last is +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<LabelValues, Series> series_;  // guarded by mutex_
};

// A value read when scraped (process metrics, queue depths owned by someone else).
class CallbackMetric final : public MetricFamily {
 public:
  enum class Type { kCounter, kGauge };
  CallbackMetric(std::string name, std::string help, Type type, std::function<double()> read);
  void Render(std::string& out) const override;

 private:
  Type type_;
  std::function<double()> read_;
};

// Gauges whose labelled samples are all read when scraped (figures computed elsewhere, whose set
// of label values changes: a series missing from a read is simply not shown).
class CallbackGaugeSeries final : public MetricFamily {
 public:
  using Samples = std::vector<std::pair<LabelValues, double>>;
  CallbackGaugeSeries(std::string name, std::string help, std::vector<std::string> label_names,
                      std::function<Samples()> read);
  void Render(std::string& out) const override;

 private:
  std::function<Samples()> read_;
};

// Latency buckets in seconds, from 5 ms to 60 s (streams run long).
std::vector<double> DefaultLatencyBuckets();

class MetricsRegistry {
 public:
  // Each Add* registers a family under a unique name (a duplicate name aborts: a programming
  // error) and returns it.
  Counter& AddCounter(std::string name, std::string help, std::vector<std::string> labels = {});
  Gauge& AddGauge(std::string name, std::string help, std::vector<std::string> labels = {});
  Histogram& AddHistogram(std::string name, std::string help, std::vector<std::string> labels,
                          std::vector<double> bounds = DefaultLatencyBuckets());
  void AddCallback(std::string name, std::string help, CallbackMetric::Type type,
                   std::function<double()> read);
  void AddCallbackSeries(std::string name, std::string help, std::vector<std::string> labels,
                         std::function<CallbackGaugeSeries::Samples()> read);
  // The family with this name, or nullptr.
  MetricFamily* Find(std::string_view name);

  // The text exposition of every family, in registration order.
  std::string Render() const;

 private:
  MetricFamily& Register(std::unique_ptr<MetricFamily> family);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<MetricFamily>> families_;  // guarded by mutex_
};

// Content-Type of Render()'s output.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// Escapes a label value: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);
// Formats a sample value the way Prometheus reads it (+Inf, -Inf, NaN, shortest round-trip).
std::string FormatMetricValue(double value);

// Registers process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds and
// process_start_time_seconds, read from /proc when scraped.
void RegisterProcessMetrics(MetricsRegistry& registry);

}  // namespace troupe::server
