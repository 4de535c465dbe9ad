// `troupe generate` and `troupe perplexity`: run a GGUF model in-process from the command line.
// Generated text alone goes to stdout (so scripts can capture it); statistics go to stderr.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <span>
#include <sstream>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "llm/local_model.h"
#include "llm/local_sequence.h"

namespace troupe::cli {
namespace {

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

llm::GenerationSettings SettingsFrom(const GenerateOptions& options) {
  llm::GenerationSettings settings;
  settings.temperature = options.temperature;
  settings.top_k = options.top_k;
  settings.top_p = options.top_p;
  settings.min_p = options.min_p;
  settings.repeat_penalty = options.repeat_penalty;
  settings.repeat_last_n = options.repeat_last_n;
  settings.frequency_penalty = options.frequency_penalty;
  settings.presence_penalty = options.presence_penalty;
  settings.seed = options.seed;
  settings.max_tokens = options.max_tokens;
  settings.stop = options.stop;
  settings.stop_at_end_of_generation = !options.ignore_eos;
  settings.cancel = InterruptFlag();
  return settings;
}

void PrintStatistics(const llm::Generation& result) {
  std::fprintf(stderr,
               "\n[%u prompt tokens in %.0f ms (%.1f tokens/s), %u generated in %.0f ms: %.1f tokens/s; "
               "stopped: %s]\n",
               result.prompt_tokens, result.prompt_ms,
               result.prompt_ms > 0 ? result.prompt_tokens * 1000.0 / result.prompt_ms : 0.0,
               result.generated_tokens, result.generation_ms, result.tokens_per_second, result.stop_reason.c_str());
}

// Generates after `prompt` on `sequence`, text to stdout as it comes, then the statistics.
Result<llm::Generation> RunStreaming(llm::LocalSequence& sequence, std::span<const int32_t> prompt,
                                     const GenerateOptions& options) {
  Result<llm::Generation> result = sequence.Generate(prompt, SettingsFrom(options), [](std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  });
  if (!result.ok()) return result;
  std::fputc('\n', stdout);
  PrintStatistics(*result);
  return result;
}

// One prompt, one continuation.
Status GenerateOnce(llm::LocalModel& model, const GenerateOptions& options) {
  std::string prompt = options.prompt;
  if (prompt == "-") prompt.assign(std::istreambuf_iterator<char>(std::cin), {});
  TROUPE_ASSIGN_OR_RETURN(const std::vector<int32_t> tokens,
                          model.Tokenize(prompt, !options.no_bos, /*parse_special=*/false));
  TROUPE_ASSIGN_OR_RETURN(const std::unique_ptr<llm::LocalSequence> sequence, model.NewSequence(options.context));
  return RunStreaming(*sequence, tokens, options).status();
}

llm::ChatMessage Turn(std::string role, std::string content) {
  llm::ChatMessage message;
  message.role = std::move(role);
  message.content = std::move(content);
  return message;
}

// A terminal conversation: each line of stdin is a user turn; the whole conversation is rendered
// with the model's chat template, and the sequence runs only the tokens past what it already holds.
Status Chat(llm::LocalModel& model, const GenerateOptions& options) {
  std::vector<llm::ChatMessage> messages;
  if (!options.system.empty()) messages.push_back(Turn("system", options.system));
  TROUPE_ASSIGN_OR_RETURN(const std::unique_ptr<llm::LocalSequence> sequence, model.NewSequence(options.context));
  std::string line;
  const bool interactive = isatty(fileno(stdin)) != 0;
  while (true) {
    if (interactive) std::fprintf(stderr, "> ");
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    messages.push_back(Turn("user", line));
    TROUPE_ASSIGN_OR_RETURN(const std::vector<int32_t> tokens,
                            model.TokenizeChat(messages, /*add_generation_prompt=*/true));
    ResetInterrupt();
    TROUPE_ASSIGN_OR_RETURN(const llm::Generation reply, RunStreaming(*sequence, tokens, options));
    messages.push_back(Turn("assistant", reply.text));
  }
  return Status::Ok();
}

void Generate(CommandContext& context, const GenerateOptions& options) {
  if (options.chat == !options.prompt.empty()) {
    context.Fail(InvalidArgument("give either --prompt TEXT or --chat", "--prompt"));
    return;
  }
  StopOnInterrupt stop_on_interrupt;
  Result<std::unique_ptr<llm::LocalModel>> model = llm::LocalModel::Load(options.model, {.threads = options.threads});
  if (!model.ok()) {
    context.Fail(model.status());
    return;
  }
  const Status done = options.chat ? Chat(**model, options) : GenerateOnce(**model, options);
  if (!done.ok()) context.Fail(done);
}

struct PerplexityOptions {
  std::string model;
  std::string file;
  int threads = 0;
  uint32_t context = 0;
};

// Scores `tokens` in windows of `window` tokens (each starting fresh, as llama.cpp's perplexity
// tool does), reporting each window's progress on stderr, until done or interrupted.
Result<llm::TextScore> ScoreInWindows(llm::LocalModel& model, const std::vector<int32_t>& tokens, size_t window) {
  llm::TextScore total;
  const size_t windows = (tokens.size() + window - 1) / window;
  for (size_t start = 0, index = 0; start + 1 < tokens.size() && !InterruptRequested(); start += window, ++index) {
    const size_t length = std::min(window, tokens.size() - start);
    if (length < 2) break;
    TROUPE_ASSIGN_OR_RETURN(const llm::TextScore scores, model.Score(std::span(tokens).subspan(start, length)));
    total.total_log_prob += scores.total_log_prob;
    total.predicted_tokens += scores.predicted_tokens;
    std::fprintf(stderr, "window %zu/%zu: %zu tokens, perplexity so far %.4f\n", index + 1, windows, length,
                 std::exp(-total.total_log_prob / static_cast<double>(total.predicted_tokens)));
  }
  return total;
}

// Prints the perplexity over every predicted token as the last line of stdout.
Status ComputePerplexity(const PerplexityOptions& options) {
  std::ifstream in(options.file, std::ios::binary);
  if (!in) return NotFound("cannot read " + options.file);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  StopOnInterrupt stop_on_interrupt;
  TROUPE_ASSIGN_OR_RETURN(const std::unique_ptr<llm::LocalModel> model,
                          llm::LocalModel::Load(options.model, {.threads = options.threads}));
  TROUPE_ASSIGN_OR_RETURN(const std::vector<int32_t> tokens,
                          model->Tokenize(text, /*add_special=*/true, /*parse_special=*/false));
  const uint64_t trained = model->info().hyperparameters->context_length;
  const size_t window = static_cast<size_t>(
      options.context > 0 ? std::min<uint64_t>(options.context, trained) : std::min<uint64_t>(trained, 2048));
  if (tokens.size() < 2) return InvalidArgument(options.file + ": needs at least two tokens of text", "--file");
  TROUPE_ASSIGN_OR_RETURN(const llm::TextScore score, ScoreInWindows(*model, tokens, window));
  if (InterruptRequested()) return InvalidArgument("interrupted");
  std::fprintf(stderr, "%zu tokens scored in windows of %zu\n", score.predicted_tokens, window);
  std::printf("%.4f\n", std::exp(-score.total_log_prob / static_cast<double>(score.predicted_tokens)));
  return Status::Ok();
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
  perplexity->callback([&context, perplexity_options] {
    if (Status done = ComputePerplexity(*perplexity_options); !done.ok()) context.Fail(done);
  });
}

}  // namespace troupe::cli
