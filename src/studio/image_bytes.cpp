// Base64 and magic-byte checks for image_bytes.h.
#include "studio/image_bytes.h"

#include <cctype>
#include <cstdint>

namespace troupe::studio {

std::optional<std::string> DecodeImageBase64(std::string_view text) {
  static constexpr std::string_view kDataUrlMarker = ";base64,";
  if (text.substr(0, 5) == "data:") {
    const size_t marker = text.find(kDataUrlMarker);
    if (marker == std::string_view::npos) return std::nullopt;
    text.remove_prefix(marker + kDataUrlMarker.size());
  }
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t buffer = 0;
  int bits = 0;
  bool padding_seen = false;
  for (const char c : text) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    if (c == '=') {
      padding_seen = true;
      continue;
    }
    if (padding_seen) return std::nullopt;  // data after the padding is not base64
    const size_t value = c == '-' ? 62 : c == '_' ? 63 : kAlphabet.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    buffer = ((buffer << 6) | static_cast<uint32_t>(value)) & 0xFFFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

Result<std::string> ImageMimeOf(std::string_view bytes, const std::string& field) {
  if (bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return std::string("image/png");
  if (bytes.substr(0, 3) == "\xFF\xD8\xFF") return std::string("image/jpeg");
  if (bytes.size() >= 12 && bytes.substr(0, 4) == "RIFF" && bytes.substr(8, 4) == "WEBP") {
    return std::string("image/webp");
  }
  size_t first = 0;
  while (first < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[first]))) ++first;
  const std::string_view start = bytes.substr(first);
  std::string looks_like = std::to_string(bytes.size()) + " bytes that are not a PNG, JPEG or WebP image";
  if (bytes.empty()) {
    looks_like = "no bytes at all";
  } else if (!start.empty() && start[0] == '<') {
    looks_like = "markup (an HTML or XML page: \"" + Excerpt(start) + "\")";
  } else if (!start.empty() && (start[0] == '{' || start[0] == '[')) {
    looks_like = "JSON (\"" + Excerpt(start) + "\")";
  }
  return InvalidArgument("the image service sent " + looks_like + ", not a picture", field);
}

}  // namespace troupe::studio
