#include "llm/model_synth.h"

#include "engine/gguf.h"
#include "engine/synth.h"
#include "llm/engine_status_internal.h"

namespace troupe::llm {
namespace {

// The engine's shape for `options`: the preset with the architecture and sizes overridden.
Result<engine::SynthShape> ShapeFor(const SyntheticModelOptions& options) {
  std::optional<engine::SynthShape> shape = engine::ShapePreset(options.shape);
  if (!shape) {
    return InvalidArgument("unknown shape '" + options.shape + "' (tiny, smollm2-135m, qwen2.5-0.5b, llama-1b)",
                           "shape");
  }
  if (options.architecture == "llama") {
    shape->architecture = engine::Architecture::kLlama;
  } else if (options.architecture == "qwen2") {
    shape->architecture = engine::Architecture::kQwen2;
  } else if (!options.architecture.empty()) {
    return InvalidArgument("unknown architecture '" + options.architecture + "' (llama, qwen2)", "architecture");
  }
  if (options.embedding_length) shape->embedding_length = *options.embedding_length;
  if (options.block_count) shape->block_count = *options.block_count;
  if (options.head_count) shape->head_count = *options.head_count;
  if (options.head_count_kv) shape->head_count_kv = *options.head_count_kv;
  if (options.feed_forward_length) shape->feed_forward_length = *options.feed_forward_length;
  if (options.vocab_size) shape->vocab_size = *options.vocab_size;
  if (options.context_length) shape->context_length = *options.context_length;
  if (options.tied_embeddings) shape->tied_embeddings = *options.tied_embeddings;
  return *shape;
}

}  // namespace

Status CheckSyntheticModelOptions(const SyntheticModelOptions& options) { return ShapeFor(options).status(); }

Result<SyntheticModelFile> WriteSyntheticModel(const SyntheticModelOptions& options) {
  TROUPE_ASSIGN_OR_RETURN(engine::SynthShape shape, ShapeFor(options));
  engine::SynthOptions synth;
  synth.output = options.output;
  synth.shape = shape;
  synth.weight_type = options.weight_type;
  synth.seed = options.seed;
  synth.vocab_file = options.vocab_file;
  synth.name = options.name;
  try {
    engine::WriteSyntheticModel(synth);
    const engine::GgufFile written = engine::GgufFile::Open(options.output);
    SyntheticModelFile file;
    for (const engine::GgufTensorInfo& tensor : written.tensors()) file.parameter_count += tensor.element_count;
    file.file_size = written.file_size();
    return file;
  } catch (const engine::EngineError& error) {
    return StatusFromEngineError(error);
  }
}

}  // namespace troupe::llm
