// Commands that work on model files directly: `troupe tokenize`, `troupe models info` and
// `troupe models synth`. They use the engine in-process and need no database or server.
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/engine_status.h"
#include "engine/engine.h"
#include "engine/synth.h"

namespace troupe::cli {
namespace {

// Runs `body`, reporting an engine error or a missing file the way every command reports errors.
template <typename Body>
void RunEngineCommand(CommandContext& context, const std::string& model_path, Body&& body) {
  std::error_code ignored;
  if (!model_path.empty() && !std::filesystem::exists(model_path, ignored)) {
    context.Fail(NotFound("no such file: " + model_path));
    return;
  }
  try {
    body();
  } catch (const engine::EngineError& error) {
    context.Fail(StatusFromEngineError(error));
  }
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
  RunEngineCommand(context, options.model, [&] {
    std::string text = options.text;
    if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
    const auto model = engine::Model::Load(options.model, {.vocab_only = true});
    const std::vector<int32_t> tokens = model->Tokenize(text, !options.no_bos, options.special);
    if (options.pieces) {
      for (const int32_t token : tokens) {
        std::cout << token << '\t' << nlohmann::json(model->tokenizer().TokenText(token)).dump(
                                           -1, ' ', false, nlohmann::json::error_handler_t::replace)
                  << '\n';
      }
      return;
    }
    std::string line;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) line += ' ';
      line += std::to_string(tokens[i]);
    }
    std::cout << line << '\n';
  });
}

// ---- troupe models info ----

struct InfoOptions {
  std::string model;
  bool json = false;
  bool metadata = false;
  bool tensors = false;
};

nlohmann::json MetadataValueJson(const engine::GgufValue& value, bool full_arrays) {
  using engine::GgufType;
  switch (value.type()) {
    case GgufType::kString:
      return *value.AsString();
    case GgufType::kBool:
      return *value.AsBool();
    case GgufType::kFloat32:
    case GgufType::kFloat64:
      return *value.AsDouble();
    case GgufType::kArray: {
      const engine::GgufArray& array = *value.AsArray();
      // Vocabularies hold 100k+ entries: show their size, not their content.
      if (!full_arrays && array.items.size() > 16) {
        return {{"type", "array"},
                {"element_type", std::string(engine::NameOf(array.element_type))},
                {"length", array.items.size()}};
      }
      nlohmann::json items = nlohmann::json::array();
      for (const engine::GgufValue& item : array.items) items.push_back(MetadataValueJson(item, full_arrays));
      return items;
    }
    default:
      if (auto as_int = value.AsInt()) return *as_int;
      return *value.AsUint();
  }
}

nlohmann::json SummaryJson(const engine::Model& model, const InfoOptions& options) {
  const engine::ModelSummary& summary = model.summary();
  nlohmann::json out = {
      {"path", summary.path},
      {"file_size", summary.file_size},
      {"gguf_version", summary.gguf_version},
      {"architecture", summary.architecture},
      {"name", summary.name},
      {"file_type", summary.file_type},
      {"tensor_count", summary.tensor_count},
      {"parameter_count", summary.parameter_count},
      {"tensor_bytes", summary.tensor_bytes},
      {"tensors_by_type", summary.tensors_by_type},
      {"vocab_only", !summary.spec.has_value()},
  };
  if (summary.spec) {
    const engine::ModelSpec& spec = *summary.spec;
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
        {"rope_scaling", spec.rope_scaling.type},
        {"rms_norm_epsilon", spec.rms_norm_epsilon},
        {"tied_embeddings", spec.tied_embeddings},
        {"attention_biases", spec.attention_biases},
    };
  }
  const engine::Tokenizer& tokenizer = model.tokenizer();
  auto token_json = [&](std::optional<int32_t> id) -> nlohmann::json {
    if (!id) return nullptr;
    return {{"id", *id}, {"text", std::string(tokenizer.TokenText(*id))}};
  };
  out["tokenizer"] = {
      {"model", summary.tokenizer_model},
      {"pre", summary.tokenizer_pre},
      {"vocab_size", summary.vocab_size},
      {"bos", token_json(summary.bos)},
      {"eos", token_json(summary.eos)},
      {"eot", token_json(tokenizer.eot())},
      {"adds_bos", summary.adds_bos},
  };
  out["chat_template"] = summary.has_chat_template ? "own" : "chatml (fallback)";
  if (options.metadata) {
    nlohmann::json metadata = nlohmann::json::object();
    for (const engine::GgufKeyValue& entry : model.file().metadata()) {
      metadata[entry.key] = MetadataValueJson(entry.value, /*full_arrays=*/false);
    }
    out["metadata"] = std::move(metadata);
  }
  if (options.tensors) {
    nlohmann::json tensors = nlohmann::json::array();
    for (const engine::GgufTensorInfo& tensor : model.file().tensors()) {
      tensors.push_back({{"name", tensor.name},
                         {"type", std::string(engine::NameOf(tensor.type))},
                         {"shape", tensor.shape},
                         {"offset", model.file().data_offset() + tensor.offset},
                         {"bytes", tensor.byte_size}});
    }
    out["tensors"] = std::move(tensors);
  }
  return out;
}

