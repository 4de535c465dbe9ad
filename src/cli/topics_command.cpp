// `troupe analytics topics`: LDA topics of the messages in a JSON Lines file (one object with a
// "text" per line) or of the users' messages or feedback comments (--source) stored over a period
// (--from-store, by day and character), each shown by its top words, its share of the corpus and its coherence. K is given,
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

#include "analytics/message_jsonl.h"
#include "analytics/topic_report.h"
#include "store/kpi_report.h"
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
  std::string source;  // "" = messages
  std::string from;
  std::string to;
  std::string character;
  bool trends = false;
  bool name_topics = false;
};

void PrintTopicsTable(const analytics::TopicReport& report) {
  const analytics::TopicCountChoice& choice = report.choice;
  const analytics::TopicCountCandidate& chosen = choice.candidates[choice.chosen];
  std::printf("messages=%zu vocabulary=%zu tokens=%zu topics=%zu iterations=%zu seed=%llu\n", report.messages,
              report.vocabulary, report.tokens, chosen.topics, report.iterations,
              static_cast<unsigned long long>(report.seed));
  if (choice.candidates.size() > 1) {
    for (const analytics::TopicCountCandidate& candidate : choice.candidates) {
      std::printf("candidate topics=%zu mean_npmi=%.4f mean_umass=%.4f%s\n", candidate.topics, candidate.mean_npmi,
                  candidate.mean_umass, &candidate == &chosen ? " (chosen)" : "");
    }
  }
  std::printf("%-5s %-6s %-7s %-7s %s\n", "topic", "share", "npmi", "umass", "top words");
  for (size_t rank = 0; rank < report.rows.size(); ++rank) {
    const analytics::TopicReportRow& row = report.rows[rank];
    std::string words;
    for (const std::string& word : row.words) words += (words.empty() ? "" : " ") + word;
    std::printf("%-5zu %-6.4f %-7.4f %-7.4f %s\n", rank + 1, row.share, row.coherence.npmi, row.coherence.umass,
                words.c_str());
    if (row.name) std::printf("      name: %s\n", row.name->name.c_str());
    if (row.slope) std::printf("      trend: %+.4f share per week\n", *row.slope);
  }
  std::printf("mean_npmi=%.4f mean_umass=%.4f\n", chosen.mean_npmi, chosen.mean_umass);
  for (const analytics::TopicWeek& week : report.weeks) {
    std::string shares;
    for (const analytics::TopicReportRow& row : report.rows) {
      char text[16];
      std::snprintf(text, sizeof(text), " %.3f", week.shares[row.topic]);
      shares += text;
    }
    std::printf("week %s messages=%zu shares (by rank):%s\n", store::KpiDay(week.week_start_ms).c_str(), week.messages,
                shares.c_str());
  }
  std::fflush(stdout);
}

bool ShowTopicsProgress(const analytics::LdaProgress& progress) {
  // Every tenth of the run, and at least every 100 sweeps so a long run still shows it is alive.
  const size_t step = std::clamp<size_t>(progress.iterations / 10, 1, 100);
  if (progress.iteration % step == 0 || progress.iteration == progress.iterations) {
    std::fprintf(stderr, "troupe analytics topics: topics=%zu sweep %zu/%zu\n", progress.topics, progress.iteration,
                 progress.iterations);
  }
  return !InterruptRequested();
}

Result<analytics::TopicMessages> ReadTopicsInput(CommandContext& context, const TopicsFlags& flags) {
  if (!flags.from_store) {
    if (flags.trends) return InvalidArgument("--trends needs --from-store (a file's messages have no times)", "--trends");
    if (!flags.source.empty()) return InvalidArgument("--source needs --from-store (a file is its own source)", "--source");
    analytics::TopicMessages input;
    TROUPE_ASSIGN_OR_RETURN(input.texts, analytics::ReadMessageJsonl(flags.input));
    input.source = flags.input;
    return input;
  }
  TROUPE_ASSIGN_OR_RETURN(analytics::TopicSource source,
                          analytics::ParseTopicSource(flags.source.empty() ? "messages" : flags.source, "--source"));
  return ReadStoredTopicMessages(context, source, flags.from, flags.to, flags.character);
}

void FindTopics(CommandContext& context, const TopicsFlags& flags) {
  Result<std::vector<size_t>> counts = analytics::ParseTopicCounts(flags.topics, "--topics");
  if (!counts.ok()) return (void)context.Fail(counts.status());
  if (flags.from_store == !flags.input.empty()) {
    return (void)context.Fail(InvalidArgument("give --input FILE or --from-store, one of them", "--input"));
  }
  StopOnInterrupt stop_on_interrupt;
  Result<analytics::TopicMessages> input = ReadTopicsInput(context, flags);
  if (!input.ok()) return (void)context.Fail(input.status());
  analytics::TopicReportOptions options;
  options.topic_counts = *counts;
  options.top_words = flags.top_words;
  options.iterations = flags.iterations;
  options.seed = flags.seed;
  options.vocabulary.min_document_count = flags.min_documents;
  options.vocabulary.max_document_fraction = flags.max_document_fraction;
  options.vocabulary.max_vocabulary = flags.max_vocabulary;
  options.trends = flags.trends;
  options.progress = ShowTopicsProgress;
  options.cancel = InterruptFlag();
  std::unique_ptr<ConfiguredProvider> namer;
  if (flags.name_topics) {
    Result<std::unique_ptr<ConfiguredProvider>> configured = ConfiguredDefaultProvider(context);
    if (!configured.ok()) return (void)context.Fail(configured.status());
    namer = std::move(*configured);
    options.namer = namer->provider;
  }
  options.on_naming = [](size_t topics) { std::fprintf(stderr, "troupe analytics topics: naming %zu topics\n", topics); };
  options.on_corpus = [](const analytics::TopicCorpus& corpus) {
    std::fprintf(stderr, "troupe analytics topics: %zu messages, %zu words kept, %zu tokens\n", corpus.documents.size(),
                 corpus.vocabulary.size(), corpus.token_count);
  };
  Result<analytics::TopicReport> report = analytics::FindTopics(*input, options);
  if (InterruptRequested()) {
    std::cerr << "troupe: interrupted\n";
    context.exit_code = kInterruptedExitCode;
    return;
  }
  if (!report.ok()) {
    Status status = report.status();
    if (status.field() == "documents") status = status.WithContext(input->source + ": try a lower --min-documents");
    return (void)context.Fail(status);
  }
  if (flags.json) {
    std::cout << analytics::TopicReportJson(*report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << '\n';
    return;
  }
  PrintTopicsTable(*report);
}

}  // namespace

void AddTopicsCommand(CLI::App& analytics, CommandContext& context) {
  auto flags = std::make_shared<TopicsFlags>();
  CLI::App* command = analytics.add_subcommand(
      "topics", "Topics of messages (a JSON Lines file, or stored over a period; LDA): top words, share, coherence");
  command->add_option("--input", flags->input, "JSON Lines FILE, one object with a \"text\" field per line");
  command->add_flag("--from-store", flags->from_store, "the users' messages stored over a period instead of a file");
  command->add_option("--source", flags->source,
                      "with --from-store: messages (the users', the default) or comments (their feedback comments)");
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
