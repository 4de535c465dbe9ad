// GGUF files: the reader on arbitrary bytes, then everything a loader touches next (every value,
// every tensor byte, the typed readers, ModelSpec and its tensor checks), so a view that strays
// outside the input trips ASan. Bad input must end in EngineError; parse errors must be
// kInvalidInput and name a byte offset.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "engine/error.h"
#include "engine/gguf.h"
#include "engine/model_spec.h"

namespace {

using troupe::engine::EngineError;
using troupe::engine::GgufFile;

uint64_t TouchEverything(const GgufFile& file) {
  uint64_t sum = 0;
  for (const troupe::engine::GgufKeyValue& entry : file.metadata()) {
    sum += entry.key.size() + entry.value.Describe(64).size();
    if (file.Find(entry.key) == nullptr) std::abort();
  }
  for (const troupe::engine::GgufTensorInfo& tensor : file.tensors()) {
    if (file.data_offset() + tensor.offset + tensor.byte_size > file.file_size()) std::abort();
    if (file.FindTensor(tensor.name) != &tensor) std::abort();
    for (std::byte b : file.TensorData(tensor)) sum += static_cast<uint8_t>(b);
  }
  return sum;
}

// The typed readers throw for keys of the wrong type; that is expected, a crash is not.
void ReadTyped(const GgufFile& file) {
  for (const char* key : {"tokenizer.ggml.tokens", "tokenizer.ggml.scores",
                          "tokenizer.ggml.token_type", "general.architecture"}) {
    try {
      (void)file.StringArray(key);
      (void)file.FloatArray(key);
      (void)file.IntArray(key);
      (void)file.OptionalString(key);
      (void)file.OptionalUint(key);
      (void)file.OptionalDouble(key);
      (void)file.OptionalBool(key);
    } catch (const EngineError& error) {
      if (error.kind() != EngineError::Kind::kInvalidInput) std::abort();
    }
  }
}

void CheckModel(const GgufFile& file) {
  try {
    const troupe::engine::ModelSpec spec = troupe::engine::ModelSpec::FromGguf(file);
    troupe::engine::ValidateTensors(file, spec);
  } catch (const EngineError& error) {
    if (error.kind() == EngineError::Kind::kIo) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    const GgufFile file = GgufFile::FromBytes(bytes, "fuzz.gguf");
    if (file.file_size() != size) std::abort();
    volatile uint64_t sink = TouchEverything(file);
    (void)sink;
    ReadTyped(file);
    CheckModel(file);
  } catch (const EngineError& error) {
    if (error.kind() != EngineError::Kind::kInvalidInput) std::abort();
    if (std::string(error.what()).find("fuzz.gguf: byte ") == std::string::npos) std::abort();
  }
  return 0;
}
