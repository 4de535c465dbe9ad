#include "engine/engine.h"

#include <algorithm>
#include <thread>
#include <utility>

namespace troupe::engine {

std::string FileTypeName(uint64_t file_type) {
  // llama.cpp's llama_ftype numbers: what llama-quantize wrote as the file's overall recipe.
  static const std::map<uint64_t, std::string> kNames = {
      {0, "F32"},     {1, "F16"},      {2, "Q4_0"},    {3, "Q4_1"},    {7, "Q8_0"},
      {8, "Q5_0"},    {9, "Q5_1"},     {10, "Q2_K"},   {11, "Q3_K_S"}, {12, "Q3_K_M"},
      {13, "Q3_K_L"}, {14, "Q4_K_S"},  {15, "Q4_K_M"}, {16, "Q5_K_S"}, {17, "Q5_K_M"},
      {18, "Q6_K"},   {19, "IQ2_XXS"}, {20, "IQ2_XS"}, {21, "Q2_K_S"}, {22, "IQ3_XS"},
      {23, "IQ3_XXS"}, {24, "IQ1_S"},  {25, "IQ4_NL"}, {26, "IQ3_S"},  {27, "IQ3_M"},
      {28, "IQ2_S"},  {29, "IQ2_M"},   {30, "IQ4_XS"}, {31, "IQ1_M"},  {32, "BF16"},
      {36, "TQ1_0"},  {37, "TQ2_0"},
  };
  const auto found = kNames.find(file_type);
  return found == kNames.end() ? std::string() : found->second;
}

struct Model::State {
  GgufFile file;
  Tokenizer tokenizer;
  std::optional<ChatTemplate> own_template;
  std::string template_error;  // why the file's template could not be parsed, if it could not
  ChatTemplate chatml = ChatTemplate::ChatMl();
  ModelSummary summary;
  std::unique_ptr<Transformer> transformer;  // null for vocab-only loads
};

namespace {

ModelSummary Summarize(const GgufFile& file, const Tokenizer& tokenizer) {
  ModelSummary summary;
  summary.path = file.label();
  summary.file_size = file.file_size();
  summary.gguf_version = file.version();
  summary.architecture = file.OptionalString("general.architecture").value_or("");
  summary.name = file.OptionalString("general.name").value_or("");
  if (const std::optional<uint64_t> type = file.OptionalUint("general.file_type")) {
    summary.file_type = FileTypeName(*type);
  }
  summary.tensor_count = file.tensors().size();
  for (const GgufTensorInfo& tensor : file.tensors()) {
    summary.parameter_count += tensor.element_count;
    summary.tensor_bytes += tensor.byte_size;
    ++summary.tensors_by_type[std::string(NameOf(tensor.type))];
  }
  summary.tokenizer_model = std::string(tokenizer.model());
  summary.tokenizer_pre = std::string(tokenizer.pre());
  summary.vocab_size = tokenizer.vocab_size();
  summary.bos = tokenizer.bos();
  summary.eos = tokenizer.eos();
  summary.adds_bos = tokenizer.adds_bos();
  return summary;
}

}  // namespace

std::unique_ptr<Model> Model::Load(const std::filesystem::path& path, LoadOptions options) {
  GgufFile file = GgufFile::Open(path);
  std::optional<ModelSpec> spec;
  if (options.vocab_only_without_tensors && file.tensors().empty()) options.vocab_only = true;
  if (!options.vocab_only) {
    if (file.tensors().empty()) {
      ThrowInvalid(file.label() + ": holds no tensors (a vocabulary-only file cannot be run)");
    }
    spec = ModelSpec::FromGguf(file);  // Transformer::Create below checks the tensors against it
  }
  Tokenizer tokenizer = Tokenizer::FromGguf(file);
  ModelSummary summary = Summarize(file, tokenizer);
  summary.spec = std::move(spec);

  auto state = std::unique_ptr<State>(new State{std::move(file), std::move(tokenizer), std::nullopt,
                                                 std::string(), ChatTemplate::ChatMl(), {}, nullptr});
  if (const std::optional<std::string> source = state->file.OptionalString("tokenizer.chat_template")) {
    summary.has_chat_template = true;
    try {
      state->own_template = ChatTemplate::Parse(*source);
    } catch (const EngineError& error) {
      // Tokenizing and inspecting still work; rendering a chat reports this error.
      state->template_error = state->file.label() + ": tokenizer.chat_template: " + error.what();
    }
  }
  if (summary.spec) {
    const int threads = options.threads > 0
                            ? options.threads
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    state->transformer = Transformer::Create(state->file, *summary.spec, threads);
  }
  state->summary = std::move(summary);
  return std::unique_ptr<Model>(new Model(std::move(state)));
}

Model::Model(std::unique_ptr<State> state) : state_(std::move(state)) {}
Model::~Model() = default;

const GgufFile& Model::file() const { return state_->file; }
const Tokenizer& Model::tokenizer() const { return state_->tokenizer; }
const ModelSummary& Model::summary() const { return state_->summary; }

const ChatTemplate& Model::chat_template() const {
  if (!state_->template_error.empty()) ThrowInvalid(state_->template_error);
  return state_->own_template ? *state_->own_template : state_->chatml;
}

std::vector<int32_t> Model::Tokenize(std::string_view text, bool add_special,
                                     bool parse_special) const {
  return state_->tokenizer.Encode(text, add_special, parse_special);
}

std::string Model::Detokenize(std::span<const int32_t> tokens, bool render_special) const {
  return state_->tokenizer.Decode(tokens, render_special);
}

std::string Model::RenderChat(ChatTemplateInputs inputs) const {
  const Tokenizer& tokenizer = state_->tokenizer;
  if (inputs.bos_token.empty() && tokenizer.bos()) {
    inputs.bos_token = tokenizer.TokenToPiece(*tokenizer.bos(), /*render_special=*/true);
  }
  if (inputs.eos_token.empty() && tokenizer.eos()) {
    inputs.eos_token = tokenizer.TokenToPiece(*tokenizer.eos(), /*render_special=*/true);
  }
  return chat_template().Render(inputs);
}

std::vector<int32_t> Model::TokenizeChat(std::string_view rendered) const {
  std::vector<int32_t> tokens = Tokenize(rendered, /*add_special=*/true, /*parse_special=*/true);
  const std::optional<int32_t> bos = state_->tokenizer.bos();
  if (bos && tokens.size() >= 2 && tokens[0] == *bos && tokens[1] == *bos) tokens.erase(tokens.begin());
  return tokens;
}

Transformer& Model::transformer() {
  if (!state_->transformer) {
    ThrowInvalid(state_->file.label() + ": loaded as a vocabulary only; it cannot run");
  }
  return *state_->transformer;
}

std::unique_ptr<KvCache> Model::NewSequence(uint32_t max_tokens) const {
  if (!state_->transformer) {
    ThrowInvalid(state_->file.label() + ": loaded as a vocabulary only; it cannot run");
  }
  const uint64_t context = state_->transformer->spec().context_length;
  return state_->transformer->NewCache(static_cast<uint32_t>(std::min<uint64_t>(max_tokens, context)));
}

GenerationResult Model::Generate(KvCache& sequence, const GenerationRequest& request,
                                 const GenerationCallbacks& callbacks) {
  return engine::Generate(transformer(), state_->tokenizer, sequence, request, callbacks);
}

TokenScores Model::Score(std::span<const int32_t> tokens) { return ScoreTokens(transformer(), tokens); }

}  // namespace troupe::engine
