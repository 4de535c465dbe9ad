// Messages per second of the lexicon sentiment score (base/sentiment_lexicon.h) on one core, over
// the 3,000 labelled review sentences in the shared test data (issue 18 asks 100,000/s or more).
// Run: build/release/bench/sentiment_bench [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "base/sentiment_lexicon.h"

namespace {

std::filesystem::path SentimentBenchSharedDir() {
  const char* overridden = std::getenv("TROUPE_SHARED_DIR");
  return overridden != nullptr ? overridden : TROUPE_SHARED_DIR_DEFAULT;
}

// The sentence of every `text<TAB>label` line, split at the last tab as the dataset's README says.
std::vector<std::string> LabelledSentences() {
  std::vector<std::string> sentences;
  const auto folder = SentimentBenchSharedDir() / "testdata/datasets/sentiment/sentiment_labelled_sentences";
  for (const char* name : {"amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"}) {
    std::ifstream in(folder / name, std::ios::binary);
    if (!in) {
      std::cerr << "sentiment_bench: cannot read " << (folder / name) << " (set TROUPE_SHARED_DIR)\n";
      std::exit(1);
    }
    std::string line;
    while (std::getline(in, line)) {
      const size_t tab = line.rfind('\t');
      if (tab != std::string::npos) sentences.push_back(line.substr(0, tab));
    }
  }
  return sentences;
}

void BM_LexiconSentiment(benchmark::State& state) {
  static const std::vector<std::string> sentences = LabelledSentences();
  size_t bytes = 0;
  for (auto _ : state) {
    double sum = 0;
    for (const std::string& sentence : sentences) sum += troupe::LexiconSentiment(sentence);
    benchmark::DoNotOptimize(sum);
  }
  for (const std::string& sentence : sentences) bytes += sentence.size();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * sentences.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["sentences"] = static_cast<double>(sentences.size());
}
BENCHMARK(BM_LexiconSentiment)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