void PrintSummary(const engine::Model& model, const InfoOptions& options) {
  const engine::ModelSummary& summary = model.summary();
  auto row = [](const char* label, const std::string& value) {
    std::printf("%-14s %s\n", label, value.c_str());
  };
  row("file", summary.path + " (" + HumanBytes(summary.file_size) + ", GGUF v" +
                  std::to_string(summary.gguf_version) + ")");
  row("architecture", summary.architecture.empty() ? "(none)" : summary.architecture);
  if (!summary.name.empty()) row("name", summary.name);
  if (summary.spec) {
    const engine::ModelSpec& spec = *summary.spec;
    std::string counts;
    for (const auto& [type, count] : summary.tensors_by_type) {
      counts += (counts.empty() ? "" : ", ") + type + " " + std::to_string(count);
    }
    // general.file_type names the recipe (Q4_K_M) when the file says; the counts are the truth.
    const std::string weights = summary.file_type.empty() ? counts : summary.file_type + " (" + counts + ")";
    row("parameters", HumanCount(summary.parameter_count) + " in " +
                          std::to_string(summary.tensor_count) + " tensors, " +
                          HumanBytes(summary.tensor_bytes));
    row("weights", weights);
    row("context", std::to_string(spec.context_length) + " tokens");
    row("layers", std::to_string(spec.block_count) + " (embedding " +
                      std::to_string(spec.embedding_length) + ", feed-forward " +
                      std::to_string(spec.feed_forward_length) + ")");
    row("attention", std::to_string(spec.head_count) + " heads, " +
                         std::to_string(spec.head_count_kv) + " KV heads, head size " +
                         std::to_string(spec.key_length) +
                         (spec.attention_biases ? ", q/k/v biases" : ""));
    char rope[96];
    std::snprintf(rope, sizeof rope, "base %.10g, %" PRIu64 " dims, scaling %s", spec.rope_freq_base,
                  spec.rope_dimension_count, spec.rope_scaling.type.c_str());
    row("rope", rope);
    row("output", spec.tied_embeddings ? "tied to the token embedding" : "separate matrix");
  } else {
    row("tensors", "none (vocabulary-only file)");
  }
  const engine::Tokenizer& tokenizer = model.tokenizer();
  auto token_text = [&](std::optional<int32_t> id) {
    if (!id) return std::string("none");
    return std::to_string(*id) + " " + nlohmann::json(std::string(tokenizer.TokenText(*id))).dump(
                                           -1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  std::string vocab = summary.tokenizer_model;
  if (!summary.tokenizer_pre.empty()) vocab += " (pre " + summary.tokenizer_pre + ")";
  vocab += ", " + std::to_string(summary.vocab_size) + " tokens";
  row("tokenizer", vocab);
  row("special", "BOS " + token_text(summary.bos) + (summary.adds_bos ? " (added)" : "") + ", EOS " +
                     token_text(summary.eos));
  row("chat template", summary.has_chat_template ? "own" : "none (ChatML is used)");
  if (options.metadata) {
    std::printf("\nmetadata (%zu keys)\n", model.file().metadata().size());
    for (const engine::GgufKeyValue& entry : model.file().metadata()) {
      std::printf("  %-44s %s\n", entry.key.c_str(), entry.value.Describe().c_str());
    }
  }
  if (options.tensors) {
    std::printf("\ntensors (%zu)\n", model.file().tensors().size());
    for (const engine::GgufTensorInfo& tensor : model.file().tensors()) {
      std::string shape;
      for (size_t i = 0; i < tensor.shape.size(); ++i) {
        shape += (i ? " x " : "") + std::to_string(tensor.shape[i]);
      }
      std::printf("  %-32s %-6s %-18s %s\n", tensor.name.c_str(),
                  std::string(engine::NameOf(tensor.type)).c_str(), shape.c_str(),
                  HumanBytes(tensor.byte_size).c_str());
    }
  }
}

void Info(CommandContext& context, const InfoOptions& options) {
  RunEngineCommand(context, options.model, [&] {
    // A file with tensors is checked as a model; a vocabulary-only file still reports its
    // tokenizer. One thread: nothing runs the network here.
    const auto model = engine::Model::Load(options.model, {.vocab_only_without_tensors = true, .threads = 1});
    if (options.json) {
      std::cout << SummaryJson(*model, options).dump(2, ' ', false,
                                                     nlohmann::json::error_handler_t::replace)
                << '\n';
    } else {
      PrintSummary(*model, options);
    }
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

void Synth(CommandContext& context, const SynthCommandOptions& options) {
  std::optional<engine::SynthShape> shape = engine::ShapePreset(options.shape);
  if (!shape) {
    context.Fail(InvalidArgument("unknown shape '" + options.shape +
                                     "' (tiny, smollm2-135m, qwen2.5-0.5b, llama-1b)",
                                 "--shape"));
    return;
  }
  if (!options.arch.empty()) {
    if (options.arch == "llama") {
      shape->architecture = engine::Architecture::kLlama;
    } else if (options.arch == "qwen2") {
      shape->architecture = engine::Architecture::kQwen2;
    } else {
      context.Fail(InvalidArgument("unknown architecture '" + options.arch + "' (llama, qwen2)", "--arch"));
      return;
    }
  }
  if (options.embedding) shape->embedding_length = *options.embedding;
  if (options.layers) shape->block_count = *options.layers;
  if (options.heads) shape->head_count = *options.heads;
  if (options.kv_heads) shape->head_count_kv = *options.kv_heads;
  if (options.feed_forward) shape->feed_forward_length = *options.feed_forward;
  if (options.vocab_size) shape->vocab_size = *options.vocab_size;
  if (options.context) shape->context_length = *options.context;
  if (options.tied) shape->tied_embeddings = *options.tied;

  engine::SynthOptions synth;
  synth.output = options.output;
  synth.shape = *shape;
  synth.weight_type = options.type;
  synth.seed = options.seed;
  synth.vocab_file = options.vocab;
  synth.name = options.name;
  RunEngineCommand(context, options.vocab, [&] {
    std::cerr << "writing " << options.output << " ...\n";
    engine::WriteSyntheticModel(synth);
    const engine::GgufFile written = engine::GgufFile::Open(options.output);
    uint64_t parameters = 0;
    for (const engine::GgufTensorInfo& tensor : written.tensors()) parameters += tensor.element_count;
    std::cerr << "wrote " << options.output << ": " << HumanCount(parameters) << " parameters, "
              << HumanBytes(written.file_size()) << "\n";
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
