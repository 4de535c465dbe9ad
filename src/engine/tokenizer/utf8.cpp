#include "engine/tokenizer/utf8.h"

namespace troupe::engine::tokenization {

size_t Utf8SequenceLength(unsigned char lead) {
  static constexpr size_t kLengthByHighNibble[16] = {1, 1, 1, 1, 1, 1, 1, 1,
                                                     1, 1, 1, 1, 2, 2, 3, 4};
  return kLengthByHighNibble[lead >> 4];
}

namespace {

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// One character at `offset` per llama.cpp's rules; returns false (and leaves `offset`) when the
// byte there does not start a well-formed sequence.
bool ReadLenient(std::string_view text, size_t& offset, uint32_t& code_point) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[offset + i]); };
  const unsigned char lead = byte(0);
  size_t length = 0;
  uint32_t value = 0;
  if ((lead & 0x80) == 0) {
    length = 1;
    value = lead;
  } else if ((lead & 0x40) == 0) {
    return false;
  } else if ((lead & 0x20) == 0) {
    length = 2;
    value = lead & 0x1F;
  } else if ((lead & 0x10) == 0) {
    length = 3;
    value = lead & 0x0F;
  } else if ((lead & 0x08) == 0) {
    length = 4;
    value = lead & 0x07;
  } else {
    return false;
  }
  if (offset + length > text.size()) {
    return false;
  }
  for (size_t i = 1; i < length; ++i) {
    if (!IsContinuation(byte(i))) {
      return false;
    }
    value = (value << 6) | (byte(i) & 0x3F);
  }
  offset += length;
  code_point = value;
  return true;
}

}  // namespace

std::vector<uint32_t> DecodeUtf8Lenient(std::string_view text) {
  std::vector<uint32_t> code_points;
  code_points.reserve(text.size());
  size_t offset = 0;
  while (offset < text.size()) {
    uint32_t code_point = 0;
    if (ReadLenient(text, offset, code_point)) {
      code_points.push_back(code_point);
    } else {
      code_points.push_back(kReplacementCharacter);
      ++offset;
    }
  }
  return code_points;
}

void AppendUtf8(uint32_t code_point, std::string& out) {
  if (code_point > 0x10FFFF) {
    code_point = kReplacementCharacter;
  }
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

int CompleteUtf8Prefix(std::string_view bytes) {
  if (bytes.empty()) {
    return 0;
  }
  const auto lead = static_cast<unsigned char>(bytes[0]);
  if (lead < 0x80) {
    return 1;
  }
  int length = 0;
  // The allowed range of the second byte narrows for E0, ED, F0 and F4 so that overlong forms,
  // surrogates and values past U+10FFFF are rejected at the earliest byte.
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;
    if (lead == 0xED) second_max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else {
    return -1;
  }
  for (int i = 1; i < length; ++i) {
    if (static_cast<size_t>(i) >= bytes.size()) {
      return 0;
    }
    const auto byte = static_cast<unsigned char>(bytes[i]);
    const unsigned char low = i == 1 ? second_min : 0x80;
    const unsigned char high = i == 1 ? second_max : 0xBF;
    if (byte < low || byte > high) {
      return -i;
    }
  }
  return length;
}

}  // namespace troupe::engine::tokenization
