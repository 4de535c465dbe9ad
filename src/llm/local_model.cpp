#include "llm/local_model.h"

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "llm/engine_status_internal.h"
#include "llm/local_model_internal.h"
#include "llm/model_catalog.h"

namespace troupe::llm {
namespace {

// Vocabularies hold 100k+ entries: inspection shows their size, not their content.
constexpr size_t kLongestArrayShown = 16;

MetadataValue ValueForDisplay(const engine::GgufValue& value) {
  using engine::GgufType;
  switch (value.type()) {
    case GgufType::kString:
      return {*value.AsString()};
    case GgufType::kBool:
      return {*value.AsBool()};
    case GgufType::kFloat32:
    case GgufType::kFloat64:
      return {*value.AsDouble()};
    case GgufType::kArray: {
      const engine::GgufArray& array = *value.AsArray();
      if (array.items.size() > kLongestArrayShown) {
        return {MetadataValue::LongArray{std::string(engine::NameOf(array.element_type)), array.items.size()}};
      }
      std::vector<MetadataValue> items;
      items.reserve(array.items.size());
      for (const engine::GgufValue& item : array.items) items.push_back(ValueForDisplay(item));
      return {std::move(items)};
    }
    default:
      if (std::optional<int64_t> as_int = value.AsInt()) return {*as_int};
      return {*value.AsUint()};
  }
}

std::optional<ModelToken> TokenFor(const engine::Tokenizer& tokenizer, std::optional<int32_t> id) {
  if (!id) return std::nullopt;
  return ModelToken{*id, std::string(tokenizer.TokenText(*id))};
}

ModelHyperparameters HyperparametersOf(const engine::ModelSpec& spec) {
  ModelHyperparameters out;
  out.context_length = spec.context_length;
  out.embedding_length = spec.embedding_length;
  out.block_count = spec.block_count;
  out.feed_forward_length = spec.feed_forward_length;
  out.head_count = spec.head_count;
  out.head_count_kv = spec.head_count_kv;
  out.key_length = spec.key_length;
  out.value_length = spec.value_length;
  out.rope_freq_base = spec.rope_freq_base;
  out.rope_dimension_count = spec.rope_dimension_count;
  out.rope_scaling = spec.rope_scaling.type;
  out.rms_norm_epsilon = spec.rms_norm_epsilon;
  out.tied_embeddings = spec.tied_embeddings;
  out.attention_biases = spec.attention_biases;
  return out;
}

ModelInfo InfoOf(const engine::Model& model) {
  const engine::ModelSummary& summary = model.summary();
  ModelInfo info;
  info.path = summary.path;
  info.file_size = summary.file_size;
  info.gguf_version = summary.gguf_version;
  info.architecture = summary.architecture;
  info.name = summary.name;
  info.file_type = summary.file_type;
  info.tensor_count = summary.tensor_count;
  info.parameter_count = summary.parameter_count;
  info.tensor_bytes = summary.tensor_bytes;
  info.tensors_by_type = summary.tensors_by_type;
  if (summary.spec) info.hyperparameters = HyperparametersOf(*summary.spec);
  info.tokenizer_model = summary.tokenizer_model;
  info.tokenizer_pre = summary.tokenizer_pre;
  info.vocab_size = summary.vocab_size;
  const engine::Tokenizer& tokenizer = model.tokenizer();
  info.bos = TokenFor(tokenizer, summary.bos);
  info.eos = TokenFor(tokenizer, summary.eos);
  info.eot = TokenFor(tokenizer, tokenizer.eot());
  info.adds_bos = summary.adds_bos;
  info.has_chat_template = summary.has_chat_template;
  return info;
}

}  // namespace

LocalModel::LocalModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)), info_(InfoOf(*impl_->model)) {}

LocalModel::~LocalModel() = default;

Result<std::unique_ptr<LocalModel>> LocalModel::Load(const std::filesystem::path& path, LoadModelOptions options) {
  try {
    std::shared_ptr<engine::Model> model = engine::Model::Load(
        path, {.vocab_only = options.vocab_only,
               .vocab_only_without_tensors = options.vocab_only_without_tensors,
               .threads = options.threads});
    return std::unique_ptr<LocalModel>(new LocalModel(std::make_unique<Impl>(Impl{std::move(model)})));
  } catch (const engine::EngineError& error) {
    return StatusFromEngineError(error);
  }
}

