// `troupe bench`: prompt and generation speed of a GGUF model in llama-bench's table shape, and the
// share of the memory-bandwidth limit decoding reaches. The runs are llm's (model_bench.h); this
// file parses the flags, prints the report (a markdown table or one JSON object on stdout, progress
// on stderr) and maps errors to exit codes.
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "llm/local_model.h"
#include "llm/model_bench.h"

namespace troupe::cli {
namespace {

struct BenchFlags {
  std::string model;
  int threads = 0;
  int prompt_tokens = 512;
  int gen_tokens = 128;
  int repetitions = 3;
  int bandwidth_mib = 0;
  bool json = false;
};

// The flag behind each field llm's errors name, so a message says what to change on the command line.
std::string FlagFor(const std::string& field) {
  static const std::map<std::string, std::string> kFlags = {
      {"prompt_tokens", "--prompt-tokens"}, {"generated_tokens", "--gen-tokens"},
      {"repetitions", "--repetitions"},     {"threads", "--threads"},
      {"buffer_bytes", "--bandwidth-mib"},  {"model", "--model"},
  };
  const auto found = kFlags.find(field);
  return found == kFlags.end() ? field : found->second;
}

Status CheckFlags(const BenchFlags& flags) {
  if (flags.threads < 0) return InvalidArgument("--threads must be 0 (one per core) or more", "--threads");
  if (flags.prompt_tokens < 0) {
    return InvalidArgument("--prompt-tokens must be 0 (no prompt test) or more", "--prompt-tokens");
  }
  if (flags.gen_tokens < 0) {
    return InvalidArgument("--gen-tokens must be 0 (no generation test) or more", "--gen-tokens");
  }
  if (flags.prompt_tokens == 0 && flags.gen_tokens == 0) {
    return InvalidArgument("--prompt-tokens and --gen-tokens are both 0: nothing to measure", "--prompt-tokens");
  }
  if (flags.repetitions < 1) return InvalidArgument("--repetitions must be at least 1", "--repetitions");
  if (flags.bandwidth_mib < 0) {
    return InvalidArgument("--bandwidth-mib must be 0 (the default size) or more", "--bandwidth-mib");
  }
  return Status::Ok();
}

void PrintProgress(const llm::BenchProgress& progress) {
  if (progress.test == "bandwidth") {
    std::fprintf(stderr, "troupe bench: memory read bandwidth (%d passes)\n", progress.repetitions);
  } else if (progress.repetition == 0) {
    std::fprintf(stderr, "troupe bench: %s warm-up\n", progress.test.c_str());
  } else {
    std::fprintf(stderr, "troupe bench: %s run %d/%d\n", progress.test.c_str(), progress.repetition,
                 progress.repetitions);
  }
}

std::string Format(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// llama-bench's units: MiB below a GiB, parameters in M below a billion.
std::string SizeText(uint64_t bytes) {
  const double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  return mib < 1024.0 ? Format("%.2f MiB", mib) : Format("%.2f GiB", mib / 1024.0);
}

std::string ParametersText(uint64_t count) {
  return count < 1'000'000'000 ? Format("%.2f M", count / 1e6) : Format("%.2f B", count / 1e9);
}

// Characters on screen, not bytes: "±" is two bytes of UTF-8.
size_t DisplayWidth(const std::string& text) {
  size_t width = 0;
  for (const char byte : text) width += (static_cast<unsigned char>(byte) & 0xC0) != 0x80 ? 1 : 0;
  return width;
}

// A markdown table whose columns line up in a terminal; `right[i]` aligns column i right.
void PrintTable(const std::vector<std::string>& header, const std::vector<bool>& right,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size());
  for (size_t column = 0; column < header.size(); ++column) {
    widths[column] = std::max<size_t>(DisplayWidth(header[column]), 3);
    for (const auto& row : rows) widths[column] = std::max(widths[column], DisplayWidth(row[column]));
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line = "|";
    for (size_t column = 0; column < cells.size(); ++column) {
      const std::string padding(widths[column] - DisplayWidth(cells[column]), ' ');
      line += " " + (right[column] ? padding + cells[column] : cells[column] + padding) + " |";
    }
    std::printf("%s\n", line.c_str());
  };
  print_row(header);
  std::string rule = "|";
  for (size_t column = 0; column < header.size(); ++column) {
    rule += " " + std::string(widths[column] - 1, '-') + (right[column] ? ":" : "-") + " |";
  }
  std::printf("%s\n", rule.c_str());
  for (const auto& row : rows) print_row(row);
}

void PrintText(const llm::BenchReport& report) {
  std::vector<std::vector<std::string>> rows;
  for (const llm::BenchTest& test : report.tests) {
    rows.push_back({report.model, SizeText(report.weight_bytes), ParametersText(report.parameter_count),
                    "CPU (" + report.kernel_path + ")", std::to_string(report.threads), test.name,
                    Format("%.2f", test.mean_tokens_per_second) + " ± " + Format("%.2f", test.sd_tokens_per_second)});
  }
  PrintTable({"model", "size", "params", "backend", "threads", "test", "t/s"},
             {false, true, true, false, true, true, true}, rows);
  const double mib_per_token = static_cast<double>(report.weight_bytes_per_token) / (1024.0 * 1024.0);
  if (!report.bandwidth) {
    std::printf("\nweights read per generated token: %.2f MiB (memory bandwidth not measured)\n", mib_per_token);
    return;
  }
  std::printf("\nmemory read bandwidth: %.2f GB/s (%d %s, %.0f MiB buffer, best of %d passes)\n",
              report.bandwidth->bytes_per_second / 1e9, report.bandwidth->threads,
              report.bandwidth->threads == 1 ? "thread" : "threads",
              static_cast<double>(report.bandwidth->buffer_bytes) / (1024.0 * 1024.0), report.bandwidth->passes);
  if (!report.decode_limit) return;
  std::printf("decode limit: %.2f t/s (%.2f MiB of weights read per generated token)",
              report.decode_limit->tokens_per_second, mib_per_token);
  for (const llm::BenchTest& test : report.tests) {
    if (test.generated_tokens == 0) continue;
    std::printf("; %s reaches %.1f%% of it", test.name.c_str(), 100.0 * report.decode_limit->share);
  }
  std::printf("\n");
}

nlohmann::ordered_json ReportJson(const llm::BenchReport& report, int repetitions) {
  nlohmann::ordered_json tests = nlohmann::ordered_json::array();
  for (const llm::BenchTest& test : report.tests) {
    tests.push_back({{"name", test.name},
                     {"prompt_tokens", test.prompt_tokens},
                     {"generated_tokens", test.generated_tokens},
                     {"samples_tokens_per_second", test.tokens_per_second},
                     {"mean_tokens_per_second", test.mean_tokens_per_second},
                     {"sd_tokens_per_second", test.sd_tokens_per_second}});
  }
  nlohmann::ordered_json out = {
      {"model", report.model},
      {"file", report.path},
      {"size_bytes", report.weight_bytes},
      {"parameters", report.parameter_count},
      {"backend", "CPU"},
      {"kernel_path", report.kernel_path},
      {"threads", report.threads},
      {"repetitions", repetitions},
      {"tests", std::move(tests)},
      {"weight_bytes_per_token", report.weight_bytes_per_token},
      {"bandwidth_bytes_per_second", nullptr},
      {"bandwidth_buffer_bytes", nullptr},
      {"decode_limit_tokens_per_second", nullptr},
      {"decode_share_of_limit", nullptr},
  };
  if (report.bandwidth) {
    out["bandwidth_bytes_per_second"] = report.bandwidth->bytes_per_second;
    out["bandwidth_buffer_bytes"] = report.bandwidth->buffer_bytes;
  }
  if (report.decode_limit) {
    out["decode_limit_tokens_per_second"] = report.decode_limit->tokens_per_second;
    out["decode_share_of_limit"] = report.decode_limit->share;
  }
  return out;
}

void Bench(CommandContext& context, const BenchFlags& flags) {
  if (Status valid = CheckFlags(flags); !valid.ok()) {
    context.Fail(valid);
    return;
  }
  StopOnInterrupt stop_on_interrupt;
  Result<std::unique_ptr<llm::LocalModel>> model = llm::LocalModel::Load(flags.model, {.threads = flags.threads});
  if (!model.ok()) {
    context.Fail(model.status());
    return;
  }
  llm::BenchOptions options;
  options.prompt_tokens = static_cast<uint32_t>(flags.prompt_tokens);
  options.generated_tokens = static_cast<uint32_t>(flags.gen_tokens);
  options.repetitions = flags.repetitions;
  options.bandwidth_buffer_bytes = static_cast<uint64_t>(flags.bandwidth_mib) * 1024 * 1024;
  options.cancel = InterruptFlag();
  options.on_progress = PrintProgress;
  const Result<llm::BenchReport> report = llm::RunModelBench(**model, options);
  if (!report.ok()) {
    const Status& status = report.status();
    const std::string flag = FlagFor(status.field());
    context.Fail(flag.empty() ? status : Status(status.code(), flag + ": " + status.message(), flag));
    return;
  }
  if (report->cancelled) {
    std::cerr << "troupe: interrupted\n";
    context.exit_code = kInterruptedExitCode;
    return;
  }
  if (flags.json) {
    std::cout << ReportJson(*report, flags.repetitions).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << '\n';
  } else {
    PrintText(*report);
  }
}

}  // namespace

void AddBenchCommand(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<BenchFlags>();
  CLI::App* bench = app.add_subcommand(
      "bench", "Measure a GGUF model's prompt and generation speed (llama-bench's table) and its share of "
               "the memory-bandwidth limit");
  bench->add_option("-m,--model", flags->model, "GGUF model file")->required()->check(CLI::ExistingFile);
  bench->add_option("-t,--threads", flags->threads, "compute threads (0: one per core)")->capture_default_str();
  bench->add_option("-p,--prompt-tokens", flags->prompt_tokens, "tokens of the prompt test, ppN (0: skip it)")
      ->capture_default_str();
  bench->add_option("-n,--gen-tokens", flags->gen_tokens, "tokens of the generation test, tgN (0: skip it)")
      ->capture_default_str();
  bench->add_option("-r,--repetitions", flags->repetitions, "timed runs of each test, after one warm-up")
      ->capture_default_str();
  bench->add_option("--bandwidth-mib", flags->bandwidth_mib,
                    "buffer of the memory read-bandwidth probe in MiB (0: 4x the last-level cache, at least 512)")
      ->capture_default_str();
  bench->add_flag("--json", flags->json, "print one JSON object instead of the table");
  bench->callback([&context, flags] { Bench(context, *flags); });
}

}  // namespace troupe::cli
