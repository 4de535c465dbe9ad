// Card PNGs: see card_png.h for why libpng is used only through its simplified API.
#include "chat/card_png.h"

#include <png.h>
#include <zlib.h>

#include <cstring>
#include <memory>
#include <optional>
#include <vector>

namespace troupe::chat {
namespace {

constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

uint32_t ReadU32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void WriteU32(std::string& out, uint32_t value) {
  out += static_cast<char>(value >> 24);
  out += static_cast<char>(value >> 16);
  out += static_cast<char>(value >> 8);
  out += static_cast<char>(value);
}

struct Chunk {
  std::string type;
  size_t offset = 0;  // of the length field
  size_t size = 0;    // of the whole chunk, length to CRC
  std::string_view data;
};

Status Corrupt(const std::string& why) { return Status(StatusCode::kInvalidArgument, "corrupt PNG: " + why, "png"); }

Result<std::vector<Chunk>> Chunks(std::string_view bytes) {
  if (!IsPng(bytes)) return Status(StatusCode::kInvalidArgument, "not a PNG file (its signature is missing)", "png");
  std::vector<Chunk> chunks;
  const auto* base = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t at = 8;
  while (at < bytes.size()) {
    if (bytes.size() - at < 12) return Corrupt("truncated chunk header at byte " + std::to_string(at));
    const uint32_t length = ReadU32(base + at);
    if (length > bytes.size() - at - 12) {
      return Corrupt("chunk at byte " + std::to_string(at) + " claims " + std::to_string(length) +
                     " bytes, more than the file holds");
    }
    Chunk chunk;
    chunk.type.assign(bytes.data() + at + 4, 4);
    chunk.offset = at;
    chunk.size = 12 + length;
    chunk.data = bytes.substr(at + 8, length);
    const uint32_t expected = ReadU32(base + at + 8 + length);
    const uLong actual = crc32(crc32(0, nullptr, 0), base + at + 4, length + 4);
    if (expected != actual) return Corrupt("bad CRC in the " + chunk.type + " chunk at byte " + std::to_string(at));
    chunks.push_back(chunk);
    at += chunk.size;
    if (chunks.back().type == "IEND") break;
  }
  if (chunks.empty() || chunks.front().type != "IHDR") return Corrupt("the first chunk is not IHDR");
  if (chunks.front().data.size() != 13) return Corrupt("the IHDR chunk is not 13 bytes long");
  if (chunks.back().type != "IEND") return Corrupt("the file ends before its IEND chunk");
  const auto* header = reinterpret_cast<const unsigned char*>(chunks.front().data.data());
  const uint64_t width = ReadU32(header), height = ReadU32(header + 4);
  if (width == 0 || height == 0) return Corrupt("the IHDR chunk gives an empty image");
  if (width * height > kMaxCardImagePixels) {
    return Status(StatusCode::kInvalidArgument,
                  "PNG image too large: " + std::to_string(width) + "x" + std::to_string(height) + " pixels, more than " +
                      std::to_string(kMaxCardImagePixels) + " (4096x4096)",
                  "png");
  }
  return chunks;
}

// The text of a tEXt, zTXt or iTXt chunk with this keyword, if it is one.
std::optional<std::string> TextOf(const Chunk& chunk, std::string_view keyword) {
  std::string_view data = chunk.data;
  const size_t zero = data.find('\0');
  if (zero == std::string_view::npos || data.substr(0, zero) != keyword) return std::nullopt;
  data.remove_prefix(zero + 1);
  auto decompress = [](std::string_view compressed) -> std::optional<std::string> {
    z_stream stream{};
    if (inflateInit(&stream) != Z_OK) return std::nullopt;
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    stream.avail_in = static_cast<uInt>(compressed.size());
    std::string out;
    char buffer[16384];
    int result = Z_OK;
    while (result == Z_OK) {
      stream.next_out = reinterpret_cast<Bytef*>(buffer);
      stream.avail_out = sizeof(buffer);
      result = inflate(&stream, Z_NO_FLUSH);
      out.append(buffer, sizeof(buffer) - stream.avail_out);
      if (out.size() > (64u << 20)) result = Z_DATA_ERROR;  // a bomb, not a card
    }
    inflateEnd(&stream);
    if (result != Z_STREAM_END) return std::nullopt;
    return out;
  };
  if (chunk.type == "tEXt") return std::string(data);
  if (chunk.type == "zTXt") {
    if (data.empty()) return std::nullopt;
    return decompress(data.substr(1));
  }
  if (chunk.type == "iTXt") {
    if (data.size() < 2) return std::nullopt;
    const bool compressed = data[0] != 0;
    data.remove_prefix(2);
    for (int skip = 0; skip < 2; ++skip) {  // language tag, translated keyword
      const size_t end = data.find('\0');
      if (end == std::string_view::npos) return std::nullopt;
      data.remove_prefix(end + 1);
    }
    return compressed ? decompress(data) : std::optional<std::string>(std::string(data));
  }
  return std::nullopt;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r' || c == ' ') continue;
    const size_t value = c == '-' ? 62 : c == '_' ? 63 : kAlphabet.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                       (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) | static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (i + 1 < bytes.size()) n |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string TextChunk(std::string_view keyword, std::string_view text) {
  std::string body;
  body += "tEXt";
  body += keyword;
  body += '\0';
  body += text;
  std::string chunk;
  WriteU32(chunk, static_cast<uint32_t>(body.size() - 4));
  chunk += body;
  WriteU32(chunk, static_cast<uint32_t>(crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(body.data()),
                                              static_cast<uInt>(body.size()))));
  return chunk;
}

// Checks that libpng can decode the image (the chunk walk checks only the container).
Status CheckImage(std::string_view bytes) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    Status status = Corrupt(image.message);
    png_image_free(&image);
    return status;
  }
  // One grey byte per pixel is enough to prove the image decodes; the size was bounded by Chunks.
  image.format = PNG_FORMAT_GRAY;
  const std::unique_ptr<unsigned char[]> pixels(new unsigned char[PNG_IMAGE_SIZE(image)]);
  const bool ok = png_image_finish_read(&image, nullptr, pixels.get(), 0, nullptr) != 0;
  Status status = ok ? Status::Ok() : Corrupt(image.message);
  png_image_free(&image);
  return status;
}

