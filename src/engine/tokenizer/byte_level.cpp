#include "engine/tokenizer/byte_level.h"

#include <array>
#include <cstdio>
#include <vector>

#include "engine/tokenizer/utf8.h"

namespace troupe::engine::tokenization {
namespace {

// GPT-2 keeps the printable Latin-1 bytes as themselves and moves the other 68 (controls, space,
// DEL, NBSP, soft hyphen) to U+0100 onwards in byte order.
bool IsKeptAsItself(int byte) {
  return (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) ||
         (byte >= 0xAE && byte <= 0xFF);
}

struct Alphabet {
  std::array<std::string, 256> character_of_byte;
  std::array<int16_t, 512> byte_of_code_point;  // every mapped code point is below 0x144

  Alphabet() {
    byte_of_code_point.fill(-1);
    int next_moved = 256;
    for (int byte = 0; byte < 256; ++byte) {
      const int code_point = IsKeptAsItself(byte) ? byte : next_moved++;
      AppendUtf8(static_cast<uint32_t>(code_point), character_of_byte[byte]);
      byte_of_code_point[code_point] = static_cast<int16_t>(byte);
    }
  }
};

const Alphabet& TheAlphabet() {
  static const Alphabet alphabet;
  return alphabet;
}

}  // namespace

std::string_view ByteLevelCharacter(uint8_t byte) {
  return TheAlphabet().character_of_byte[byte];
}

std::string ByteLevelEncode(std::string_view bytes) {
  const Alphabet& alphabet = TheAlphabet();
  std::string encoded;
  encoded.reserve(bytes.size() * 2);
  for (char byte : bytes) {
    encoded += alphabet.character_of_byte[static_cast<uint8_t>(byte)];
  }
  return encoded;
}

std::string ByteLevelDecode(std::string_view token_text) {
  const Alphabet& alphabet = TheAlphabet();
  std::string decoded;
  decoded.reserve(token_text.size());
  for (uint32_t code_point : DecodeUtf8Lenient(token_text)) {
    if (code_point < alphabet.byte_of_code_point.size() &&
        alphabet.byte_of_code_point[code_point] >= 0) {
      decoded.push_back(static_cast<char>(alphabet.byte_of_code_point[code_point]));
      continue;
    }
    std::string utf8;
    AppendUtf8(code_point, utf8);
    decoded += "[UNK_BYTE_0x";
    for (char byte : utf8) {
      char hex[3];
      std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned>(static_cast<uint8_t>(byte)));
      decoded += hex;
    }
    decoded += token_text;
    decoded += "]";
  }
  return decoded;
}

}  // namespace troupe::engine::tokenization
