// `troupe analytics topics`: LDA topics of the messages in a JSON Lines file (one object with a
// "text" per line) or of the users' messages stored over a period (--from-store, by day and
// character), each shown by its top words, its share of the corpus and its coherence. K is given,
// or chosen by coherence among candidates (--topics auto or 5,10,15). With --trends (stored
// messages only) each topic's share per week and its slope; with --name-topics a name written by
// the configured language model. Results on stdout, progress on stderr; Ctrl-C stops (exit 130).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analytics/lda_model.h"
#include "analytics/message_jsonl.h"
#include "analytics/topic_coherence.h"
#include "analytics/topic_vocabulary.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/topics_extras.h"

namespace troupe::cli {
namespace {

struct TopicsFlags {
  std::string input;
  std::string topics;
  size_t top_words = 10;
  size_t iterations = 500;
  uint64_t seed = 1;
  size_t min_documents = 3;
  double max_document_fraction = 0.5;
  size_t max_vocabulary = 0;
  bool json = false;
  bool from_store = false;
  std::string from;
  std::string to;
  std::string character;
  bool trends = false;
  bool name_topics = false;
};

// What the topics are found in: the texts, and their times when they come from the store.
struct TopicsInput {
  std::vector<std::string> texts;
  std::vector<int64_t> created_at_ms;
  std::string source;
};

// Candidates tried by --topics auto: a range that suits a few thousand chat messages.
const std::vector<size_t> kAutoTopicCounts = {5, 10, 15, 20};
constexpr size_t kMaxTopicCount = 1000;

Result<std::vector<size_t>> ParseTopicCounts(const std::string& text) {
  if (text == "auto") return kAutoTopicCounts;
  const Status bad = InvalidArgument(
      "--topics must be a count (1.." + std::to_string(kMaxTopicCount) + "), a list like 5,10,15, or auto; got '" +
          Excerpt(text) + "'",
      "--topics");
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

struct TopicRow {
  size_t topic = 0;
  double share = 0;
  analytics::TopicCoherence coherence;
  std::vector<std::string> words;
  std::optional<analytics::TopicName> name;
  std::optional<double> slope;  // share points per week
};

// The chosen model's topics, largest share first.
std::vector<TopicRow> TopicRows(const analytics::TopicCountChoice& choice, const analytics::TopicVocabulary& vocabulary,
                                size_t top_words) {
  std::vector<TopicRow> rows;
  for (size_t topic = 0; topic < choice.model.topic_count(); ++topic) {
    TopicRow row{topic, choice.model.topic_shares()[topic], choice.coherence[topic], {}, std::nullopt, std::nullopt};
    for (int32_t word : choice.model.TopWords(topic, top_words)) row.words.push_back(vocabulary.display_word(word));
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const TopicRow& a, const TopicRow& b) { return a.share > b.share; });
  return rows;
}

void PrintTopicsJson(const TopicsFlags& flags, const analytics::TopicCorpus& corpus,
                     const analytics::TopicCountChoice& choice, const std::vector<TopicRow>& rows,
                     const std::vector<analytics::TopicWeek>& weeks) {
  nlohmann::json candidates = nlohmann::json::array();
  for (const analytics::TopicCountCandidate& candidate : choice.candidates) {
    candidates.push_back(
        {{"topics", candidate.topics}, {"mean_npmi", candidate.mean_npmi}, {"mean_umass", candidate.mean_umass}});
  }
  nlohmann::json topics = nlohmann::json::array();
  for (size_t rank = 0; rank < rows.size(); ++rank) {
    nlohmann::json topic{{"rank", rank + 1},
                         {"topic", rows[rank].topic},
                         {"share", rows[rank].share},
                         {"npmi", rows[rank].coherence.npmi},
                         {"umass", rows[rank].coherence.umass},
                         {"words", rows[rank].words}};
    if (rows[rank].name) {
      topic["name"] = rows[rank].name->name;
      topic["name_from_model"] = rows[rank].name->from_model;
      if (!rows[rank].name->problem.empty()) topic["name_problem"] = rows[rank].name->problem;
    }
    if (rows[rank].slope) topic["slope_per_week"] = *rows[rank].slope;
    topics.push_back(std::move(topic));
  }
  const analytics::TopicCountCandidate& chosen = choice.candidates[choice.chosen];
  nlohmann::json report = {{"messages", corpus.documents.size()},
                                 {"vocabulary", corpus.vocabulary.size()},
                                 {"tokens", corpus.token_count},
                                 {"topic_count", chosen.topics},
                                 {"iterations", flags.iterations},
                                 {"seed", flags.seed},
                                 {"alpha", choice.model.alpha()},
                                 {"beta", choice.model.beta()},
                                 {"candidates", candidates},
                                 {"mean_npmi", chosen.mean_npmi},
                                 {"mean_umass", chosen.mean_umass},
                                 {"topics", topics}};
  if (flags.trends) report["weeks"] = TopicWeeksJson(weeks);
  std::cout << report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

void PrintTopicsTable(const TopicsFlags& flags, const analytics::TopicCorpus& corpus,
                      const analytics::TopicCountChoice& choice, const std::vector<TopicRow>& rows) {
  const analytics::TopicCountCandidate& chosen = choice.candidates[choice.chosen];
  std::printf("messages=%zu vocabulary=%zu tokens=%zu topics=%zu iterations=%zu seed=%llu\n", corpus.documents.size(),
              corpus.vocabulary.size(), corpus.token_count, chosen.topics, flags.iterations,
              static_cast<unsigned long long>(flags.seed));
  if (choice.candidates.size() > 1) {
    for (const analytics::TopicCountCandidate& candidate : choice.candidates) {
      std::printf("candidate topics=%zu mean_npmi=%.4f mean_umass=%.4f%s\n", candidate.topics, candidate.mean_npmi,
                  candidate.mean_umass, &candidate == &chosen ? " (chosen)" : "");
    }
  }
  std::printf("%-5s %-6s %-7s %-7s %s\n", "topic", "share", "npmi", "umass", "top words");
  for (size_t rank = 0; rank < rows.size(); ++rank) {
    std::string words;
    for (const std::string& word : rows[rank].words) words += (words.empty() ? "" : " ") + word;
    std::printf("%-5zu %-6.4f %-7.4f %-7.4f %s\n", rank + 1, rows[rank].share, rows[rank].coherence.npmi,
                rows[rank].coherence.umass, words.c_str());
    if (rows[rank].name) std::printf("      name: %s\n", rows[rank].name->name.c_str());
    if (rows[rank].slope) std::printf("      trend: %+.4f share per week\n", *rows[rank].slope);
  }
  std::printf("mean_npmi=%.4f mean_umass=%.4f\n", chosen.mean_npmi, chosen.mean_umass);
  std::fflush(stdout);
}

analytics::LdaOptions TopicsLdaOptions(const TopicsFlags& flags) {
  analytics::LdaOptions options;
  options.iterations = flags.iterations;
  options.seed = flags.seed;
  options.progress = [](const analytics::LdaProgress& progress) {
    // Every tenth of the run, and at least every 100 sweeps so a long run still shows it is alive.
    const size_t step = std::clamp<size_t>(progress.iterations / 10, 1, 100);
    if (progress.iteration % step == 0 || progress.iteration == progress.iterations) {
      std::fprintf(stderr, "troupe analytics topics: topics=%zu sweep %zu/%zu\n", progress.topics, progress.iteration,
                   progress.iterations);
    }
    return !InterruptRequested();
  };
  return options;
}

Result<TopicsInput> ReadTopicsInput(CommandContext& context, const TopicsFlags& flags) {
  TopicsInput input;
  if (!flags.from_store) {
    if (flags.trends) return InvalidArgument("--trends needs --from-store (a file's messages have no times)", "--trends");
    TROUPE_ASSIGN_OR_RETURN(input.texts, analytics::ReadMessageJsonl(flags.input));
    input.source = flags.input;
    return input;
  }
  TROUPE_ASSIGN_OR_RETURN(StoredTopicMessages stored, ReadStoredTopicMessages(context, flags.from, flags.to, flags.character));
  input.texts = std::move(stored.texts);
  input.created_at_ms = std::move(stored.created_at_ms);
  input.source = stored.description;
  return input;
}

// Names and trends, when asked for, on the rows of the chosen model.
Status AddTopicExtras(CommandContext& context, const TopicsFlags& flags, const TopicsInput& input,
                      const analytics::TopicCorpus& corpus, const analytics::LdaModel& model, std::vector<TopicRow>& rows,
                      std::vector<analytics::TopicWeek>& weeks) {
  if (flags.trends) {
    weeks = analytics::WeeklyTopicShares(model, corpus.documents, input.created_at_ms);
    const std::vector<double> slopes = analytics::TopicShareSlopes(weeks, model.topic_count());
    for (TopicRow& row : rows) row.slope = slopes[row.topic];
  }
  if (flags.name_topics) {
    std::fprintf(stderr, "troupe analytics topics: naming %zu topics\n", rows.size());
    const std::vector<std::vector<std::string>> examples = TopicExamples(model, corpus.documents, input.texts, 3);
    std::vector<analytics::TopicToName> topics;
    for (const TopicRow& row : rows) topics.push_back({row.words, examples[row.topic]});
    TROUPE_ASSIGN_OR_RETURN(std::vector<analytics::TopicName> names, NameTopicsWithConfiguredModel(context, topics));
    for (size_t i = 0; i < rows.size(); ++i) rows[i].name = names[i];
  }
  return Status::Ok();
}

void FindTopics(CommandContext& context, const TopicsFlags& flags) {
  Result<std::vector<size_t>> counts = ParseTopicCounts(flags.topics);
  if (!counts.ok()) return (void)context.Fail(counts.status());
  if (flags.from_store == !flags.input.empty()) {
    return (void)context.Fail(InvalidArgument("give --input FILE or --from-store, one of them", "--input"));
  }
  StopOnInterrupt stop_on_interrupt;
  Result<TopicsInput> input = ReadTopicsInput(context, flags);
  if (!input.ok()) return (void)context.Fail(input.status());
  analytics::TopicVocabularyOptions vocabulary;
  vocabulary.min_document_count = flags.min_documents;
  vocabulary.max_document_fraction = flags.max_document_fraction;
  vocabulary.max_vocabulary = flags.max_vocabulary;
  const analytics::TopicCorpus corpus = analytics::BuildTopicCorpus(input->texts, vocabulary);
  std::fprintf(stderr, "troupe analytics topics: %zu messages, %zu words kept, %zu tokens\n", corpus.documents.size(),
               corpus.vocabulary.size(), corpus.token_count);
  Result<analytics::TopicCountChoice> choice = analytics::ChooseTopicCount(
      corpus.documents, corpus.vocabulary.size(), *counts, TopicsLdaOptions(flags), flags.top_words);
  if (InterruptRequested()) {
    std::cerr << "troupe: interrupted\n";
    context.exit_code = kInterruptedExitCode;
    return;
  }
  if (!choice.ok()) {
    Status status = choice.status();
    if (status.field() == "documents") status = status.WithContext(input->source + ": try a lower --min-documents");
    return (void)context.Fail(status);
  }
  std::vector<TopicRow> rows = TopicRows(*choice, corpus.vocabulary, flags.top_words);
  std::vector<analytics::TopicWeek> weeks;
  if (Status extras = AddTopicExtras(context, flags, *input, corpus, choice->model, rows, weeks); !extras.ok()) {
    return (void)context.Fail(extras);
  }
  if (flags.json) {
    PrintTopicsJson(flags, corpus, *choice, rows, weeks);
    return;
  }
  PrintTopicsTable(flags, corpus, *choice, rows);
  for (const analytics::TopicWeek& week : weeks) {
    std::string shares;
    for (const TopicRow& row : rows) {
      char text[16];
      std::snprintf(text, sizeof(text), " %.3f", week.shares[row.topic]);
      shares += text;
    }
    std::printf("week %s messages=%zu shares (by rank):%s\n", TopicWeekLabel(week).c_str(), week.messages,
                shares.c_str());
  }
  std::fflush(stdout);
}

}  // namespace

void AddTopicsCommand(CLI::App& analytics, CommandContext& context) {
  auto flags = std::make_shared<TopicsFlags>();
  CLI::App* command = analytics.add_subcommand(
      "topics", "Topics of messages (a JSON Lines file, or stored over a period; LDA): top words, share, coherence");
  command->add_option("--input", flags->input, "JSON Lines FILE, one object with a \"text\" field per line");
  command->add_flag("--from-store", flags->from_store, "the users' messages stored over a period instead of a file");
  command->add_option("--from", flags->from, "with --from-store: first day, YYYY-MM-DD (default: 29 days before --to)");
  command->add_option("--to", flags->to, "with --from-store: last day, included, YYYY-MM-DD (default: today, UTC)");
  command->add_option("--character", flags->character, "with --from-store: only this character's conversations");
  command->add_flag("--trends", flags->trends, "with --from-store: each topic's share per week and its slope");
  command->add_flag("--name-topics", flags->name_topics, "name each topic with the configured language model");
  command->add_option("--topics", flags->topics, "K, a list of candidates (5,10,15) or auto, chosen by NPMI coherence")
      ->required();
  command->add_option("--top-words", flags->top_words, "words shown (and scored for coherence) per topic")
      ->check(CLI::Range(size_t{1}, size_t{1000}))
      ->capture_default_str();
  command->add_option("--iterations", flags->iterations, "Gibbs sampling sweeps")
      ->check(CLI::Range(size_t{1}, size_t{1000000}))
      ->capture_default_str();
  command->add_option("--seed", flags->seed, "random seed; the same seed gives the same topics")->capture_default_str();
  command->add_option("--min-documents", flags->min_documents, "messages a word must appear in to be kept")
      ->check(CLI::Range(size_t{1}, size_t{1000000000}))
      ->capture_default_str();
  command->add_option("--max-document-fraction", flags->max_document_fraction,
                      "drop words in more than this fraction of messages")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  command->add_option("--max-vocabulary", flags->max_vocabulary, "keep only the words in most messages (0: all)")
      ->capture_default_str();
  command->add_flag("--json", flags->json, "print one JSON object");
  command->callback([&context, flags] { FindTopics(context, *flags); });
}

}  // namespace troupe::cli
