#include "server/http/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace troupe::server {
namespace {

TEST(MetricsTest, CounterRendersHelpTypeAndEscapedLabels) {
  MetricsRegistry registry;
  Counter& counter = registry.AddCounter("jobs_total", "Jobs done.\nSecond line \\ here.",
                                         {"kind", "result"});
  counter.Increment({"sum\"mary", "ok\nyes\\"});
  counter.Increment({"sum\"mary", "ok\nyes\\"}, 2);
  EXPECT_EQ(counter.Value({"sum\"mary", "ok\nyes\\"}), 3);
  EXPECT_EQ(registry.Render(),
            "# HELP jobs_total Jobs done.\\nSecond line \\\\ here.\n"
            "# TYPE jobs_total counter\n"
            "jobs_total{kind=\"sum\\\"mary\",result=\"ok\\nyes\\\\\"} 3\n");
}

TEST(MetricsTest, UnlabelledCounterAndGaugeStartAtZero) {
  MetricsRegistry registry;
  registry.AddCounter("a_total", "A.");
  Gauge& gauge = registry.AddGauge("b", "B.");
  gauge.Add(2.5);
  gauge.Add(-1);
  EXPECT_EQ(registry.Render(),
            "# HELP a_total A.\n# TYPE a_total counter\na_total 0\n"
            "# HELP b B.\n# TYPE b gauge\nb 1.5\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInf) {
  MetricsRegistry registry;
  Histogram& histogram = registry.AddHistogram("latency_seconds", "Latency.", {"route"}, {0.125, 1});
  histogram.Observe(0.0625, {"/x"});
  histogram.Observe(0.125, {"/x"});  // an upper bound is inclusive
  histogram.Observe(0.5, {"/x"});
  histogram.Observe(7, {"/x"});
  EXPECT_EQ(registry.Render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{route=\"/x\",le=\"0.125\"} 2\n"
            "latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
            "latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{route=\"/x\"} 7.6875\n"
            "latency_seconds_count{route=\"/x\"} 4\n");
}

TEST(MetricsTest, ValuesFormatLikePrometheus) {
  EXPECT_EQ(FormatMetricValue(3), "3");
  EXPECT_EQ(FormatMetricValue(0.25), "0.25");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatMetricValue(std::nan("")), "NaN");
  EXPECT_EQ(FormatMetricValue(1e21), "1e+21");
}

TEST(MetricsTest, ProcessMetricsReadProc) {
  MetricsRegistry registry;
  RegisterProcessMetrics(registry);
  std::string text = registry.Render();
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter"), std::string::npos);
  for (const char* name : {"process_resident_memory_bytes ", "process_open_fds ",
                           "process_start_time_seconds "}) {
    size_t at = text.find(std::string("\n") + name);
    ASSERT_NE(at, std::string::npos) << name;
    double value = std::stod(text.substr(at + 1 + std::string(name).size()));
    EXPECT_GT(value, 0) << name;
  }
}

TEST(MetricsDeathTest, MisuseAborts) {
  EXPECT_DEATH(MetricsRegistry().AddCounter("bad-name", "x"), "name must match");
  EXPECT_DEATH(
      {
        MetricsRegistry registry;
        registry.AddCounter("c_total", "x", {"a"}).Increment({"1", "2"});
      },
      "wrong number of label values");
  EXPECT_DEATH(
      {
        MetricsRegistry registry;
        registry.AddGauge("g", "x");
        registry.AddGauge("g", "x");
      },
      "registered twice");
}

}  // namespace
}  // namespace troupe::server