std::string WithoutCardChunks(std::string_view png_bytes, const std::vector<Chunk>& chunks) {
  std::string out(reinterpret_cast<const char*>(kSignature), 8);
  for (const Chunk& chunk : chunks) {
    if (TextOf(chunk, "chara") || TextOf(chunk, "ccv3")) continue;
    out.append(png_bytes.substr(chunk.offset, chunk.size));
  }
  return out;
}

}  // namespace

Result<std::string> DefaultAvatarPng(std::string_view name) {
  uint32_t hash = 2166136261u;
  for (char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;  // FNV-1a
  const unsigned char r = static_cast<unsigned char>(60 + (hash & 0x7F));
  const unsigned char g = static_cast<unsigned char>(60 + ((hash >> 8) & 0x7F));
  const unsigned char b = static_cast<unsigned char>(60 + ((hash >> 16) & 0x7F));
  constexpr int kSize = 256;
  std::vector<unsigned char> pixels(kSize * kSize * 4);
  for (int y = 0; y < kSize; ++y) {
    for (int x = 0; x < kSize; ++x) {
      const int dx = x - kSize / 2, dy = y - kSize / 2;
      const bool disc = dx * dx + dy * dy < (kSize / 3) * (kSize / 3);
      unsigned char* p = &pixels[(y * kSize + x) * 4];
      p[0] = disc ? static_cast<unsigned char>((r + 255) / 2) : r;
      p[1] = disc ? static_cast<unsigned char>((g + 255) / 2) : g;
      p[2] = disc ? static_cast<unsigned char>((b + 255) / 2) : b;
      p[3] = 255;
    }
  }
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = kSize;
  image.height = kSize;
  image.format = PNG_FORMAT_RGBA;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data(), 0, nullptr)) {
    return Status(StatusCode::kInternal, std::string("writing the avatar failed: ") + image.message);
  }
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, pixels.data(), 0, nullptr)) {
    return Status(StatusCode::kInternal, std::string("writing the avatar failed: ") + image.message);
  }
  out.resize(size);
  return out;
}

bool IsPng(std::string_view bytes) {
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kSignature, 8) == 0;
}

Result<ImportedCard> ParseCardPng(std::string_view png_bytes) {
  TROUPE_ASSIGN_OR_RETURN(std::vector<Chunk> chunks, Chunks(png_bytes));
  TROUPE_RETURN_IF_ERROR(CheckImage(png_bytes));
  std::optional<std::string> v3, v2;
  for (const Chunk& chunk : chunks) {
    if (!v3) v3 = TextOf(chunk, "ccv3");
    if (!v2) v2 = TextOf(chunk, "chara");
  }
  const bool use_v3 = v3.has_value();
  const std::optional<std::string>& encoded = use_v3 ? v3 : v2;
  if (!encoded) {
    return Status(StatusCode::kInvalidArgument, "the PNG holds no character card (no chara or ccv3 text chunk)", "png");
  }
  const char* keyword = use_v3 ? "ccv3" : "chara";
  std::optional<std::string> json_text = Base64Decode(*encoded);
  if (!json_text) {
    return Status(StatusCode::kInvalidArgument, std::string("the PNG's ") + keyword + " chunk is not base64", "png");
  }
  Result<ImportedCard> card = ParseCardJson(*json_text);
  if (!card.ok()) {
    return Status(card.status().code(), std::string("the PNG's ") + keyword + " card: " + card.status().message(),
                  card.status().field());
  }
  card->avatar_png = WithoutCardChunks(png_bytes, chunks);
  return card;
}

Result<std::string> WithoutCardChunks(std::string_view png_bytes) {
  TROUPE_ASSIGN_OR_RETURN(std::vector<Chunk> chunks, Chunks(png_bytes));
  return WithoutCardChunks(png_bytes, chunks);
}

Result<std::string> CardPng(const store::Character& character, std::string_view avatar_png) {
  std::string generated;
  if (avatar_png.empty()) {
    TROUPE_ASSIGN_OR_RETURN(generated, DefaultAvatarPng(character.name));
    avatar_png = generated;
  }
  // The container is checked; the pixels were when the avatar was imported, and are not touched.
  TROUPE_ASSIGN_OR_RETURN(std::vector<Chunk> chunks, Chunks(avatar_png));
  store::Character backfilled = character;
  backfilled.creator_notes += backfilled.creator_notes.empty() ? "" : "\n\n";
  backfilled.creator_notes += kV3BackfillNote;
  std::string out(reinterpret_cast<const char*>(kSignature), 8);
  for (const Chunk& chunk : chunks) {
    if (TextOf(chunk, "chara") || TextOf(chunk, "ccv3")) continue;  // the old card goes
    out.append(avatar_png.substr(chunk.offset, chunk.size));
    if (chunk.type == "IHDR") {
      out += TextChunk("chara", Base64Encode(CardJson(backfilled, CardSpec::kV2)));
      out += TextChunk("ccv3", Base64Encode(CardJson(character, CardSpec::kV3)));
    }
  }
  return out;
}

}  // namespace troupe::chat
