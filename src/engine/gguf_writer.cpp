// GgufWriter: lays out a GGUF v3 file (header, metadata, tensor infos, aligned data section).
//
// The header part (everything before the data section) is built in memory; tensor data is
// appended or streamed one tensor at a time, so a writer whose tensors come from sources never
// holds more than one tensor's bytes.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

#include "engine/error.h"
#include "engine/gguf.h"

namespace troupe::engine {
namespace {

constexpr uint32_t kGgufVersion = 3;
constexpr std::string_view kAlignmentKey = "general.alignment";

// Appends little-endian encodings whatever the host byte order.
class ByteBuffer {
 public:
  template <typename T>
  void Integer(T value) {
    using Unsigned = std::make_unsigned_t<T>;
    auto bits = static_cast<Unsigned>(value);
    for (size_t i = 0; i < sizeof(T); ++i) {
      bytes_.push_back(static_cast<std::byte>(bits & 0xFF));
      if constexpr (sizeof(T) > 1) bits = static_cast<Unsigned>(bits >> 8);
    }
  }
  void Float32(float value) { Integer(std::bit_cast<uint32_t>(value)); }
  void Float64(double value) { Integer(std::bit_cast<uint64_t>(value)); }
  void String(std::string_view text) {
    Integer<uint64_t>(text.size());
    const auto* first = reinterpret_cast<const std::byte*>(text.data());
    bytes_.insert(bytes_.end(), first, first + text.size());
  }
  void ZerosTo(uint64_t alignment) {
    while (bytes_.size() % alignment != 0) bytes_.push_back(std::byte{0});
  }
  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  std::vector<std::byte> bytes_;
};

uint64_t PaddingAfter(uint64_t size, uint64_t alignment) {
  return (alignment - size % alignment) % alignment;
}

bool IsPowerOfTwo(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

// Items of an array must all have its element type, at every level of nesting: the format stores
// the type once per array.
void CheckArrayItems(const std::string& key, const GgufArray& array) {
  for (size_t i = 0; i < array.items.size(); ++i) {
    const GgufValue& item = array.items[i];
    if (item.type() != array.element_type) {
      ThrowInvalid("GGUF writer: key '" + key + "': array item " + std::to_string(i) + " is " +
                   std::string(NameOf(item.type())) + " in an array of " +
                   std::string(NameOf(array.element_type)));
    }
    if (const GgufArray* nested = item.AsArray()) CheckArrayItems(key, *nested);
  }
}

void AppendValue(ByteBuffer& out, const GgufValue& value);

void AppendArray(ByteBuffer& out, const GgufArray& array) {
  out.Integer(static_cast<uint32_t>(array.element_type));
  out.Integer<uint64_t>(array.items.size());
  for (const GgufValue& item : array.items) AppendValue(out, item);
}

// The value's payload without its type tag (array items carry no tag of their own).
void AppendValue(ByteBuffer& out, const GgufValue& value) {
  std::visit(
      [&out](const auto& payload) {
        using T = std::decay_t<decltype(payload)>;
        if constexpr (std::is_same_v<T, bool>) {
          out.Integer<uint8_t>(payload ? 1 : 0);
        } else if constexpr (std::is_same_v<T, float>) {
          out.Float32(payload);
        } else if constexpr (std::is_same_v<T, double>) {
          out.Float64(payload);
        } else if constexpr (std::is_same_v<T, std::string>) {
          out.String(payload);
        } else if constexpr (std::is_same_v<T, GgufArray>) {
          AppendArray(out, payload);
        } else {
          out.Integer(payload);
        }
      },
      value.storage());
}

// The bytes a source produced, checked against what the tensor info promised.
std::vector<std::byte> ProduceData(const std::string& name, uint64_t byte_size,
                                   const GgufWriter::TensorSource& source) {
  std::vector<std::byte> data = source();
  if (data.size() != byte_size) {
    ThrowInvalid("GGUF writer: tensor '" + name + "': source produced " +
                 std::to_string(data.size()) + " bytes, expected " + std::to_string(byte_size));
  }
  return data;
}

// An open stdio file that is closed (and, unless kept, removed) when it goes out of scope.
class TemporaryFile {
 public:
  explicit TemporaryFile(std::filesystem::path path) : path_(std::move(path)) {
    file_ = std::fopen(path_.c_str(), "wb");
    if (file_ == nullptr) Fail("cannot create");
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (file_ != nullptr) std::fclose(file_);
    if (!kept_) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
  }

  void Write(std::span<const std::byte> bytes) {
    if (bytes.empty()) return;
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) Fail("cannot write");
  }
  void WriteZeros(uint64_t count) {
    static constexpr std::byte kZeros[256] = {};
    while (count > 0) {
      const uint64_t chunk = std::min<uint64_t>(count, sizeof(kZeros));
      Write(std::span<const std::byte>(kZeros, chunk));
      count -= chunk;
    }
  }
  // Closes the file and renames it to `destination`; after this the file is not removed.
  void CommitAs(const std::filesystem::path& destination) {
    std::FILE* file = std::exchange(file_, nullptr);
    if (std::fflush(file) != 0 || fsync(fileno(file)) != 0) {
      const int error = errno;
      std::fclose(file);
      errno = error;
      Fail("cannot flush");
    }
    if (std::fclose(file) != 0) Fail("cannot close");
    if (std::rename(path_.c_str(), destination.c_str()) != 0) {
      const std::string reason = std::strerror(errno);
      ThrowIo(destination.string() + ": cannot rename " + path_.string() + " to it: " + reason);
    }
    kept_ = true;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    ThrowIo(path_.string() + ": " + what + ": " + std::strerror(errno));
  }

  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  bool kept_ = false;
};

std::filesystem::path TemporaryPathBeside(const std::filesystem::path& path) {
  // Unique per process and per call, so concurrent writers of the same path do not collide.
  static std::atomic<uint64_t> counter{0};
  std::filesystem::path temporary = path;
  temporary += ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  return temporary;
}

}  // namespace

void GgufWriter::SetAlignment(uint64_t alignment) {
  if (!IsPowerOfTwo(alignment) || alignment > std::numeric_limits<uint32_t>::max()) {
    ThrowInvalid("GGUF writer: alignment " + std::to_string(alignment) +
                 " is not a power of two that fits in 32 bits");
  }
  alignment_ = alignment;
}

void GgufWriter::Set(std::string key, GgufValue value) {
  if (key.empty()) ThrowInvalid("GGUF writer: empty metadata key");
  if (const GgufArray* array = value.AsArray()) CheckArrayItems(key, *array);
  if (key == kAlignmentKey) {
    // The key and the layout must agree, so the key goes through SetAlignment and is written
    // by Serialize from alignment_.
    const uint32_t* alignment = std::get_if<uint32_t>(&value.storage());
    if (alignment == nullptr) {
      ThrowInvalid("GGUF writer: key 'general.alignment' must be UINT32, not " +
                   std::string(NameOf(value.type())));
    }
    SetAlignment(*alignment);
    return;
  }
  for (GgufKeyValue& existing : metadata_) {
    if (existing.key == key) {
      existing.value = std::move(value);
      return;
    }
  }
  metadata_.push_back(GgufKeyValue{std::move(key), std::move(value)});
}

void GgufWriter::AddTensor(std::string name, TensorType type, std::vector<uint64_t> shape,
                           std::vector<std::byte> data) {
  AddTensorInfo(std::move(name), type, std::move(shape), std::move(data), nullptr);
}

void GgufWriter::AddTensor(std::string name, TensorType type, std::vector<uint64_t> shape,
                           TensorSource source) {
  if (!source) ThrowInvalid("GGUF writer: tensor '" + name + "': empty data source");
  AddTensorInfo(std::move(name), type, std::move(shape), {}, std::move(source));
}

void GgufWriter::AddTensorInfo(std::string name, TensorType type, std::vector<uint64_t> shape,
                               std::vector<std::byte> data, TensorSource source) {
  const std::string where = "GGUF writer: tensor '" + name + "'";
  if (name.empty()) ThrowInvalid("GGUF writer: empty tensor name");
  if (name.size() > kGgufMaxTensorNameBytes) {
    ThrowInvalid(where + ": name is longer than " + std::to_string(kGgufMaxTensorNameBytes) +
                 " bytes");
  }
  for (const Tensor& existing : tensors_) {
    if (existing.name == name) ThrowInvalid(where + ": added twice");
  }
  if (!TraitsOf(static_cast<uint32_t>(type))) {
    ThrowInvalid(where + ": unknown tensor type " + std::to_string(static_cast<uint32_t>(type)));
  }
  if (shape.empty() || shape.size() > kGgufMaxDimensions) {
    ThrowInvalid(where + ": shape " + GgufShapeText(shape) + " must have 1 to " +
                 std::to_string(kGgufMaxDimensions) + " dimensions");
  }
  const TensorTypeTraits traits = TraitsOf(type);
  if (shape[0] % traits.block_elements != 0) {
    ThrowInvalid(where + ": rows of " + std::to_string(shape[0]) + " elements are not whole " +
                 std::string(traits.name) + " blocks of " +
                 std::to_string(traits.block_elements));
  }
  uint64_t elements = 1;
  for (uint64_t dimension : shape) {
    // ggml allows empty tensors, but readers (ours included) reject them as corrupt.
    if (dimension == 0) ThrowInvalid(where + ": shape " + GgufShapeText(shape) + " has a zero dimension");
    if (elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / dimension) {
      ThrowInvalid(where + ": shape " + GgufShapeText(shape) + " has more than 2^63 elements");
    }
    elements *= dimension;
  }
  const std::optional<uint64_t> byte_size = ByteSizeOf(type, elements);
  if (!byte_size) {
    ThrowInvalid(where + ": shape " + GgufShapeText(shape) + " has no whole-block size in " +
                 std::string(traits.name));
  }
  if (!source && data.size() != *byte_size) {
    ThrowInvalid(where + ": " + std::string(traits.name) + " " + GgufShapeText(shape) + " needs " +
                 std::to_string(*byte_size) + " bytes, got " + std::to_string(data.size()));
  }
  tensors_.push_back(Tensor{std::move(name), type, std::move(shape), std::move(data),
                            std::move(source), *byte_size});
}

namespace {

// Header, metadata and tensor infos, padded to the alignment: everything before the data.
std::vector<std::byte> LayOutHead(uint64_t alignment, const std::vector<GgufKeyValue>& metadata,
                                  const auto& tensors) {
  ByteBuffer out;
  const bool write_alignment = alignment != kGgufDefaultAlignment;
  out.Integer(kGgufMagic);
  out.Integer(kGgufVersion);
  out.Integer<uint64_t>(tensors.size());
  out.Integer<uint64_t>(metadata.size() + (write_alignment ? 1 : 0));
  for (const GgufKeyValue& entry : metadata) {
    out.String(entry.key);
    out.Integer(static_cast<uint32_t>(entry.value.type()));
    AppendValue(out, entry.value);
  }
  if (write_alignment) {
    out.String(kAlignmentKey);
    out.Integer(static_cast<uint32_t>(GgufType::kUint32));
    out.Integer(static_cast<uint32_t>(alignment));
  }
  uint64_t offset = 0;
  for (const auto& tensor : tensors) {
    out.String(tensor.name);
    out.Integer(static_cast<uint32_t>(tensor.shape.size()));
    for (uint64_t dimension : tensor.shape) out.Integer(dimension);
    out.Integer(static_cast<uint32_t>(tensor.type));
    out.Integer(offset);
    offset += tensor.byte_size + PaddingAfter(tensor.byte_size, alignment);
  }
  // A vocabulary-only file ends right after its infos, as llama.cpp's own vocab files do.
  if (!tensors.empty()) out.ZerosTo(alignment);
  return std::move(out.bytes());
}

}  // namespace

std::vector<std::byte> GgufWriter::Serialize() const {
  std::vector<std::byte> bytes = LayOutHead(alignment_, metadata_, tensors_);
  for (const Tensor& tensor : tensors_) {
    if (tensor.source) {
      const std::vector<std::byte> data = ProduceData(tensor.name, tensor.byte_size, tensor.source);
      bytes.insert(bytes.end(), data.begin(), data.end());
    } else {
      bytes.insert(bytes.end(), tensor.data.begin(), tensor.data.end());
    }
    bytes.resize(bytes.size() + PaddingAfter(tensor.byte_size, alignment_), std::byte{0});
  }
  return bytes;
}

void GgufWriter::WriteFile(const std::filesystem::path& path) const {
  TemporaryFile file(TemporaryPathBeside(path));
  file.Write(LayOutHead(alignment_, metadata_, tensors_));
  for (const Tensor& tensor : tensors_) {
    if (tensor.source) {
      file.Write(ProduceData(tensor.name, tensor.byte_size, tensor.source));
    } else {
      file.Write(tensor.data);
    }
    file.WriteZeros(PaddingAfter(tensor.byte_size, alignment_));
  }
  file.CommitAs(path);
}

}  // namespace troupe::engine
