// Parsing and validation of GGUF files. Every read goes through ByteReader, which checks the
// remaining length first, so a hostile file can only produce an EngineError.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <utility>

#include "engine/error.h"
#include "engine/gguf.h"

namespace troupe::engine {
namespace {

constexpr int kMaxArrayNesting = 8;
// Each parsed array item takes ~40 bytes of memory against 1 on disk, so a file made of one huge
// uint8 array could demand 40x its size. Real vocabularies hold about a million items in all.
constexpr uint64_t kMaxMetadataItems = 16'000'000;

// A read-only mapping of a whole file, unmapped once.
class FileMapping {
 public:
  static FileMapping Map(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) ThrowIo(path.string() + ": cannot open: " + std::strerror(errno));
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
      const int error = errno;
      ::close(fd);
      ThrowIo(path.string() + ": cannot stat: " + std::strerror(error));
    }
    if (!S_ISREG(info.st_mode)) {
      ::close(fd);
      ThrowIo(path.string() + ": not a regular file");
    }
    FileMapping mapping;
    mapping.size_ = static_cast<size_t>(info.st_size);
    if (mapping.size_ > 0) {
      void* address = ::mmap(nullptr, mapping.size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (address == MAP_FAILED) {
        const int error = errno;
        ::close(fd);
        ThrowIo(path.string() + ": cannot map: " + std::strerror(error));
      }
      mapping.address_ = address;
    }
    ::close(fd);
    return mapping;
  }