std::vector<MetadataEntry> LocalModel::Metadata() const {
  std::vector<MetadataEntry> out;
  for (const engine::GgufKeyValue& entry : impl_->model->file().metadata()) {
    out.push_back({entry.key, entry.value.Describe(), ValueForDisplay(entry.value)});
  }
  return out;
}

std::vector<TensorEntry> LocalModel::Tensors() const {
  std::vector<TensorEntry> out;
  const engine::GgufFile& file = impl_->model->file();
  for (const engine::GgufTensorInfo& tensor : file.tensors()) {
    out.push_back({tensor.name, std::string(engine::NameOf(tensor.type)), tensor.shape,
                   file.data_offset() + tensor.offset, tensor.byte_size});
  }
  return out;
}

Result<std::vector<int32_t>> LocalModel::Tokenize(std::string_view text, bool add_special, bool parse_special) const {
  try {
    return impl_->model->Tokenize(text, add_special, parse_special);
  } catch (const engine::EngineError& error) {
    return StatusFromEngineError(error);
  }
}

std::string LocalModel::TokenText(int32_t token) const {
  if (token < 0 || token >= impl_->model->tokenizer().vocab_size()) return {};
  return std::string(impl_->model->tokenizer().TokenText(token));
}

Result<std::vector<int32_t>> LocalModel::TokenizeChat(const std::vector<ChatMessage>& messages,
                                                      bool add_generation_prompt) const {
  engine::ChatTemplateInputs inputs;
  for (const ChatMessage& message : messages) {
    if (!message.tool_calls.empty() || !message.tool_call_id.empty()) {
      return InvalidArgument("LocalModel::TokenizeChat renders text turns only; tool calls go through the local provider",
                             "messages");
    }
    nlohmann::ordered_json item = {{"role", message.role}, {"content", message.content}};
    if (!message.name.empty()) item["name"] = message.name;
    inputs.messages.push_back(std::move(item));
  }
  inputs.add_generation_prompt = add_generation_prompt;
  try {
    return impl_->model->TokenizeChat(impl_->model->RenderChat(std::move(inputs)));
  } catch (const engine::EngineError& error) {
    return StatusFromEngineError(error);
  }
}

Result<TextScore> LocalModel::Score(std::span<const int32_t> tokens) {
  try {
    const engine::TokenScores scores = impl_->model->Score(tokens);
    return TextScore{scores.total_log_prob, scores.predicted_tokens()};
  } catch (const engine::EngineError& error) {
    return StatusFromEngineError(error);
  }
}

Status CheckGgufFile(const std::filesystem::path& path) {
  try {
    (void)engine::GgufFile::Open(path);
    return Status::Ok();
  } catch (const engine::EngineError& error) {
    return StatusFromEngineError(error);
  }
}

std::string HowToGetAModel(const config::Config& config) {
  const CatalogEntry& entry = DefaultCatalogEntry();
  const std::filesystem::path models = ModelsDirectory(config.data_dir);
  return "no local model: run 'troupe models pull' to download " + std::string(entry.name) + " (about " +
         std::to_string(entry.approximate_bytes / 1'000'000) + " MB) into " + models.string() +
         ", or put any GGUF file there and start with --model FILE (or TROUPE_MODEL, or model.path "
         "in the config file); without network, copy a GGUF file onto this machine the same way";
}

Result<ConfiguredModel> LoadConfiguredModel(const config::Config& config) {
  ConfiguredModel local;
  std::filesystem::path path = config.model.path;
  if (path.empty()) {
    const std::filesystem::path fallback = InstalledPath(DefaultCatalogEntry(), config.data_dir);
    std::error_code ignored;
    if (!std::filesystem::exists(fallback, ignored)) {
      local.missing_hint = HowToGetAModel(config);
      return local;
    }
    path = fallback;
  }
  std::error_code ignored;
  if (!std::filesystem::exists(path, ignored)) {
    return Status(StatusCode::kNotFound, "model file " + path.string() + " does not exist", "model.path");
  }
  Result<std::unique_ptr<LocalModel>> loaded = LocalModel::Load(path, {.threads = config.model.threads});
  if (!loaded.ok()) return loaded.status().WithContext("model.path");
  local.model = std::move(*loaded);
  if (!config.model.draft_path.empty()) {
    Result<std::unique_ptr<LocalModel>> draft = LocalModel::Load(config.model.draft_path, {.threads = config.model.threads});
    if (!draft.ok()) return draft.status().WithContext("model.draft_path");
    local.draft = std::move(*draft);
  }
  return local;
}

}  // namespace troupe::llm
