// GGUF files cut short, with fields set to impossible values, and with bytes flipped: each must
// fail with an error naming the byte offset (and the key or tensor) rather than crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/gguf.h"
#include "gguf_test_support.h"
#include "support/temp_dir.h"

namespace troupe::engine {
namespace {

using namespace gguf_testing;
using troupe::testing::SharedDir;
using troupe::testing::TempDir;

// ---------------------------------------------------------------------------------------------
// Corrupt files.

TEST(GgufCorruptionTest, TruncatingARealModelAnywhereFailsWithAnOffset) {
  const Bytes original = ReadAll(SharedDir() / "models/stories260K.gguf");
  const GgufFile file = GgufFile::FromBytes(original);
  const uint64_t data_offset = file.data_offset();
  uint64_t data_end = 0;
  for (const GgufTensorInfo& tensor : file.tensors()) {
    data_end = std::max(data_end, data_offset + tensor.offset + tensor.byte_size);
  }
  auto check = [&](uint64_t size) {
    const std::string message =
        InvalidMessage(Bytes(original.begin(), original.begin() + static_cast<ptrdiff_t>(size)));
    EXPECT_NE(message.find("bad.gguf: byte "), std::string::npos) << size << ": " << message;
  };
  for (uint64_t size = 0; size <= data_offset; ++size) check(size);  // every cut in the header
  for (uint64_t size = data_offset; size < data_end; size += 4093) check(size);
  check(data_end - 1);
}

TEST(GgufCorruptionTest, TruncatingAVocabularyFileFailsUntilTheMetadataIsWhole) {
  const Bytes original = ReadAll(SharedDir() / "testdata/tokenizer/ggml-vocab-llama-spm.gguf");
  for (uint64_t size = 0; size < original.size(); size += (size < 4096 ? 1 : 4999)) {
    const std::string message =
        InvalidMessage(Bytes(original.begin(), original.begin() + static_cast<ptrdiff_t>(size)));
    EXPECT_NE(message.find("byte "), std::string::npos) << size << ": " << message;
  }
  EXPECT_NO_THROW(GgufFile::FromBytes(original));
}

// A small file whose every field's offset the tests locate by the names around it.
struct Specimen {
  Bytes bytes;
  uint64_t Record(std::string_view name) const { return Locate(bytes, name) - 8; }
  uint64_t After(std::string_view name) const { return Locate(bytes, name) + name.size(); }
};

Specimen MakeSpecimen(uint64_t alignment = 32) {
  GgufWriter writer;
  writer.SetAlignment(alignment);
  writer.Set("test.number", uint32_t{7});
  writer.Set("test.text", "hello");
  writer.Set("test.list", ArrayOf(GgufType::kInt32, {int32_t{1}, int32_t{2}, int32_t{3}}));
  writer.Set("test.flag", true);
  writer.Set("dup.a", uint8_t{1});
  writer.Set("dup.b", uint8_t{2});
  writer.AddTensor("blk.0.a", TensorType::kF32, {16, 2}, Pattern(128, 1));
  writer.AddTensor("blk.0.b", TensorType::kQ8_0, {32, 2}, Pattern(68, 2));
  return Specimen{writer.Serialize()};
}

void ExpectInvalidAt(const Bytes& bytes, uint64_t offset, const std::string& subject,
                     const std::string& what) {
  const std::string message = InvalidMessage(bytes);
  EXPECT_NE(message.find("bad.gguf: byte " + std::to_string(offset) + ":"), std::string::npos)
      << "want byte " << offset << ", got: " << message;
  EXPECT_NE(message.find(subject), std::string::npos) << "want " << subject << ": " << message;
  EXPECT_NE(message.find(what), std::string::npos) << "want " << what << ": " << message;
}

TEST(GgufCorruptionTest, HeaderFields) {
  const Specimen good = MakeSpecimen();
  ASSERT_NO_THROW(GgufFile::FromBytes(good.bytes));
  Bytes bytes = good.bytes;
  bytes[0] = std::byte{'X'};
  ExpectInvalidAt(bytes, 0, "", "not a GGUF file");
  for (uint32_t version : {0u, 1u, 4u, 0x03000000u}) {
    bytes = good.bytes;
    Put<uint32_t>(bytes, 4, version);
    ExpectInvalidAt(bytes, 4, "", "not supported");
  }
  bytes = good.bytes;
  Put<uint32_t>(bytes, 4, 2);  // version 2 has the same layout as 3
  EXPECT_EQ(GgufFile::FromBytes(bytes).version(), 2u);

  bytes = good.bytes;
  Put<uint64_t>(bytes, 8, uint64_t{1} << 62);
  ExpectInvalidAt(bytes, 8, "tensor count", "cannot fit");
  bytes = good.bytes;
  Put<uint64_t>(bytes, 16, std::numeric_limits<uint64_t>::max());
  ExpectInvalidAt(bytes, 16, "metadata count", "cannot fit");
  bytes = good.bytes;
  Put<uint64_t>(bytes, 16, 7);  // one key more than there is: the first tensor info is read as one
  EXPECT_NE(InvalidMessage(bytes).find("byte "), std::string::npos);
  EXPECT_NE(InvalidMessage(Bytes()).find("byte 0"), std::string::npos);
  EXPECT_NE(InvalidMessage(Bytes(good.bytes.begin(), good.bytes.begin() + 3)).find("byte 0"),
            std::string::npos);
}

TEST(GgufCorruptionTest, MetadataFields) {
  const Specimen good = MakeSpecimen();
  Bytes bytes = good.bytes;
  Put<uint64_t>(bytes, good.Record("test.number"), uint64_t{1} << 40);
  ExpectInvalidAt(bytes, good.Record("test.number"), "metadata entry 0", "runs past the end");

  for (uint32_t type : {13u, 255u, 0xFFFFFFFFu}) {
    bytes = good.bytes;
    Put<uint32_t>(bytes, good.After("test.number"), type);
    ExpectInvalidAt(bytes, good.After("test.number"), "metadata key 'test.number'",
                    "unknown value type " + std::to_string(type));
  }
  const uint64_t text_value = good.After("test.text") + 4;
  bytes = good.bytes;
  Put<uint64_t>(bytes, text_value, std::numeric_limits<uint64_t>::max());
  ExpectInvalidAt(bytes, text_value, "metadata key 'test.text'", "runs past the end");

  const uint64_t list_value = good.After("test.list") + 4;
  bytes = good.bytes;
  Put<uint32_t>(bytes, list_value, 99);
  ExpectInvalidAt(bytes, list_value, "metadata key 'test.list'", "unknown value type 99");
  bytes = good.bytes;
  Put<uint64_t>(bytes, list_value + 4, uint64_t{1} << 60);
  ExpectInvalidAt(bytes, list_value + 4, "metadata key 'test.list'", "cannot fit");

  const uint64_t flag_value = good.After("test.flag") + 4;
  bytes = good.bytes;
  bytes[flag_value] = std::byte{2};
  ExpectInvalidAt(bytes, flag_value, "metadata key 'test.flag'", "bool");

  bytes = good.bytes;
  bytes[Locate(bytes, "dup.b") + 4] = std::byte{'a'};
  ExpectInvalidAt(bytes, good.Record("dup.b"), "metadata key 'dup.a'", "duplicate key");
}

TEST(GgufCorruptionTest, AlignmentKey) {
  const Specimen good = MakeSpecimen(64);
  const uint64_t record = good.Record("general.alignment");
  const uint64_t value = good.After("general.alignment") + 4;
  ASSERT_EQ(Get<uint32_t>(good.bytes, value), 64u);
  for (uint32_t alignment : {0u, 48u, 3u}) {
    Bytes bytes = good.bytes;
    Put<uint32_t>(bytes, value, alignment);
    ExpectInvalidAt(bytes, record, "general.alignment", "power of two");
  }
  Bytes bytes = good.bytes;
  Put<uint32_t>(bytes, value - 4, static_cast<uint32_t>(GgufType::kInt32));
  ExpectInvalidAt(bytes, record, "general.alignment", "power of two");
  // A tensor at a multiple of 32 but not of 64 is misaligned under this file's alignment.
  bytes = good.bytes;
  const uint64_t offset_field = good.After("blk.0.b") + 4 + 16 + 4;
  ASSERT_EQ(Get<uint64_t>(bytes, offset_field), 128u);
  Put<uint64_t>(bytes, offset_field, 160);
  ExpectInvalidAt(bytes, offset_field, "tensor 'blk.0.b'", "not a multiple of the alignment 64");
}

TEST(GgufCorruptionTest, DeeplyNestedArraysAreRefused) {
  GgufValue value = ArrayOf(GgufType::kUint8, {uint8_t{1}});
  for (int depth = 0; depth < 100; ++depth) value = ArrayOf(GgufType::kArray, {value});
  GgufWriter writer;
  writer.Set("deep", value);
  const std::string message = InvalidMessage(writer.Serialize());
  EXPECT_NE(message.find("metadata key 'deep'"), std::string::npos) << message;
  EXPECT_NE(message.find("nested"), std::string::npos) << message;
}

TEST(GgufCorruptionTest, TensorInfoFields) {
  const Specimen good = MakeSpecimen();
  const uint64_t b_record = good.Record("blk.0.b");
  const uint64_t b_dims = good.After("blk.0.b");
  const uint64_t b_type = b_dims + 4 + 16;
  const uint64_t b_offset = b_type + 4;
  ASSERT_EQ(Get<uint32_t>(good.bytes, b_type), static_cast<uint32_t>(TensorType::kQ8_0));
  ASSERT_EQ(Get<uint64_t>(good.bytes, b_offset), 128u);

  for (uint32_t type : {4u, 5u, 31u, 36u, 1000u}) {
    Bytes bytes = good.bytes;
    Put<uint32_t>(bytes, b_type, type);
    ExpectInvalidAt(bytes, b_type, "tensor 'blk.0.b'", "unknown tensor type " + std::to_string(type));
  }
  for (uint32_t dims : {0u, 5u, 0xFFFFFFFFu}) {
    Bytes bytes = good.bytes;
    Put<uint32_t>(bytes, b_dims, dims);
    ExpectInvalidAt(bytes, b_dims, "tensor 'blk.0.b'", "dimension count");
  }
  Bytes bytes = good.bytes;
  Put<uint64_t>(bytes, b_dims + 4, uint64_t{1} << 40);  // 2^40 x 2^40 elements
  Put<uint64_t>(bytes, b_dims + 12, uint64_t{1} << 40);
  ExpectInvalidAt(bytes, b_dims + 12, "tensor 'blk.0.b'", "overflows");
  bytes = good.bytes;
  Put<uint64_t>(bytes, b_dims + 12, 0);
  ExpectInvalidAt(bytes, b_dims + 12, "tensor 'blk.0.b'", "is 0");
  bytes = good.bytes;
  Put<uint64_t>(bytes, b_dims + 4, 16);  // half a Q8_0 block per row
  ExpectInvalidAt(bytes, b_dims, "tensor 'blk.0.b'", "block");

  bytes = good.bytes;
  Put<uint64_t>(bytes, b_offset, 129);
  ExpectInvalidAt(bytes, b_offset, "tensor 'blk.0.b'", "not a multiple of the alignment 32");
  bytes = good.bytes;
  Put<uint64_t>(bytes, b_offset, 64);  // inside blk.0.a's 128 bytes
  ExpectInvalidAt(bytes, b_record, "tensor 'blk.0.b'", "overlaps tensor 'blk.0.a'");
  bytes = good.bytes;
  Put<uint64_t>(bytes, b_offset, uint64_t{1} << 40);
  ExpectInvalidAt(bytes, b_record, "tensor 'blk.0.b'", "runs past the end");
  bytes = good.bytes;
  Put<uint64_t>(bytes, b_offset, 0xFFFFFFFFFFFFFFE0u);  // offset + size would wrap around
  ExpectInvalidAt(bytes, b_record, "tensor 'blk.0.b'", "runs past the end");
  bytes = good.bytes;
  Put<uint64_t>(bytes, b_dims + 12, 3);  // three rows: 102 bytes, past the end of the file
  ExpectInvalidAt(bytes, b_record, "tensor 'blk.0.b'", "runs past the end");

  bytes = good.bytes;
  bytes[Locate(bytes, "blk.0.b") + 6] = std::byte{'a'};
  ExpectInvalidAt(bytes, b_record, "tensor 'blk.0.a'", "duplicate tensor name");
}

// Raw little-endian pieces, for files the writer refuses to make.
template <typename T>
void Append(Bytes& bytes, T value) {
  const auto* raw = reinterpret_cast<const std::byte*>(&value);
  bytes.insert(bytes.end(), raw, raw + sizeof(T));
}
void AppendString(Bytes& bytes, const std::string& text) {
  Append<uint64_t>(bytes, text.size());
  for (char c : text) bytes.push_back(static_cast<std::byte>(c));
}

// A parsed array item costs ~40 bytes of memory, so the item count is capped: a 16 MB file of
// one uint8 array must not ask for 640 MB.
TEST(GgufCorruptionTest, MetadataArrayItemsAreCapped) {
  Bytes bytes;
  Append<uint32_t>(bytes, 0x46554747);
  Append<uint32_t>(bytes, 3);
  Append<uint64_t>(bytes, 0);  // tensors
  Append<uint64_t>(bytes, 1);  // keys
  AppendString(bytes, "huge");
  Append<uint32_t>(bytes, static_cast<uint32_t>(GgufType::kArray));
  Append<uint32_t>(bytes, static_cast<uint32_t>(GgufType::kUint8));
  const uint64_t count_at = bytes.size();
  Append<uint64_t>(bytes, 16'000'001);
  bytes.resize(bytes.size() + 16'000'001);
  const std::string message = InvalidMessage(bytes);
  EXPECT_NE(message.find("byte " + std::to_string(count_at) + ": metadata key 'huge'"), std::string::npos)
      << message;
  EXPECT_NE(message.find("array items"), std::string::npos) << message;
}

// llama.cpp keeps tensor names in 64-byte buffers; a longer name would not load there.
TEST(GgufCorruptionTest, TensorNamesLongerThanGgmlAllowsAreRefused) {
  for (const size_t length : {63u, 64u}) {
    Bytes bytes;
    Append<uint32_t>(bytes, 0x46554747);
    Append<uint32_t>(bytes, 3);
    Append<uint64_t>(bytes, 1);  // tensors
    Append<uint64_t>(bytes, 0);  // keys
    const uint64_t record_at = bytes.size();
    AppendString(bytes, std::string(length, 'w'));
    Append<uint32_t>(bytes, 1);   // dimensions
    Append<uint64_t>(bytes, 8);   // 8 F32 values
    Append<uint32_t>(bytes, 0);   // F32
    Append<uint64_t>(bytes, 0);   // offset
    bytes.resize((bytes.size() + 31) / 32 * 32 + 32);
    if (length == 63) {
      EXPECT_EQ(GgufFile::FromBytes(bytes).tensors().at(0).name.size(), 63u);
    } else {
      const std::string message = InvalidMessage(bytes);
      EXPECT_NE(message.find("byte " + std::to_string(record_at) + ": tensor 0"), std::string::npos) << message;
      EXPECT_NE(message.find("longer than 63"), std::string::npos) << message;
    }
  }
}

// Keys are checked for duplicates by hash: a scan per key made a 2 MB file of 100,000 keys take
// a minute to reject or accept.
TEST(GgufCorruptionTest, HundredsOfThousandsOfKeysParseInLinearTime) {
  constexpr uint64_t kKeys = 200000;
  Bytes bytes(24);
  std::memcpy(bytes.data(), "GGUF", 4);
  Put<uint32_t>(bytes, 4, 3);
  Put<uint64_t>(bytes, 8, 0);
  Put<uint64_t>(bytes, 16, kKeys);
  for (uint64_t i = 0; i < kKeys; ++i) {
    const std::string key = "key." + std::to_string(i);
    const size_t at = bytes.size();
    bytes.resize(at + 8 + key.size() + 4 + 1);
    Put<uint64_t>(bytes, at, key.size());
    std::memcpy(bytes.data() + at + 8, key.data(), key.size());
    Put<uint32_t>(bytes, at + 8 + key.size(), static_cast<uint32_t>(GgufType::kUint8));
  }
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(GgufFile::FromBytes(bytes).metadata().size(), kKeys);
  // A duplicate at the very end is still found.
  const std::string last = "key." + std::to_string(kKeys - 1);
  bytes[Locate(bytes, last) + last.size() - 1] = std::byte{'0'};
  EXPECT_NE(InvalidMessage(bytes).find("duplicate key"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

// Random damage must never crash or read out of bounds: either the file still parses (a changed
// letter in a string) and every view stays inside it, or the error names a byte offset.
void FlipEveryByte(const Bytes& original, uint64_t end, uint64_t stride) {
  Bytes bytes = original;
  for (uint64_t at = 0; at < end; at += stride) {
    for (uint8_t mask : {0xFF, 0x80, 0x01}) {
      bytes[at] = original[at] ^ std::byte{mask};
      try {
        const GgufFile file = GgufFile::FromBytes(bytes, "bad.gguf");
        TouchEverything(file);
      } catch (const EngineError& error) {
        EXPECT_EQ(error.kind(), EngineError::Kind::kInvalidInput);
        EXPECT_NE(std::string(error.what()).find("bad.gguf: byte "), std::string::npos)
            << "flip at " << at << ": " << error.what();
      }
    }
    bytes[at] = original[at];
  }
}

TEST(GgufCorruptionTest, FlippedBytesNeverCrash) {
  const Specimen specimen = MakeSpecimen(64);
  FlipEveryByte(specimen.bytes, specimen.bytes.size(), 1);
  GgufWriter writer;
  for (const GgufKeyValue& entry : EveryKindOfValue()) writer.Set(entry.key, entry.value);
  const Bytes values = writer.Serialize();
  FlipEveryByte(values, values.size(), 1);
}

TEST(GgufCorruptionTest, FlippedBytesInARealHeaderNeverCrash) {
  const Bytes original = ReadAll(SharedDir() / "models/stories260K.gguf");
  FlipEveryByte(original, GgufFile::FromBytes(original).data_offset(), 97);
}

}  // namespace
}  // namespace troupe::engine
