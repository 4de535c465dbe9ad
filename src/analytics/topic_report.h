// Topics of a set of messages as one report, the same from the CLI (a file, or the store: users'
// messages or feedback comments) and from the server's job: the corpus (BuildTopicCorpus), K given or chosen by coherence among candidates
// (ChooseTopicCount), each topic's top words, share and coherence, largest share first; with the
// messages' times, each topic's share per UTC week and its slope; with a language model, a name
// per topic written from its top words and the messages most about it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "analytics/lda_model.h"
#include "analytics/topic_coherence.h"
#include "analytics/topic_names.h"
#include "analytics/topic_trends.h"
#include "analytics/topic_vocabulary.h"
#include "base/status.h"
#include "llm/provider.h"
#include "store/store.h"

namespace troupe::analytics {

inline constexpr size_t kMaxTopicCount = 1000;
// "auto" (5,10,15,20: a range that suits a few thousand chat messages), a count ("8") or a list
// of candidates ("5,10,15"), each 1..kMaxTopicCount. kInvalidArgument naming `field` otherwise.
Result<std::vector<size_t>> ParseTopicCounts(const std::string& text, const std::string& field);

// The messages topics are found in: their texts and, when known, when each was written.
struct TopicMessages {
  std::vector<std::string> texts;
  std::vector<int64_t> created_at_ms;  // empty, or one per text
  std::string source;                  // what they are, for reports and errors
};

// The users' messages stored in [from_ms, to_ms), of one character when given, oldest first;
// stops early (kFailedPrecondition) when `cancel` is set.
Result<TopicMessages> ReadStoredUserMessages(store::Store& store, int64_t from_ms, int64_t to_ms,
                                             std::optional<int64_t> character_id,
                                             const std::atomic<bool>* cancel = nullptr);

// The feedback comments stored in [from_ms, to_ms) (any kind of feedback with text: what end
// users chose to tell about the service), of one character's conversations when given, oldest
// first; stops early (kFailedPrecondition) when `cancel` is set.
Result<TopicMessages> ReadStoredFeedbackComments(store::Store& store, int64_t from_ms, int64_t to_ms,
                                                 std::optional<int64_t> character_id,
                                                 const std::atomic<bool>* cancel = nullptr);

// Which stored texts a period's topics are found in.
enum class TopicSource { kMessages, kComments };
// "messages" or "comments"; kInvalidArgument naming `field` otherwise.
Result<TopicSource> ParseTopicSource(const std::string& text, const std::string& field);
std::string TopicSourceName(TopicSource source);  // "messages" or "comments"

// ReadStoredUserMessages or ReadStoredFeedbackComments, as `source` says.
Result<TopicMessages> ReadStoredTopicTexts(store::Store& store, TopicSource source, int64_t from_ms, int64_t to_ms,
                                           std::optional<int64_t> character_id,
                                           const std::atomic<bool>* cancel = nullptr);

struct TopicReportOptions {
  std::vector<size_t> topic_counts = {10};  // one: that K; several: chosen by NPMI
  size_t top_words = 10;
  size_t iterations = 500;
  uint64_t seed = 1;
  TopicVocabularyOptions vocabulary;
  bool trends = false;                // needs the messages' times
  llm::Provider* namer = nullptr;     // names each topic when set
  size_t examples_per_topic = 3;      // messages shown to the namer
  // Once the corpus is built (before sampling), to show its size.
  std::function<void(const TopicCorpus&)> on_corpus;
  // After each Gibbs sweep; false stops (kFailedPrecondition).
  std::function<bool(const LdaProgress&)> progress;
  // Before the namer is asked, with how many topics it will name.
  std::function<void(size_t topics)> on_naming;
  const std::atomic<bool>* cancel = nullptr;  // stops naming between topics
};

struct TopicReportRow {
  size_t topic = 0;  // the model's index, which `weeks[i].shares` are by
  double share = 0;
  TopicCoherence coherence;
  std::vector<std::string> words;
  std::optional<TopicName> name;
  std::optional<double> slope;  // share points per week
};

struct TopicReport {
  explicit TopicReport(TopicCountChoice chosen) : choice(std::move(chosen)) {}
  size_t messages = 0;
  size_t vocabulary = 0;
  size_t tokens = 0;
  TopicCountChoice choice;
  std::vector<TopicReportRow> rows;  // largest share first
  bool trends = false;
  std::vector<TopicWeek> weeks;      // with trends
  size_t iterations = 0;
  uint64_t seed = 0;
};

// kInvalidArgument naming "documents" when too few messages keep a word, "trends" when trends are
// asked for without times, and ChooseTopicCount's errors.
Result<TopicReport> FindTopics(const TopicMessages& messages, const TopicReportOptions& options);

// For each topic, up to `count` messages whose inferred mixture gives it the largest share.
std::vector<std::vector<std::string>> TopicExamples(const LdaModel& model,
                                                    const std::vector<std::vector<int32_t>>& documents,
                                                    const std::vector<std::string>& texts, size_t count);

// The report as JSON: messages, vocabulary, tokens, topic_count, iterations, seed, alpha, beta,
// candidates, mean_npmi, mean_umass, topics (rank, topic, share, npmi, umass, words, and name,
// name_from_model, name_problem, slope_per_week when known) and, with trends, weeks (week as
// "YYYY-MM-DD" of its Monday, messages, shares by topic index).
nlohmann::json TopicReportJson(const TopicReport& report);

}  // namespace troupe::analytics
