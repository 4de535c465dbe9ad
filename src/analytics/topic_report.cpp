#include "analytics/topic_report.h"

#include <algorithm>

#include "store/kpi_report.h"

namespace troupe::analytics {
namespace {

const std::vector<size_t> kAutoTopicCounts = {5, 10, 15, 20};

// The chosen model's topics, largest share first.
std::vector<TopicReportRow> RowsOf(const TopicCountChoice& choice, const TopicVocabulary& vocabulary,
                                   size_t top_words) {
  std::vector<TopicReportRow> rows;
  for (size_t topic = 0; topic < choice.model.topic_count(); ++topic) {
    TopicReportRow row;
    row.topic = topic;
    row.share = choice.model.topic_shares()[topic];
    row.coherence = choice.coherence[topic];
    for (int32_t word : choice.model.TopWords(topic, top_words)) row.words.push_back(vocabulary.display_word(word));
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const TopicReportRow& a, const TopicReportRow& b) { return a.share > b.share; });
  return rows;
}

bool Cancelled(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(); }

Status NameRows(const TopicMessages& messages, const TopicCorpus& corpus, const TopicReportOptions& options,
                TopicReport& report) {
  const std::vector<std::vector<std::string>> examples =
      TopicExamples(report.choice.model, corpus.documents, messages.texts, options.examples_per_topic);
  std::vector<TopicToName> topics;
  for (const TopicReportRow& row : report.rows) topics.push_back({row.words, examples[row.topic]});
  if (options.on_naming) options.on_naming(topics.size());
  std::vector<TopicName> names = NameTopics(*options.namer, topics, options.cancel);
  if (Cancelled(options.cancel)) return FailedPrecondition("naming the topics was cancelled");
  for (size_t i = 0; i < report.rows.size() && i < names.size(); ++i) report.rows[i].name = std::move(names[i]);
  return Status::Ok();
}

}  // namespace

Result<std::vector<size_t>> ParseTopicCounts(const std::string& text, const std::string& field) {
  if (text == "auto") return kAutoTopicCounts;
  const Status bad = InvalidArgument(field + " must be a count (1.." + std::to_string(kMaxTopicCount) +
                                         "), a list like 5,10,15, or auto; got '" + Excerpt(text) + "'",
                                     field);
  std::vector<size_t> counts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    const bool digits = std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (item.empty() || item.size() > 4 || !digits) return bad;
    const size_t count = std::stoul(item);
    if (count == 0 || count > kMaxTopicCount) return bad;
    counts.push_back(count);
    start = end + 1;
  }
  return counts;
}

Result<TopicMessages> ReadStoredUserMessages(store::Store& store, int64_t from_ms, int64_t to_ms,
                                             std::optional<int64_t> character_id, const std::atomic<bool>* cancel) {
  store::MessageTextQuery query{from_ms, to_ms, character_id};
  TopicMessages messages;
  messages.source = "users' messages from " + store::KpiDay(from_ms) + " to " + store::KpiDay(to_ms - 1);
  store::PageRequest page{"", 500};
  do {
    if (Cancelled(cancel)) return FailedPrecondition("reading the messages was cancelled");
    TROUPE_ASSIGN_OR_RETURN(store::Page<store::MessageText> batch, store.messages().ListUserTexts(query, page));
    for (store::MessageText& text : batch.items) {
      messages.texts.push_back(std::move(text.content));
      messages.created_at_ms.push_back(text.created_at);
    }
    page.cursor = batch.next_cursor;
  } while (!page.cursor.empty());
  return messages;
}

Result<TopicMessages> ReadStoredFeedbackComments(store::Store& store, int64_t from_ms, int64_t to_ms,
                                                 std::optional<int64_t> character_id,
                                                 const std::atomic<bool>* cancel) {
  store::FeedbackCommentQuery query{from_ms, to_ms, character_id};
  TopicMessages comments;
  comments.source = "feedback comments from " + store::KpiDay(from_ms) + " to " + store::KpiDay(to_ms - 1);
  store::PageRequest page{"", 500};
  do {
    if (Cancelled(cancel)) return FailedPrecondition("reading the comments was cancelled");
    TROUPE_ASSIGN_OR_RETURN(store::Page<store::FeedbackEvent> batch, store.feedback().ListComments(query, page));
    for (store::FeedbackEvent& event : batch.items) {
      comments.texts.push_back(std::move(event.comment));
      comments.created_at_ms.push_back(event.created_at);
    }
    page.cursor = batch.next_cursor;
  } while (!page.cursor.empty());
  return comments;
}

Result<TopicSource> ParseTopicSource(const std::string& text, const std::string& field) {
  if (text == "messages") return TopicSource::kMessages;
  if (text == "comments") return TopicSource::kComments;
  return InvalidArgument(field + " must be messages or comments; got '" + Excerpt(text) + "'", field);
}

std::string TopicSourceName(TopicSource source) {
  return source == TopicSource::kComments ? "comments" : "messages";
}

