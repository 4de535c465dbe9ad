// Commands that work on model files directly: `troupe tokenize`, `troupe models info` and
// `troupe models synth`. They load models in-process (llm/local_model.h) and need no database or
// server.
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <type_traits>
#include <variant>

#include "cli/commands.h"
#include "llm/local_model.h"
#include "llm/model_synth.h"

namespace troupe::cli {
namespace {

// Runs `body` when `path` is empty or exists, reporting its failure or a missing file the way
// every command reports errors.
template <typename Body>
void RunModelCommand(CommandContext& context, const std::string& path, Body&& body) {
  std::error_code ignored;
  if (!path.empty() && !std::filesystem::exists(path, ignored)) {
    context.Fail(NotFound("no such file: " + path));
    return;
  }
  if (const Status status = body(); !status.ok()) context.Fail(status);
}

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

std::string HumanCount(uint64_t count) {
  char text[32];
  if (count >= 1'000'000'000) {
    std::snprintf(text, sizeof text, "%.2f B", count / 1e9);
  } else if (count >= 1'000'000) {
    std::snprintf(text, sizeof text, "%.1f M", count / 1e6);
  } else if (count >= 1'000) {
    std::snprintf(text, sizeof text, "%.1f K", count / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%" PRIu64, count);
  }
  return text;
}

// ---- troupe tokenize ----

struct TokenizeOptions {
  std::string model;
  bool no_bos = false;
  bool special = false;
  bool pieces = false;
  std::string text;
};

void Tokenize(CommandContext& context, const TokenizeOptions& options) {
  RunModelCommand(context, options.model, [&]() -> Status {
    std::string text = options.text;
    if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
    TROUPE_ASSIGN_OR_RETURN(const std::unique_ptr<llm::LocalModel> model,
                            llm::LocalModel::Load(options.model, {.vocab_only = true}));
    TROUPE_ASSIGN_OR_RETURN(const std::vector<int32_t> tokens, model->Tokenize(text, !options.no_bos, options.special));
    if (options.pieces) {
      for (const int32_t token : tokens) {
        std::cout << token << '\t'
                  << nlohmann::json(model->TokenText(token)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  << '\n';
      }
      return Status::Ok();
    }
    std::string line;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) line += ' ';
      line += std::to_string(tokens[i]);
    }
    std::cout << line << '\n';
    return Status::Ok();
  });
}

// ---- troupe models info ----

struct InfoOptions {
  std::string model;
  bool json = false;
  bool metadata = false;
  bool tensors = false;
};

nlohmann::json MetadataValueJson(const llm::MetadataValue& value) {
  return std::visit(
      [](const auto& item) -> nlohmann::json {
        using Item = std::decay_t<decltype(item)>;
        if constexpr (std::is_same_v<Item, llm::MetadataValue::LongArray>) {
          return {{"type", "array"}, {"element_type", item.element_type}, {"length", item.length}};
        } else if constexpr (std::is_same_v<Item, std::vector<llm::MetadataValue>>) {
          nlohmann::json items = nlohmann::json::array();
          for (const llm::MetadataValue& element : item) items.push_back(MetadataValueJson(element));
          return items;
        } else {
          return item;
        }
      },
      value.value);
}

nlohmann::json SummaryJson(const llm::LocalModel& model, const InfoOptions& options) {
  const llm::ModelInfo& info = model.info();
  nlohmann::json out = {
      {"path", info.path},
      {"file_size", info.file_size},
      {"gguf_version", info.gguf_version},
      {"architecture", info.architecture},
      {"name", info.name},
      {"file_type", info.file_type},
      {"tensor_count", info.tensor_count},
      {"parameter_count", info.parameter_count},
      {"tensor_bytes", info.tensor_bytes},
      {"tensors_by_type", info.tensors_by_type},
      {"vocab_only", !info.hyperparameters.has_value()},
  };
  if (info.hyperparameters) {
    const llm::ModelHyperparameters& spec = *info.hyperparameters;
    out["hyperparameters"] = {
        {"context_length", spec.context_length},
        {"embedding_length", spec.embedding_length},
        {"block_count", spec.block_count},
        {"feed_forward_length", spec.feed_forward_length},
        {"head_count", spec.head_count},
        {"head_count_kv", spec.head_count_kv},
        {"key_length", spec.key_length},
        {"value_length", spec.value_length},
        {"rope_freq_base", spec.rope_freq_base},
        {"rope_dimension_count", spec.rope_dimension_count},
        {"rope_scaling", spec.rope_scaling},
        {"rms_norm_epsilon", spec.rms_norm_epsilon},
        {"tied_embeddings", spec.tied_embeddings},
        {"attention_biases", spec.attention_biases},
    };
  }
  auto token_json = [](const std::optional<llm::ModelToken>& token) -> nlohmann::json {
    if (!token) return nullptr;
    return {{"id", token->id}, {"text", token->text}};
  };
  out["tokenizer"] = {
      {"model", info.tokenizer_model},
      {"pre", info.tokenizer_pre},
      {"vocab_size", info.vocab_size},
      {"bos", token_json(info.bos)},
      {"eos", token_json(info.eos)},
      {"eot", token_json(info.eot)},
      {"adds_bos", info.adds_bos},
  };
  out["chat_template"] = info.has_chat_template ? "own" : "chatml (fallback)";
  if (options.metadata) {
    nlohmann::json metadata = nlohmann::json::object();
    for (const llm::MetadataEntry& entry : model.Metadata()) metadata[entry.key] = MetadataValueJson(entry.value);
    out["metadata"] = std::move(metadata);
  }
  if (options.tensors) {
    nlohmann::json tensors = nlohmann::json::array();
    for (const llm::TensorEntry& tensor : model.Tensors()) {
      tensors.push_back({{"name", tensor.name},
                         {"type", tensor.type},
                         {"shape", tensor.shape},
                         {"offset", tensor.file_offset},
                         {"bytes", tensor.bytes}});
    }
    out["tensors"] = std::move(tensors);
  }
  return out;
}

void PrintHyperparameters(const llm::ModelInfo& info) {
  const llm::ModelHyperparameters& spec = *info.hyperparameters;
  auto row = [](const char* label, const std::string& value) { std::printf("%-14s %s\n", label, value.c_str()); };
  std::string counts;
  for (const auto& [type, count] : info.tensors_by_type) {
    counts += (counts.empty() ? "" : ", ") + type + " " + std::to_string(count);
  }
  // general.file_type names the recipe (Q4_K_M) when the file says; the counts are the truth.
  const std::string weights = info.file_type.empty() ? counts : info.file_type + " (" + counts + ")";
  row("parameters", HumanCount(info.parameter_count) + " in " + std::to_string(info.tensor_count) + " tensors, " +
                        HumanBytes(info.tensor_bytes));
  row("weights", weights);
  row("context", std::to_string(spec.context_length) + " tokens");
  row("layers", std::to_string(spec.block_count) + " (embedding " + std::to_string(spec.embedding_length) +
                    ", feed-forward " + std::to_string(spec.feed_forward_length) + ")");
  row("attention", std::to_string(spec.head_count) + " heads, " + std::to_string(spec.head_count_kv) +
                       " KV heads, head size " + std::to_string(spec.key_length) +
                       (spec.attention_biases ? ", q/k/v biases" : ""));
  char rope[96];
  std::snprintf(rope, sizeof rope, "base %.10g, %" PRIu64 " dims, scaling %s", spec.rope_freq_base,
                spec.rope_dimension_count, spec.rope_scaling.c_str());
  row("rope", rope);
  row("output", spec.tied_embeddings ? "tied to the token embedding" : "separate matrix");
}

void PrintSummary(const llm::LocalModel& model, const InfoOptions& options) {
  const llm::ModelInfo& info = model.info();
  auto row = [](const char* label, const std::string& value) { std::printf("%-14s %s\n", label, value.c_str()); };
  row("file", info.path + " (" + HumanBytes(info.file_size) + ", GGUF v" + std::to_string(info.gguf_version) + ")");
  row("architecture", info.architecture.empty() ? "(none)" : info.architecture);
  if (!info.name.empty()) row("name", info.name);
  if (info.hyperparameters) {
    PrintHyperparameters(info);
  } else {
    row("tensors", "none (vocabulary-only file)");
  }
  auto token_text = [](const std::optional<llm::ModelToken>& token) {
    if (!token) return std::string("none");
    return std::to_string(token->id) + " " +
           nlohmann::json(token->text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  std::string vocab = info.tokenizer_model;
  if (!info.tokenizer_pre.empty()) vocab += " (pre " + info.tokenizer_pre + ")";
  vocab += ", " + std::to_string(info.vocab_size) + " tokens";
  row("tokenizer", vocab);
  row("special", "BOS " + token_text(info.bos) + (info.adds_bos ? " (added)" : "") + ", EOS " + token_text(info.eos));
  row("chat template", info.has_chat_template ? "own" : "none (ChatML is used)");
  if (options.metadata) {
    const std::vector<llm::MetadataEntry> metadata = model.Metadata();
    std::printf("\nmetadata (%zu keys)\n", metadata.size());
    for (const llm::MetadataEntry& entry : metadata) {
      std::printf("  %-44s %s\n", entry.key.c_str(), entry.description.c_str());
    }
  }
  if (options.tensors) {
    const std::vector<llm::TensorEntry> tensors = model.Tensors();
    std::printf("\ntensors (%zu)\n", tensors.size());
    for (const llm::TensorEntry& tensor : tensors) {
      std::string shape;
      for (size_t i = 0; i < tensor.shape.size(); ++i) shape += (i ? " x " : "") + std::to_string(tensor.shape[i]);
      std::printf("  %-32s %-6s %-18s %s\n", tensor.name.c_str(), tensor.type.c_str(), shape.c_str(),
                  HumanBytes(tensor.bytes).c_str());
    }
  }
}

void Info(CommandContext& context, const InfoOptions& options) {
  RunModelCommand(context, options.model, [&]() -> Status {
    // A file with tensors is checked as a model; a vocabulary-only file still reports its
    // tokenizer. One thread: nothing runs the network here.
    TROUPE_ASSIGN_OR_RETURN(const std::unique_ptr<llm::LocalModel> model,
                            llm::LocalModel::Load(options.model, {.vocab_only_without_tensors = true, .threads = 1}));
    if (options.json) {
      std::cout << SummaryJson(*model, options).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else {
      PrintSummary(*model, options);
    }
    return Status::Ok();
  });
}

// ---- troupe models synth ----

struct SynthCommandOptions {
  std::string output;
  std::string arch;
  std::string shape = "tiny";
  std::string type = "f16";
  uint64_t seed = 1;
  std::string vocab;
  std::string name;
  std::optional<uint64_t> embedding, layers, heads, kv_heads, feed_forward, vocab_size, context;
  std::optional<bool> tied;
};

llm::SyntheticModelOptions SynthOptionsFrom(const SynthCommandOptions& flags) {
  llm::SyntheticModelOptions options;
  options.output = flags.output;
  options.shape = flags.shape;
  options.architecture = flags.arch;
  options.embedding_length = flags.embedding;
  options.block_count = flags.layers;
  options.head_count = flags.heads;
  options.head_count_kv = flags.kv_heads;
  options.feed_forward_length = flags.feed_forward;
  options.vocab_size = flags.vocab_size;
  options.context_length = flags.context;
  options.tied_embeddings = flags.tied;
  options.weight_type = flags.type;
  options.seed = flags.seed;
  options.vocab_file = flags.vocab;
  options.name = flags.name;
  return options;
}

void Synth(CommandContext& context, const SynthCommandOptions& flags) {
  const llm::SyntheticModelOptions options = SynthOptionsFrom(flags);
  if (Status valid = llm::CheckSyntheticModelOptions(options); !valid.ok()) {
    context.Fail(valid);
    return;
  }
  RunModelCommand(context, flags.vocab, [&]() -> Status {
    std::cerr << "writing " << flags.output << " ...\n";
    TROUPE_ASSIGN_OR_RETURN(const llm::SyntheticModelFile written, llm::WriteSyntheticModel(options));
    std::cerr << "wrote " << flags.output << ": " << HumanCount(written.parameter_count) << " parameters, "
              << HumanBytes(written.file_size) << "\n";
    return Status::Ok();
  });
}

}  // namespace

void AddModelCommands(CLI::App& app, CommandContext& context) {
  auto tokenize_options = std::make_shared<TokenizeOptions>();
  CLI::App* tokenize = app.add_subcommand(
      "tokenize", "Print the token ids a model's tokenizer gives TEXT, separated by spaces");
  tokenize->add_option("-m,--model", tokenize_options->model, "GGUF model or vocabulary file")
      ->required();
  tokenize->add_flag("--no-bos", tokenize_options->no_bos, "do not add BOS/EOS as the vocabulary asks");
  tokenize->add_flag("--special", tokenize_options->special,
                     "turn control-token text such as <|im_start|> into those tokens");
  tokenize->add_flag("--pieces", tokenize_options->pieces, "print one 'id<TAB>token text' line per token");
  tokenize->add_option("text", tokenize_options->text, "the text; '-' reads standard input")->required();
  tokenize->callback([&context, tokenize_options] { Tokenize(context, *tokenize_options); });

  CLI::App* models = app.add_subcommand("models", "Inspect and make GGUF model files");
  models->require_subcommand(1);
  AddPullCommands(*models, context);  // `models pull` and `models list` (pull_command.cpp)

  auto info_options = std::make_shared<InfoOptions>();
  CLI::App* info = models->add_subcommand(
      "info", "Show a GGUF file's architecture, size, weight types, tokenizer and template");
  info->add_option("file", info_options->model, "GGUF model or vocabulary file")->required();
  info->add_flag("--json", info_options->json, "print one JSON object");
  info->add_flag("--metadata", info_options->metadata, "also list every metadata key");
  info->add_flag("--tensors", info_options->tensors, "also list every tensor");
  info->callback([&context, info_options] { Info(context, *info_options); });

  auto synth_options = std::make_shared<SynthCommandOptions>();
  CLI::App* synth = models->add_subcommand(
      "synth", "Write a random-weight model of any shape (for tests and benchmarks: gibberish text)");
  synth->add_option("-o,--output", synth_options->output, "GGUF file to write")->required();
  synth->add_option("--arch", synth_options->arch, "llama or qwen2 (default: the shape's)");
  synth->add_option("--shape", synth_options->shape,
                    "tiny, smollm2-135m, qwen2.5-0.5b or llama-1b; the flags below override it")
      ->capture_default_str();
  synth->add_option("--type", synth_options->type,
                    "f32 f16 bf16 q8_0 q4_0 q5_0 q4_k q5_k q6_k, or the mixes q4_k_m q5_k_m")
      ->capture_default_str();
  synth->add_option("--seed", synth_options->seed, "random seed: the same seed writes the same bytes")
      ->capture_default_str();
  synth->add_option("--vocab", synth_options->vocab,
                    "GGUF whose tokenizer to copy (default: a small built-in byte-level vocabulary)");
  synth->add_option("--name", synth_options->name, "general.name");
  synth->add_option("--embedding", synth_options->embedding, "embedding length");
  synth->add_option("--layers", synth_options->layers, "number of blocks");
  synth->add_option("--heads", synth_options->heads, "attention heads");
  synth->add_option("--kv-heads", synth_options->kv_heads, "key/value heads");
  synth->add_option("--feed-forward", synth_options->feed_forward, "feed-forward length");
  synth->add_option("--vocab-size", synth_options->vocab_size, "vocabulary size (built-in vocabulary only)");
  synth->add_option("--context", synth_options->context, "context length in the metadata");
  synth->add_option("--tied", synth_options->tied, "true: no output matrix, the embedding is reused");
  synth->callback([&context, synth_options] { Synth(context, *synth_options); });
}

}  // namespace troupe::cli
