#include "server/http/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace troupe::server {
namespace {

[[noreturn]] void BadMetric(std::string_view name, std::string_view why) {
  std::fprintf(stderr, "troupe: invalid metric '%.*s': %.*s\n", static_cast<int>(name.size()),
               name.data(), static_cast<int>(why.size()), why.data());
  std::abort();
}

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

MetricFamily::MetricFamily(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {
  if (!IsValidName(name_, true)) BadMetric(name_, "name must match [a-zA-Z_:][a-zA-Z0-9_:]*");
  for (const std::string& label : label_names_) {
    if (!IsValidName(label, false) || label == "le" || label.rfind("__", 0) == 0) {
      BadMetric(name_, "bad label name '" + label + "'");
    }
  }
}

void MetricFamily::CheckLabels(const LabelValues& values) const {
  if (values.size() != label_names_.size()) BadMetric(name_, "wrong number of label values");
}

std::string MetricFamily::SampleName(std::string_view suffix, const LabelValues& values,
                                     std::string_view extra) const {
  std::string out = name_;
  out += suffix;
  if (values.empty() && extra.empty()) return out;
  out += '{';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names_[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (!extra.empty()) {
    if (!values.empty()) out += ',';
    out += extra;
  }
  out += '}';
  return out;
}

void MetricFamily::RenderHeader(std::string& out, std::string_view type) const {
  out += "# HELP " + name_ + " " + EscapeHelp(help_) + "\n";
  out += "# TYPE " + name_ + " " + std::string(type) + "\n";
}

Counter::Counter(std::string name, std::string help, std::vector<std::string> label_names)
    : MetricFamily(std::move(name), std::move(help), std::move(label_names)) {
  // A counter without labels exists from the start, so dashboards see 0 rather than nothing.
  if (label_names_.empty()) values_[{}] = 0;
}

void Counter::Increment(const LabelValues& values, double by) {
  CheckLabels(values);
  if (!(by >= 0)) BadMetric(name_, "counters only go up");
  std::lock_guard lock(mutex_);
  values_[values] += by;
}

double Counter::Value(const LabelValues& values) const {
  std::lock_guard lock(mutex_);
  auto it = values_.find(values);
  return it == values_.end() ? 0 : it->second;
}

void Counter::Render(std::string& out) const {
  RenderHeader(out, "counter");
  std::lock_guard lock(mutex_);
  for (const auto& [labels, value] : values_) {
    out += SampleName("", labels) + " " + FormatMetricValue(value) + "\n";
  }
}

Gauge::Gauge(std::string name, std::string help, std::vector<std::string> label_names)
    : MetricFamily(std::move(name), std::move(help), std::move(label_names)) {
  if (label_names_.empty()) values_[{}] = 0;
}

void Gauge::Set(double value, const LabelValues& values) {
  CheckLabels(values);
  std::lock_guard lock(mutex_);
  values_[values] = value;
}

void Gauge::Add(double delta, const LabelValues& values) {
  CheckLabels(values);
  std::lock_guard lock(mutex_);
  values_[values] += delta;
}

double Gauge::Value(const LabelValues& values) const {
  std::lock_guard lock(mutex_);
  auto it = values_.find(values);
  return it == values_.end() ? 0 : it->second;
}

void Gauge::Render(std::string& out) const {
  RenderHeader(out, "gauge");
  std::lock_guard lock(mutex_);
  for (const auto& [labels, value] : values_) {
    out += SampleName("", labels) + " " + FormatMetricValue(value) + "\n";
  }
}

Histogram::Histogram(std::string name, std::string help, std::vector<std::string> label_names,
                     std::vector<double> bounds)
    : MetricFamily(std::move(name), std::move(help), std::move(label_names)),
      bounds_(std::move(bounds)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
    BadMetric(name_, "bucket bounds must be strictly ascending");
  }
  if (!bounds_.empty() && std::isinf(bounds_.back())) bounds_.pop_back();  // +Inf is implied
}

void Histogram::Observe(double value, const LabelValues& values) {
  CheckLabels(values);
  size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  std::lock_guard lock(mutex_);
  Series& series = series_[values];
  if (series.counts.empty()) series.counts.assign(bounds_.size() + 1, 0);
  ++series.counts[bucket];
  series.sum += value;
  ++series.count;
}

void Histogram::Render(std::string& out) const {
  RenderHeader(out, "histogram");
  std::lock_guard lock(mutex_);
  for (const auto& [labels, series] : series_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += series.counts[i];
      std::string le = i < bounds_.size() ? FormatMetricValue(bounds_[i]) : "+Inf";
      out += SampleName("_bucket", labels, "le=\"" + le + "\"") + " " +
             std::to_string(cumulative) + "\n";
    }
    out += SampleName("_sum", labels) + " " + FormatMetricValue(series.sum) + "\n";
    out += SampleName("_count", labels) + " " + std::to_string(series.count) + "\n";
  }
}

CallbackMetric::CallbackMetric(std::string name, std::string help, Type type,
                               std::function<double()> read)
    : MetricFamily(std::move(name), std::move(help), {}), type_(type), read_(std::move(read)) {}

void CallbackMetric::Render(std::string& out) const {
  RenderHeader(out, type_ == Type::kCounter ? "counter" : "gauge");
  out += name_ + " " + FormatMetricValue(read_()) + "\n";
}

CallbackGaugeSeries::CallbackGaugeSeries(std::string name, std::string help, std::vector<std::string> label_names,
                                         std::function<Samples()> read)
    : MetricFamily(std::move(name), std::move(help), std::move(label_names)), read_(std::move(read)) {}

void CallbackGaugeSeries::Render(std::string& out) const {
  RenderHeader(out, "gauge");
  for (const auto& [labels, value] : read_()) {
    CheckLabels(labels);
    out += SampleName("", labels) + " " + FormatMetricValue(value) + "\n";
  }
}

Counter& MetricsRegistry::AddCounter(std::string name, std::string help,
                                     std::vector<std::string> labels) {
  return static_cast<Counter&>(
      Register(std::make_unique<Counter>(std::move(name), std::move(help), std::move(labels))));
}

Gauge& MetricsRegistry::AddGauge(std::string name, std::string help,
                                 std::vector<std::string> labels) {
  return static_cast<Gauge&>(
      Register(std::make_unique<Gauge>(std::move(name), std::move(help), std::move(labels))));
}

Histogram& MetricsRegistry::AddHistogram(std::string name, std::string help,
                                         std::vector<std::string> labels,
                                         std::vector<double> bounds) {
  return static_cast<Histogram&>(Register(std::make_unique<Histogram>(
      std::move(name), std::move(help), std::move(labels), std::move(bounds))));
}

void MetricsRegistry::AddCallback(std::string name, std::string help, CallbackMetric::Type type,
                                  std::function<double()> read) {
  Register(std::make_unique<CallbackMetric>(std::move(name), std::move(help), type,
                                            std::move(read)));
}

void MetricsRegistry::AddCallbackSeries(std::string name, std::string help, std::vector<std::string> labels,
                                        std::function<CallbackGaugeSeries::Samples()> read) {
  Register(std::make_unique<CallbackGaugeSeries>(std::move(name), std::move(help), std::move(labels),
                                                 std::move(read)));
}

MetricFamily& MetricsRegistry::Register(std::unique_ptr<MetricFamily> family) {
  std::lock_guard lock(mutex_);
  for (const auto& existing : families_) {
    if (existing->name() == family->name()) BadMetric(family->name(), "registered twice");
  }
  families_.push_back(std::move(family));
  return *families_.back();
}

MetricFamily* MetricsRegistry::Find(std::string_view name) {
  std::lock_guard lock(mutex_);
  for (const auto& family : families_) {
    if (family->name() == name) return family.get();
  }
  return nullptr;
}

std::string MetricsRegistry::Render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& family : families_) family->Render(out);
  return out;
}

}  // namespace troupe::server
