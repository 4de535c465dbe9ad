#include "server/services/topic_jobs.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "analytics/topic_report.h"
#include "server/http/json_body.h"
#include "store/kpi_report.h"

namespace troupe::server {
namespace {

using TopicsJson = nlohmann::json;

// "topics" as a count or as text ("auto", "8", "5,10,15").
Result<std::string> TopicCountsText(const TopicsJson& request) {
  if (!request.contains("topics")) return std::string("auto");
  const TopicsJson& topics = request["topics"];
  std::string text;
  if (topics.is_number_unsigned()) {
    text = std::to_string(topics.get<uint64_t>());
  } else if (topics.is_string()) {
    text = topics.get<std::string>();
  } else {
    return InvalidArgument("topics must be a count, a list like \"5,10,15\", or \"auto\"", "topics");
  }
  TROUPE_RETURN_IF_ERROR(analytics::ParseTopicCounts(text, "topics").status());
  return text;
}

// Sweeps done over every candidate's run, reported as progress every 2% of the whole.
class SweepProgress {
 public:
  SweepProgress(JobContext& context, size_t total) : context_(context), total_(std::max<size_t>(total, 1)) {}
  bool operator()(const analytics::LdaProgress&) {
    ++done_;
    const size_t step = std::max<size_t>(total_ / 50, 1);
    if (done_ % step != 0) return true;
    return context_.ReportProgress(0.95 * static_cast<double>(done_) / static_cast<double>(total_));
  }

 private:
  JobContext& context_;
  const size_t total_;
  size_t done_ = 0;
};

Result<TopicsJson> RunTopicsJob(const store::Job& job, JobContext& context, store::Store& store, const Clock& clock,
                                const chat::ProviderResolver& providers) {
  TROUPE_ASSIGN_OR_RETURN(TopicsJson payload,
                          CheckTopicsPayload(TopicsJson::parse(job.payload_json, nullptr, false), clock.NowMillis()));
  TROUPE_ASSIGN_OR_RETURN(auto period, store::ParseKpiPeriod(payload["from"].get<std::string>(),
                                                             payload["to"].get<std::string>(), clock.NowMillis()));
  std::optional<int64_t> character_id;
  if (payload["character_id"].is_number_integer()) character_id = payload["character_id"].get<int64_t>();
  TROUPE_ASSIGN_OR_RETURN(analytics::TopicSource source,
                          analytics::ParseTopicSource(payload["source"].get<std::string>(), "source"));
  TROUPE_ASSIGN_OR_RETURN(analytics::TopicMessages messages,
                          analytics::ReadStoredTopicTexts(store, source, period.first, period.second, character_id));
  analytics::TopicReportOptions options;
  options.topic_counts = *analytics::ParseTopicCounts(payload["topics"].get<std::string>(), "topics");
  options.top_words = payload["top_words"].get<size_t>();
  options.iterations = payload["iterations"].get<size_t>();
  options.seed = payload["seed"].get<uint64_t>();
  options.vocabulary.min_document_count = payload["min_documents"].get<size_t>();
  options.vocabulary.max_document_fraction = payload["max_document_fraction"].get<double>();
  options.trends = true;
  if (payload["name_topics"].get<bool>()) {
    TROUPE_ASSIGN_OR_RETURN(options.namer, providers(payload["provider"].get<std::string>()));
  }
  SweepProgress progress(context, options.topic_counts.size() * options.iterations);
  options.progress = [&progress](const analytics::LdaProgress& sweep) { return progress(sweep); };
  Result<analytics::TopicReport> report = analytics::FindTopics(messages, options);
  if (!report.ok()) {
    if (report.status().field() == "documents") {
      return report.status().WithContext(messages.source + ": " + std::to_string(messages.texts.size()) + " " +
                                         analytics::TopicSourceName(source) +
                                         "; try a longer period or a lower min_documents");
    }
    return report.status();
  }
  TopicsJson result = analytics::TopicReportJson(*report);
  result["source"] = messages.source;
  result["from"] = store::KpiDay(period.first);
  result["to"] = store::KpiDay(period.second - 1);
  result["character_id"] = payload["character_id"];
  return result;
}

}  // namespace

Result<nlohmann::json> CheckTopicsPayload(const nlohmann::json& request, int64_t now_ms) {
  if (!request.is_object()) return InvalidArgument("the topics request must be a JSON object", "");
  TROUPE_ASSIGN_OR_RETURN(std::string topics, TopicCountsText(request));
  TopicsJson rest = request;
  rest.erase("topics");
  JsonObjectReader reader(rest);
  const std::string from = reader.OptionalString("from").value_or("");
  const std::string to = reader.OptionalString("to").value_or("");
  const std::optional<int64_t> character_id = reader.OptionalInt("character_id", 1);
  const int64_t top_words = reader.OptionalInt("top_words", 1, 100).value_or(10);
  const int64_t iterations = reader.OptionalInt("iterations", 1, 5000).value_or(500);
  const int64_t seed = reader.OptionalInt("seed", 0).value_or(1);
  const int64_t min_documents = reader.OptionalInt("min_documents", 1, 1'000'000).value_or(3);
  const double max_fraction = reader.OptionalNumber("max_document_fraction").value_or(0.5);
  const bool name_topics = reader.OptionalBool("name_topics").value_or(false);
  const std::string provider = reader.OptionalString("provider").value_or("");
  const std::string source = reader.OptionalString("source").value_or("messages");
  TROUPE_RETURN_IF_ERROR(reader.Finish());
  TROUPE_RETURN_IF_ERROR(analytics::ParseTopicSource(source, "source").status());
  // The days are fixed now, so a job that waits or runs again covers what was asked.
  TROUPE_ASSIGN_OR_RETURN(auto period, store::ParseKpiPeriod(from, to, now_ms));
  if (!(max_fraction > 0 && max_fraction <= 1)) {
    return InvalidArgument("max_document_fraction is above 0 and at most 1", "max_document_fraction");
  }
  return TopicsJson{{"from", store::KpiDay(period.first)},
                    {"to", store::KpiDay(period.second - 1)},
                    {"character_id", character_id ? TopicsJson(*character_id) : TopicsJson(nullptr)},
                    {"topics", topics},
                    {"top_words", top_words},
                    {"iterations", iterations},
                    {"seed", seed},
                    {"min_documents", min_documents},
                    {"max_document_fraction", max_fraction},
                    {"name_topics", name_topics},
                    {"provider", provider},
                    {"source", source}};
}

void RegisterTopicsJob(JobRunner& runner, store::Store& store, const Clock& clock, chat::ProviderResolver providers) {
  runner.Register(std::string(kFindTopicsJob), [&store, &clock, providers](const store::Job& job, JobContext& context) {
    return RunTopicsJob(job, context, store, clock, providers);
  });
}

}  // namespace troupe::server
