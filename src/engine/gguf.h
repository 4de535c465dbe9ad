// GGUF files: the container every local model arrives in.
//
// GgufFile reads versions 2 and 3. The file is memory-mapped; metadata and tensor infos are parsed
// and validated once in Open, before anything else touches them: every length, count and offset
// is checked against the file size without integer overflow, every type number must be known,
// tensor data must lie inside the data section at the declared alignment, and no two tensors may
// share a name. A malformed file throws EngineError(kInvalidInput) whose message names the file,
// the byte offset and the metadata key or tensor being read; no input can make it read out of
// bounds. Tensor data is never copied: TensorData returns a view into the mapping, valid while the
// GgufFile lives.
//
// GgufWriter writes version 3 files that other GGUF tools load.
//
// Thread safety: a GgufFile is immutable after Open and may be read from any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/tensor_type.h"

namespace troupe::engine {

inline constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian uint32
inline constexpr uint64_t kGgufDefaultAlignment = 32;  // when general.alignment is absent
inline constexpr size_t kGgufMaxTensorNameBytes = 63;  // ggml's 64-byte name buffer less its NUL
inline constexpr size_t kGgufMaxDimensions = 4;        // ggml tensors have at most four

// "[a, b, c]", for error messages about a tensor's shape.
std::string GgufShapeText(const std::vector<uint64_t>& shape);

// Metadata value type numbers as stored on disk.
enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

std::string_view NameOf(GgufType type);

class GgufValue;

// An array value: every item has `element_type`; items may themselves be arrays.
struct GgufArray {
  GgufType element_type = GgufType::kUint8;
  std::vector<GgufValue> items;
};

// One metadata value. The variant's index equals the GgufType number, so `type()` is exact and
// a value written back keeps its type.
class GgufValue {
 public:
  using Storage = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool,
                               std::string, GgufArray, uint64_t, int64_t, double>;

  GgufValue() = default;
  template <typename T>
  GgufValue(T value) : storage_(std::move(value)) {}  // NOLINT: implicit by design
  GgufValue(const char* text) : storage_(std::string(text)) {}

  GgufType type() const { return static_cast<GgufType>(storage_.index()); }
  const Storage& storage() const { return storage_; }

  bool IsInteger() const;
  bool IsNumber() const;  // integer or floating point
  // Integer of any width, when it fits; nullopt otherwise (also for non-integers).
  std::optional<int64_t> AsInt() const;
  std::optional<uint64_t> AsUint() const;
  // Any number as a double.
  std::optional<double> AsDouble() const;
  const std::string* AsString() const;
  const bool* AsBool() const;
  const GgufArray* AsArray() const;

  // Short human form for `troupe models info`: scalars in full, strings quoted and cut at
  // `max_chars`, arrays as "[type; count] first items...".
  std::string Describe(size_t max_chars = 60) const;

  friend bool operator==(const GgufValue&, const GgufValue&);

 private:
  Storage storage_;
};

bool operator==(const GgufArray& a, const GgufArray& b);

struct GgufKeyValue {
  std::string key;
  GgufValue value;
};

struct GgufTensorInfo {
  std::string name;
  std::vector<uint64_t> shape;  // ggml order: shape[0] is the innermost (contiguous) dimension
  TensorType type = TensorType::kF32;
  uint64_t offset = 0;          // from the start of the data section
  uint64_t element_count = 0;
  uint64_t byte_size = 0;
  uint64_t info_offset = 0;     // where this tensor's info record starts in the file (for errors)
};

class GgufFile {
 public:
  // Maps and validates `path`. Throws EngineError: kIo when the file cannot be opened or mapped,
  // kInvalidInput when it is not a valid GGUF (message: "<path>: byte N: ...").
  static GgufFile Open(const std::filesystem::path& path);
  // Parses an in-memory image (copied); `label` stands in for the path in error messages.
  static GgufFile FromBytes(std::span<const std::byte> bytes, std::string label = "<memory>");

  GgufFile(GgufFile&&) noexcept;
  GgufFile& operator=(GgufFile&&) noexcept;
  ~GgufFile();

  const std::string& label() const;
  uint32_t version() const;
  uint64_t file_size() const;
  uint64_t alignment() const;
  uint64_t data_offset() const;  // file offset of the tensor data section

  // In file order.
  const std::vector<GgufKeyValue>& metadata() const;
  const GgufValue* Find(std::string_view key) const;
  const std::vector<GgufTensorInfo>& tensors() const;
  const GgufTensorInfo* FindTensor(std::string_view name) const;
  // The tensor's bytes inside the mapping.
  std::span<const std::byte> TensorData(const GgufTensorInfo& tensor) const;

  // Typed metadata readers. Each throws EngineError(kInvalidInput) naming the key when the key
  // is present with the wrong type; the Optional forms return nullopt when the key is absent.
  std::string RequireString(std::string_view key) const;
  uint64_t RequireUint(std::string_view key) const;
  std::optional<std::string> OptionalString(std::string_view key) const;
  std::optional<uint64_t> OptionalUint(std::string_view key) const;
  std::optional<double> OptionalDouble(std::string_view key) const;
  std::optional<bool> OptionalBool(std::string_view key) const;
  // An array whose items are all strings / numbers; empty when absent.
  std::vector<std::string_view> StringArray(std::string_view key) const;
  std::vector<float> FloatArray(std::string_view key) const;
  std::vector<int64_t> IntArray(std::string_view key) const;

 private:
  struct State;
  explicit GgufFile(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Builds a GGUF v3 file. Keys keep insertion order; adding a key twice replaces the value.
class GgufWriter {
 public:
  void SetAlignment(uint64_t alignment);  // power of two; default 32 (general.alignment written when not 32)
  void Set(std::string key, GgufValue value);
  // `data` holds the encoded tensor (see quant.h); its size must match shape and type.
  void AddTensor(std::string name, TensorType type, std::vector<uint64_t> shape,
                 std::vector<std::byte> data);
  // Produces a tensor's encoded bytes when the file is written, so a large model passes through
  // memory one tensor at a time. Called once per Serialize / WriteFile, in tensor order; bytes of
  // the wrong size make the write throw EngineError(kInvalidInput) naming the tensor.
  using TensorSource = std::function<std::vector<std::byte>()>;
  void AddTensor(std::string name, TensorType type, std::vector<uint64_t> shape,
                 TensorSource source);

  std::vector<std::byte> Serialize() const;
  // Writes to a temporary file beside `path`, then renames it, so readers never see half a file.
  void WriteFile(const std::filesystem::path& path) const;

 private:
  struct Tensor {
    std::string name;
    TensorType type;
    std::vector<uint64_t> shape;
    std::vector<std::byte> data;  // empty when `source` is set
    TensorSource source;
    uint64_t byte_size = 0;
  };
  void AddTensorInfo(std::string name, TensorType type, std::vector<uint64_t> shape,
                     std::vector<std::byte> data, TensorSource source);
  uint64_t alignment_ = kGgufDefaultAlignment;
  std::vector<GgufKeyValue> metadata_;
  std::vector<Tensor> tensors_;
};

}  // namespace troupe::engine