Result<TopicMessages> ReadStoredTopicTexts(store::Store& store, TopicSource source, int64_t from_ms, int64_t to_ms,
                                           std::optional<int64_t> character_id, const std::atomic<bool>* cancel) {
  if (source == TopicSource::kComments) return ReadStoredFeedbackComments(store, from_ms, to_ms, character_id, cancel);
  return ReadStoredUserMessages(store, from_ms, to_ms, character_id, cancel);
}

Result<TopicReport> FindTopics(const TopicMessages& messages, const TopicReportOptions& options) {
  if (options.trends && messages.created_at_ms.size() != messages.texts.size()) {
    return InvalidArgument("trends need the time of every message (stored messages have them; a file's do not)",
                           "trends");
  }
  const TopicCorpus corpus = BuildTopicCorpus(messages.texts, options.vocabulary);
  if (options.on_corpus) options.on_corpus(corpus);
  LdaOptions lda;
  lda.iterations = options.iterations;
  lda.seed = options.seed;
  lda.progress = options.progress;
  TROUPE_ASSIGN_OR_RETURN(TopicCountChoice choice, ChooseTopicCount(corpus.documents, corpus.vocabulary.size(),
                                                                    options.topic_counts, lda, options.top_words));
  TopicReport report(std::move(choice));
  report.messages = corpus.documents.size();
  report.vocabulary = corpus.vocabulary.size();
  report.tokens = corpus.token_count;
  report.iterations = options.iterations;
  report.seed = options.seed;
  report.rows = RowsOf(report.choice, corpus.vocabulary, options.top_words);
  report.trends = options.trends;
  if (options.trends) {
    report.weeks = WeeklyTopicShares(report.choice.model, corpus.documents, messages.created_at_ms);
    const std::vector<double> slopes = TopicShareSlopes(report.weeks, report.choice.model.topic_count());
    for (TopicReportRow& row : report.rows) row.slope = slopes[row.topic];
  }
  if (options.namer != nullptr) TROUPE_RETURN_IF_ERROR(NameRows(messages, corpus, options, report));
  return report;
}

std::vector<std::vector<std::string>> TopicExamples(const LdaModel& model,
                                                    const std::vector<std::vector<int32_t>>& documents,
                                                    const std::vector<std::string>& texts, size_t count) {
  const size_t topics = model.topic_count();
  // Per topic, (share, message index) of the best `count` so far.
  std::vector<std::vector<std::pair<double, size_t>>> best(topics);
  for (size_t i = 0; i < documents.size() && i < texts.size(); ++i) {
    if (documents[i].empty()) continue;
    const std::vector<double> mixture = model.InferMixture(documents[i], 50, i + 1);
    for (size_t topic = 0; topic < topics; ++topic) {
      auto& list = best[topic];
      list.emplace_back(mixture[topic], i);
      std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      if (list.size() > count) list.pop_back();
    }
  }
  std::vector<std::vector<std::string>> examples(topics);
  for (size_t topic = 0; topic < topics; ++topic) {
    for (const auto& [share, index] : best[topic]) examples[topic].push_back(texts[index]);
  }
  return examples;
}

nlohmann::json TopicReportJson(const TopicReport& report) {
  nlohmann::json candidates = nlohmann::json::array();
  for (const TopicCountCandidate& candidate : report.choice.candidates) {
    candidates.push_back(
        {{"topics", candidate.topics}, {"mean_npmi", candidate.mean_npmi}, {"mean_umass", candidate.mean_umass}});
  }
  nlohmann::json topics = nlohmann::json::array();
  for (size_t rank = 0; rank < report.rows.size(); ++rank) {
    const TopicReportRow& row = report.rows[rank];
    nlohmann::json topic{{"rank", rank + 1},           {"topic", row.topic},
                         {"share", row.share},         {"npmi", row.coherence.npmi},
                         {"umass", row.coherence.umass}, {"words", row.words}};
    if (row.name) {
      topic["name"] = row.name->name;
      topic["name_from_model"] = row.name->from_model;
      if (!row.name->problem.empty()) topic["name_problem"] = row.name->problem;
    }
    if (row.slope) topic["slope_per_week"] = *row.slope;
    topics.push_back(std::move(topic));
  }
  const TopicCountCandidate& chosen = report.choice.candidates[report.choice.chosen];
  nlohmann::json json = {{"messages", report.messages},
                         {"vocabulary", report.vocabulary},
                         {"tokens", report.tokens},
                         {"topic_count", chosen.topics},
                         {"iterations", report.iterations},
                         {"seed", report.seed},
                         {"alpha", report.choice.model.alpha()},
                         {"beta", report.choice.model.beta()},
                         {"candidates", candidates},
                         {"mean_npmi", chosen.mean_npmi},
                         {"mean_umass", chosen.mean_umass},
                         {"topics", topics}};
  if (report.trends) {
    nlohmann::json weeks = nlohmann::json::array();
    for (const TopicWeek& week : report.weeks) {
      weeks.push_back({{"week", store::KpiDay(week.week_start_ms)}, {"messages", week.messages}, {"shares", week.shares}});
    }
    json["weeks"] = std::move(weeks);
  }
  return json;
}

}  // namespace troupe::analytics
