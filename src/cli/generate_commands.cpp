// `troupe generate` and `troupe perplexity`: run a GGUF model in-process from the command line.
// Generated text alone goes to stdout (so scripts can capture it); statistics go to stderr.
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <span>
#include <sstream>

#include "cli/commands.h"
#include "cli/engine_status.h"
#include "engine/engine.h"

namespace troupe::cli {
namespace {

std::atomic<bool> interrupted{false};

// Ctrl-C stops the current reply (or the scoring) cleanly instead of killing the process.
extern "C" void OnInterrupt(int) { interrupted.store(true); }

class InterruptStopsWork {
 public:
  InterruptStopsWork() {
    interrupted.store(false);
    previous_ = std::signal(SIGINT, OnInterrupt);
  }
  ~InterruptStopsWork() { std::signal(SIGINT, previous_); }

 private:
  void (*previous_)(int) = SIG_DFL;
};

struct GenerateOptions {
  std::string model;
  std::string prompt;
  bool chat = false;
  std::string system;
  int32_t max_tokens = 256;
  float temperature = 0.8f;
  int32_t top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  int32_t repeat_last_n = 64;
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  uint64_t seed = 0;
  int threads = 0;
  uint32_t context = 4096;
  std::vector<std::string> stop;
  bool ignore_eos = false;
  bool no_bos = false;
};

engine::GenerationRequest RequestFrom(const GenerateOptions& options) {
  engine::GenerationRequest request;
  request.sampling.temperature = options.temperature;
  request.sampling.top_k = options.top_k;
  request.sampling.top_p = options.top_p;
  request.sampling.min_p = options.min_p;
  request.sampling.repeat_penalty = options.repeat_penalty;
  request.sampling.repeat_last_n = options.repeat_last_n;
  request.sampling.frequency_penalty = options.frequency_penalty;
  request.sampling.presence_penalty = options.presence_penalty;
  request.sampling.seed = options.seed;
  request.max_tokens = options.max_tokens;
  request.stop_strings = options.stop;
  request.stop_on_end_of_generation = !options.ignore_eos;
  request.cancel = &interrupted;
  return request;
}

void PrintStatistics(const engine::GenerationResult& result) {
  std::fprintf(stderr,
               "\n[%u prompt tokens in %.0f ms (%.1f tokens/s), %u generated in %.0f ms: %.1f tokens/s; "
               "stopped: %s]\n",
               result.prompt_tokens, result.prompt_ms,
               result.prompt_ms > 0 ? result.prompt_tokens * 1000.0 / result.prompt_ms : 0.0,
               result.generated_tokens, result.generation_ms, result.tokens_per_second,
               std::string(engine::StopReasonName(result.stop_reason)).c_str());
}

engine::GenerationResult RunStreaming(engine::Model& model, engine::KvCache& sequence,
                                      engine::GenerationRequest request) {
  engine::GenerationCallbacks callbacks;
  callbacks.on_piece = [](std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  };
  return model.Generate(sequence, request, callbacks);
}

// One prompt, one continuation.
void GenerateOnce(engine::Model& model, const GenerateOptions& options) {
  std::string prompt = options.prompt;
  if (prompt == "-") prompt.assign(std::istreambuf_iterator<char>(std::cin), {});
  engine::GenerationRequest request = RequestFrom(options);
  request.prompt = model.Tokenize(prompt, !options.no_bos, /*parse_special=*/false);
  const std::unique_ptr<engine::KvCache> sequence = model.NewSequence(options.context);
  const engine::GenerationResult result = RunStreaming(model, *sequence, std::move(request));
  std::fputc('\n', stdout);
  PrintStatistics(result);
}

// A terminal conversation: each line of stdin is a user turn; the whole conversation is rendered
// with the model's chat template and only the tokens past the shared prefix are run again.
void Chat(engine::Model& model, const GenerateOptions& options) {
  engine::ChatTemplateInputs inputs;
  if (!options.system.empty()) inputs.messages.push_back({{"role", "system"}, {"content", options.system}});
  const std::unique_ptr<engine::KvCache> sequence = model.NewSequence(options.context);
  std::vector<int32_t> cached;  // the tokens `sequence` holds
  std::string line;
  const bool interactive = isatty(fileno(stdin)) != 0;
  while (true) {
    if (interactive) std::fprintf(stderr, "> ");
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    inputs.messages.push_back({{"role", "user"}, {"content", line}});
    inputs.add_generation_prompt = true;
    const std::vector<int32_t> tokens = model.TokenizeChat(model.RenderChat(inputs));
    size_t shared = 0;
    while (shared < cached.size() && shared < tokens.size() && cached[shared] == tokens[shared]) ++shared;
    // At least one token must run to get logits for the reply.
    if (shared == tokens.size()) --shared;
    sequence->Truncate(static_cast<uint32_t>(shared));
    engine::GenerationRequest request = RequestFrom(options);
    request.prompt.assign(tokens.begin() + static_cast<ptrdiff_t>(shared), tokens.end());
    interrupted.store(false);
    const engine::GenerationResult result = RunStreaming(model, *sequence, std::move(request));
    std::fputc('\n', stdout);
    PrintStatistics(result);
    cached.assign(tokens.begin(), tokens.end());
    // The cache holds every generated token but the last (see generator.h).
    cached.insert(cached.end(), result.tokens.begin(), result.tokens.end());
    if (!result.tokens.empty()) cached.pop_back();
    inputs.messages.push_back({{"role", "assistant"}, {"content", result.text}});
  }
}

void Generate(CommandContext& context, const GenerateOptions& options) {
  if (options.chat == !options.prompt.empty()) {
    context.Fail(InvalidArgument("give either --prompt TEXT or --chat", "--prompt"));
    return;
  }
  try {
    InterruptStopsWork interrupt_stops_work;
    const auto model = engine::Model::Load(options.model, {.threads = options.threads});
    if (options.chat) {
      Chat(*model, options);
    } else {
      GenerateOnce(*model, options);
    }
  } catch (const engine::EngineError& error) {
    context.Fail(StatusFromEngineError(error));
  }
}

struct PerplexityOptions {
  std::string model;
  std::string file;
  int threads = 0;
  uint32_t context = 0;
};

// Scores the file in windows of `context` tokens (each starting fresh, as llama.cpp's perplexity
// tool does) and prints the perplexity over every predicted token as the last line of stdout.
void ComputePerplexity(CommandContext& context, const PerplexityOptions& options) {
  std::ifstream in(options.file, std::ios::binary);
  if (!in) {
    context.Fail(NotFound("cannot read " + options.file));
    return;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  try {
    InterruptStopsWork interrupt_stops_work;
    const auto model = engine::Model::Load(options.model, {.threads = options.threads});
    const std::vector<int32_t> tokens = model->Tokenize(text, /*add_special=*/true, /*parse_special=*/false);
    const uint64_t trained = model->summary().spec->context_length;
    const size_t window = static_cast<size_t>(
        options.context > 0 ? std::min<uint64_t>(options.context, trained) : std::min<uint64_t>(trained, 2048));
    if (tokens.size() < 2) {
      context.Fail(InvalidArgument(options.file + ": needs at least two tokens of text", "--file"));
      return;
    }
    double total = 0;
    size_t predicted = 0;
    const size_t windows = (tokens.size() + window - 1) / window;
    for (size_t start = 0, index = 0; start + 1 < tokens.size() && !interrupted.load(); start += window, ++index) {
      const size_t length = std::min(window, tokens.size() - start);
      if (length < 2) break;
      const engine::TokenScores scores = model->Score(std::span(tokens).subspan(start, length));
      total += scores.total_log_prob;
      predicted += scores.predicted_tokens();
      std::fprintf(stderr, "window %zu/%zu: %zu tokens, perplexity so far %.4f\n", index + 1, windows,
                   length, std::exp(-total / static_cast<double>(predicted)));
    }
    if (interrupted.load()) {
      context.Fail(InvalidArgument("interrupted"));
      return;
    }
    std::fprintf(stderr, "%zu tokens scored in windows of %zu\n", predicted, window);
    std::printf("%.4f\n", std::exp(-total / static_cast<double>(predicted)));
  } catch (const engine::EngineError& error) {
    context.Fail(StatusFromEngineError(error));
  }
}

}  // namespace

void AddGenerateCommands(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<GenerateOptions>();
  CLI::App* generate = app.add_subcommand(
      "generate", "Run a GGUF model: continue --prompt, or --chat on standard input (text to stdout)");
  generate->add_option("-m,--model", options->model, "GGUF model file")->required()->check(CLI::ExistingFile);
  generate->add_option("-p,--prompt", options->prompt, "text to continue ('-': standard input)");
  generate->add_flag("--chat", options->chat, "a conversation: each stdin line is a user turn");
  generate->add_option("--system", options->system, "system message for --chat");
  generate->add_option("-n,--max-tokens", options->max_tokens, "tokens to generate at most (-1: until a stop)")
      ->capture_default_str();
  generate->add_option("--temperature", options->temperature, "0: greedy")->capture_default_str();
  generate->add_option("--top-k", options->top_k, "0: off")->capture_default_str();
  generate->add_option("--top-p", options->top_p, "1: off")->capture_default_str();
  generate->add_option("--min-p", options->min_p, "0: off")->capture_default_str();
  generate->add_option("--repeat-penalty", options->repeat_penalty, "1: off")->capture_default_str();
  generate->add_option("--repeat-last-n", options->repeat_last_n, "penalty window in tokens")->capture_default_str();
  generate->add_option("--frequency-penalty", options->frequency_penalty)->capture_default_str();
  generate->add_option("--presence-penalty", options->presence_penalty)->capture_default_str();
  generate->add_option("--seed", options->seed, "random seed: the same seed gives the same text")
      ->capture_default_str();
  generate->add_option("-t,--threads", options->threads, "compute threads (0: one per core)")->capture_default_str();
  generate->add_option("-c,--context", options->context, "KV cache size in tokens")->capture_default_str();
  generate->add_option("--stop", options->stop, "stop before this text (repeatable)");
  generate->add_flag("--ignore-eos", options->ignore_eos, "keep going past end-of-generation tokens");
  generate->add_flag("--no-bos", options->no_bos, "do not add BOS to --prompt");
  generate->callback([&context, options] { Generate(context, *options); });

  auto perplexity_options = std::make_shared<PerplexityOptions>();
  CLI::App* perplexity = app.add_subcommand(
      "perplexity", "Perplexity of a model on a text file (printed as the last line)");
  perplexity->add_option("-m,--model", perplexity_options->model, "GGUF model file")
      ->required()
      ->check(CLI::ExistingFile);
  perplexity->add_option("-f,--file", perplexity_options->file, "UTF-8 text file")->required();
  perplexity->add_option("-t,--threads", perplexity_options->threads, "compute threads (0: one per core)");
  perplexity->add_option("-c,--context", perplexity_options->context,
                         "window in tokens (default: the model's context, at most 2048)");
  perplexity->callback([&context, perplexity_options] { ComputePerplexity(context, *perplexity_options); });
}

}  // namespace troupe::cli