  FileMapping() = default;
  FileMapping(FileMapping&& other) noexcept
      : address_(std::exchange(other.address_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  FileMapping& operator=(FileMapping&& other) noexcept {
    if (this != &other) {
      Unmap();
      address_ = std::exchange(other.address_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~FileMapping() { Unmap(); }

  std::span<const std::byte> bytes() const {
    return {static_cast<const std::byte*>(address_), size_};
  }

 private:
  void Unmap() {
    if (address_ != nullptr) ::munmap(address_, size_);
    address_ = nullptr;
  }
  void* address_ = nullptr;
  size_t size_ = 0;
};

// Sequential little-endian reads with bounds checks; errors carry the offset and what was being
// read ("metadata key 'x'", "tensor 'y'").
class ByteReader {
 public:
  ByteReader(std::span<const std::byte> bytes, const std::string& label)
      : bytes_(bytes), label_(label) {}

  uint64_t offset() const { return offset_; }
  // Counts array items against kMaxMetadataItems.
  void ChargeItems(uint64_t at, uint64_t count) {
    if (count > items_left_) {
      Fail(at, "metadata holds more than " + std::to_string(kMaxMetadataItems) + " array items");
    }
    items_left_ -= count;
  }
  uint64_t remaining() const { return bytes_.size() - offset_; }
  void set_context(std::string context) { context_ = std::move(context); }

  [[noreturn]] void Fail(uint64_t at, const std::string& what) const {
    std::string message = label_ + ": byte " + std::to_string(at) + ": ";
    if (!context_.empty()) message += context_ + ": ";
    ThrowInvalid(message + what);
  }

  template <typename T>
  T Read(const char* what) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (remaining() < sizeof(T)) {
      Fail(offset_, std::string("file ends inside ") + what + " (needs " +
                        std::to_string(sizeof(T)) + " bytes, " + std::to_string(remaining()) +
                        " left)");
    }
    T value;
    std::memcpy(&value, bytes_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return value;
  }

  std::string ReadString(const char* what) {
    const uint64_t at = offset_;
    const uint64_t length = Read<uint64_t>(what);
    if (length > remaining()) {
      Fail(at, std::string(what) + " length " + std::to_string(length) + " runs past the end of the file (" +
                   std::to_string(remaining()) + " bytes left)");
    }
    std::string text(reinterpret_cast<const char*>(bytes_.data() + offset_), length);
    offset_ += length;
    return text;
  }

 private:
  std::span<const std::byte> bytes_;
  const std::string& label_;
  uint64_t offset_ = 0;
  uint64_t items_left_ = kMaxMetadataItems;
  std::string context_;
};

// The smallest encoding of one value of `type`, so a count can be checked against the bytes
// left before anything is allocated for it.
uint64_t MinimumEncodedSize(GgufType type) {
  switch (type) {
    case GgufType::kUint8: case GgufType::kInt8: case GgufType::kBool: return 1;
    case GgufType::kUint16: case GgufType::kInt16: return 2;
    case GgufType::kUint32: case GgufType::kInt32: case GgufType::kFloat32: return 4;
    case GgufType::kUint64: case GgufType::kInt64: case GgufType::kFloat64: return 8;
    case GgufType::kString: return 8;
    case GgufType::kArray: return 12;
  }
  return 1;
}

GgufType ReadValueType(ByteReader& reader, const char* what) {
  const uint64_t at = reader.offset();
  const uint32_t raw = reader.Read<uint32_t>(what);
  if (raw > static_cast<uint32_t>(GgufType::kFloat64)) {
    reader.Fail(at, "unknown value type " + std::to_string(raw));
  }
  return static_cast<GgufType>(raw);
}

GgufValue ReadValue(ByteReader& reader, GgufType type, int depth) {
  switch (type) {
    case GgufType::kUint8: return reader.Read<uint8_t>("a uint8 value");
    case GgufType::kInt8: return reader.Read<int8_t>("an int8 value");
    case GgufType::kUint16: return reader.Read<uint16_t>("a uint16 value");
    case GgufType::kInt16: return reader.Read<int16_t>("an int16 value");
    case GgufType::kUint32: return reader.Read<uint32_t>("a uint32 value");
    case GgufType::kInt32: return reader.Read<int32_t>("an int32 value");
    case GgufType::kFloat32: return reader.Read<float>("a float32 value");
    case GgufType::kUint64: return reader.Read<uint64_t>("a uint64 value");
    case GgufType::kInt64: return reader.Read<int64_t>("an int64 value");
    case GgufType::kFloat64: return reader.Read<double>("a float64 value");
    case GgufType::kBool: {
      const uint64_t at = reader.offset();
      const uint8_t raw = reader.Read<uint8_t>("a bool value");
      if (raw > 1) reader.Fail(at, "bool value " + std::to_string(raw) + " is neither 0 nor 1");
      return raw == 1;
    }
    case GgufType::kString:
      return reader.ReadString("a string value");
    case GgufType::kArray: {
      const uint64_t at = reader.offset();
      if (depth >= kMaxArrayNesting) {
        reader.Fail(at, "arrays nested deeper than " + std::to_string(kMaxArrayNesting));
      }
      GgufArray array;
      array.element_type = ReadValueType(reader, "an array's element type");
      const uint64_t count_at = reader.offset();
      const uint64_t count = reader.Read<uint64_t>("an array's length");
      if (count > reader.remaining() / MinimumEncodedSize(array.element_type)) {
        reader.Fail(count_at, "array of " + std::to_string(count) + " " +
                                  std::string(NameOf(array.element_type)) +
                                  " values cannot fit in the " + std::to_string(reader.remaining()) +
                                  " bytes left");
      }
      reader.ChargeItems(count_at, count);
      array.items.reserve(count);
      for (uint64_t i = 0; i < count; ++i) {
        array.items.push_back(ReadValue(reader, array.element_type, depth + 1));
      }
      return array;
    }
  }
  reader.Fail(reader.offset(), "unknown value type");
}

}  // namespace

std::string GgufShapeText(const std::vector<uint64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

struct GgufFile::State {
  std::string label;
  FileMapping mapping;              // when opened from a path
  std::vector<std::byte> owned;     // when parsed from memory
  std::span<const std::byte> bytes;
  uint32_t version = 0;
  uint64_t alignment = kGgufDefaultAlignment;
  uint64_t data_offset = 0;
  std::vector<GgufKeyValue> metadata;
  std::unordered_map<std::string_view, size_t> metadata_index;
  std::vector<GgufTensorInfo> tensors;
  std::unordered_map<std::string_view, size_t> tensor_index;

  void Parse();
};

void GgufFile::State::Parse() {
  ByteReader reader(bytes, label);
  const uint32_t magic = reader.Read<uint32_t>("the magic number");
  if (magic != kGgufMagic) reader.Fail(0, "not a GGUF file (the first 4 bytes are not \"GGUF\")");
  const uint64_t version_at = reader.offset();
  version = reader.Read<uint32_t>("the version");
  if (version == 0x02000000 || version == 0x03000000) {
    reader.Fail(version_at, "big-endian GGUF files are not supported");
  }
  if (version != 2 && version != 3) {
    reader.Fail(version_at, "GGUF version " + std::to_string(version) +
                                " is not supported (versions 2 and 3 are)");
  }
  const uint64_t tensor_count_at = reader.offset();
  const uint64_t tensor_count = reader.Read<uint64_t>("the tensor count");
  const uint64_t metadata_count_at = reader.offset();
  const uint64_t metadata_count = reader.Read<uint64_t>("the metadata count");
  // Smallest tensor info: name length, n_dims, type, offset.
  if (tensor_count > reader.remaining() / 24) {
    reader.Fail(tensor_count_at, "tensor count " + std::to_string(tensor_count) +
                                     " cannot fit in a file of " + std::to_string(bytes.size()) +
                                     " bytes");
  }
  // Smallest key/value: key length, value type, one byte of value.
  if (metadata_count > reader.remaining() / 13) {
    reader.Fail(metadata_count_at, "metadata count " + std::to_string(metadata_count) +
                                       " cannot fit in a file of " + std::to_string(bytes.size()) +
                                       " bytes");
  }

  metadata.reserve(metadata_count);
  for (uint64_t i = 0; i < metadata_count; ++i) {
    const uint64_t key_at = reader.offset();
    reader.set_context("metadata entry " + std::to_string(i));
    std::string key = reader.ReadString("a metadata key");
    if (key.empty()) reader.Fail(key_at, "empty metadata key");
    reader.set_context("metadata key '" + key + "'");
    const GgufType type = ReadValueType(reader, "the value type");
    GgufValue value = ReadValue(reader, type, 0);
    // A hash lookup, not a scan: a hostile file may hold hundreds of thousands of keys.
    if (metadata_index.count(key) != 0) reader.Fail(key_at, "duplicate key");
    if (key == "general.alignment") {
      const std::optional<uint64_t> requested = value.AsUint();
      if (type != GgufType::kUint32 || !requested || *requested == 0 ||
          (*requested & (*requested - 1)) != 0) {
        reader.Fail(key_at, "alignment must be a uint32 power of two, not " + value.Describe());
      }
      alignment = *requested;
    }
    metadata.push_back({std::move(key), std::move(value)});
    // `metadata` was reserved for every entry above, so this view of the key stays valid.
    metadata_index.emplace(metadata.back().key, metadata.size() - 1);
  }

  tensors.reserve(tensor_count);
  for (uint64_t i = 0; i < tensor_count; ++i) {
    GgufTensorInfo tensor;
    tensor.info_offset = reader.offset();
    reader.set_context("tensor " + std::to_string(i));
    tensor.name = reader.ReadString("a tensor name");
    if (tensor.name.empty()) reader.Fail(tensor.info_offset, "empty tensor name");
    if (tensor.name.size() > kGgufMaxTensorNameBytes) {
      reader.Fail(tensor.info_offset, "tensor name of " + std::to_string(tensor.name.size()) +
                                          " bytes is longer than " +
                                          std::to_string(kGgufMaxTensorNameBytes));
    }
    reader.set_context("tensor '" + tensor.name + "'");
    const uint64_t dims_at = reader.offset();
    const uint32_t dimensions = reader.Read<uint32_t>("the dimension count");
    if (dimensions == 0 || dimensions > kGgufMaxDimensions) {
      reader.Fail(dims_at, "dimension count " + std::to_string(dimensions) + " is not between 1 and " +
                               std::to_string(kGgufMaxDimensions));
    }
    tensor.element_count = 1;
    for (uint32_t d = 0; d < dimensions; ++d) {
      const uint64_t dim_at = reader.offset();
      const uint64_t extent = reader.Read<uint64_t>("a dimension");
      if (extent == 0) reader.Fail(dim_at, "dimension " + std::to_string(d) + " is 0");
      if (extent > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / tensor.element_count) {
        reader.Fail(dim_at, "element count overflows 64 bits");
      }
      tensor.element_count *= extent;
      tensor.shape.push_back(extent);
    }
    const uint64_t type_at = reader.offset();
    const uint32_t raw_type = reader.Read<uint32_t>("the tensor type");
    const std::optional<TensorTypeTraits> traits = TraitsOf(raw_type);
    if (!traits) reader.Fail(type_at, "unknown tensor type " + std::to_string(raw_type));
    tensor.type = static_cast<TensorType>(raw_type);
    if (tensor.shape[0] % traits->block_elements != 0) {
      reader.Fail(dims_at, "row length " + std::to_string(tensor.shape[0]) + " is not a multiple of " +
                               std::string(traits->name) + "'s block of " +
                               std::to_string(traits->block_elements));
    }
    const std::optional<uint64_t> size = ByteSizeOf(tensor.type, tensor.element_count);
    if (!size) reader.Fail(dims_at, "byte size of shape " + GgufShapeText(tensor.shape) + " overflows");
    tensor.byte_size = *size;
    const uint64_t offset_at = reader.offset();
    tensor.offset = reader.Read<uint64_t>("the tensor data offset");
    if (tensor.offset % alignment != 0) {
      reader.Fail(offset_at, "data offset " + std::to_string(tensor.offset) +
                                 " is not a multiple of the alignment " + std::to_string(alignment));
    }
    if (tensor_index.count(tensor.name) == 0) {
      tensors.push_back(std::move(tensor));
      tensor_index.emplace(tensors.back().name, tensors.size() - 1);
    } else {
      reader.Fail(tensor.info_offset, "duplicate tensor name");
    }
  }
  reader.set_context("");

  const uint64_t infos_end = reader.offset();
  data_offset = (infos_end + alignment - 1) / alignment * alignment;
  if (tensors.empty()) {
    // Vocab-only files may end right after the infos, without padding.
    data_offset = std::min<uint64_t>(data_offset, bytes.size());
  } else if (data_offset > bytes.size()) {
    reader.Fail(infos_end, "file ends before the tensor data section (aligned start " +
                               std::to_string(data_offset) + ")");
  }
  const uint64_t data_size = bytes.size() - data_offset;

  // Data must lie inside the file and tensors must not overlap.
  std::vector<const GgufTensorInfo*> by_offset;
  by_offset.reserve(tensors.size());
  for (const GgufTensorInfo& tensor : tensors) {
    if (tensor.offset > data_size || tensor.byte_size > data_size - tensor.offset) {
      ByteReader(bytes, label).Fail(
          tensor.info_offset, "tensor '" + tensor.name + "': data [" + std::to_string(tensor.offset) +
                                  ", +" + std::to_string(tensor.byte_size) +
                                  ") runs past the end of the data section (" +
                                  std::to_string(data_size) + " bytes)");
    }
    by_offset.push_back(&tensor);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const GgufTensorInfo& previous = *by_offset[i - 1];
    const GgufTensorInfo& current = *by_offset[i];
    if (previous.offset + previous.byte_size > current.offset) {
      ByteReader(bytes, label).Fail(current.info_offset, "tensor '" + current.name +
                                                              "': data overlaps tensor '" +
                                                              previous.name + "'");
    }
  }
}

GgufFile::GgufFile(std::unique_ptr<State> state) : state_(std::move(state)) {}
GgufFile::GgufFile(GgufFile&&) noexcept = default;
GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;
GgufFile::~GgufFile() = default;

GgufFile GgufFile::Open(const std::filesystem::path& path) {
  auto state = std::make_unique<State>();
  state->label = path.string();
  state->mapping = FileMapping::Map(path);
  state->bytes = state->mapping.bytes();
  state->Parse();
  return GgufFile(std::move(state));
}

GgufFile GgufFile::FromBytes(std::span<const std::byte> bytes, std::string label) {
  auto state = std::make_unique<State>();
  state->label = std::move(label);
  state->owned.assign(bytes.begin(), bytes.end());
  state->bytes = state->owned;
  state->Parse();
  return GgufFile(std::move(state));
}

const std::string& GgufFile::label() const { return state_->label; }
uint32_t GgufFile::version() const { return state_->version; }
uint64_t GgufFile::file_size() const { return state_->bytes.size(); }
uint64_t GgufFile::alignment() const { return state_->alignment; }
uint64_t GgufFile::data_offset() const { return state_->data_offset; }
const std::vector<GgufKeyValue>& GgufFile::metadata() const { return state_->metadata; }
const std::vector<GgufTensorInfo>& GgufFile::tensors() const { return state_->tensors; }

const GgufValue* GgufFile::Find(std::string_view key) const {
  const auto found = state_->metadata_index.find(key);
  return found == state_->metadata_index.end() ? nullptr : &state_->metadata[found->second].value;
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  const auto found = state_->tensor_index.find(name);
  return found == state_->tensor_index.end() ? nullptr : &state_->tensors[found->second];
}

std::span<const std::byte> GgufFile::TensorData(const GgufTensorInfo& tensor) const {
  return state_->bytes.subspan(state_->data_offset + tensor.offset, tensor.byte_size);
}

namespace {

[[noreturn]] void WrongType(const GgufFile& file, std::string_view key, const GgufValue& value,
                            std::string_view wanted) {
  ThrowInvalid(file.label() + ": metadata key '" + std::string(key) + "' is " +
               std::string(NameOf(value.type())) + ", expected " + std::string(wanted));
}

}  // namespace

std::optional<std::string> GgufFile::OptionalString(std::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (const std::string* text = value->AsString()) return *text;
  WrongType(*this, key, *value, "a string");
}

std::optional<uint64_t> GgufFile::OptionalUint(std::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (auto number = value->AsUint()) return number;
  WrongType(*this, key, *value, "a non-negative integer");
}

std::optional<double> GgufFile::OptionalDouble(std::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (auto number = value->AsDouble()) return number;
  WrongType(*this, key, *value, "a number");
}

std::optional<bool> GgufFile::OptionalBool(std::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (const bool* flag = value->AsBool()) return *flag;
  WrongType(*this, key, *value, "a bool");
}

std::string GgufFile::RequireString(std::string_view key) const {
  if (auto text = OptionalString(key)) return *text;
  ThrowInvalid(label() + ": metadata key '" + std::string(key) + "' is missing");
}

uint64_t GgufFile::RequireUint(std::string_view key) const {
  if (auto number = OptionalUint(key)) return *number;
  ThrowInvalid(label() + ": metadata key '" + std::string(key) + "' is missing");
}

std::vector<std::string_view> GgufFile::StringArray(std::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return {};
  const GgufArray* array = value->AsArray();
  if (array == nullptr || array->element_type != GgufType::kString) {
    WrongType(*this, key, *value, "an array of strings");
  }
  std::vector<std::string_view> items;
  items.reserve(array->items.size());
  for (const GgufValue& item : array->items) items.push_back(*item.AsString());
  return items;
}

std::vector<float> GgufFile::FloatArray(std::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return {};
  const GgufArray* array = value->AsArray();
  if (array == nullptr) WrongType(*this, key, *value, "an array of numbers");
  std::vector<float> items;
  items.reserve(array->items.size());
  for (const GgufValue& item : array->items) {
    const std::optional<double> number = item.AsDouble();
    if (!number) WrongType(*this, key, *value, "an array of numbers");
    items.push_back(static_cast<float>(*number));
  }
  return items;
}

std::vector<int64_t> GgufFile::IntArray(std::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return {};
  const GgufArray* array = value->AsArray();
  if (array == nullptr) WrongType(*this, key, *value, "an array of integers");
  std::vector<int64_t> items;
  items.reserve(array->items.size());
  for (const GgufValue& item : array->items) {
    const std::optional<int64_t> number = item.AsInt();
    if (!number) WrongType(*this, key, *value, "an array of integers");
    items.push_back(*number);
  }
  return items;
}

}  // namespace troupe::engine
