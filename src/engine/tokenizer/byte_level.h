// GPT-2's byte-level alphabet: every byte 0..255 is shown as one printable character, so that a
// byte-level BPE vocabulary stores arbitrary bytes as text ("Ġ" is the space byte 0x20).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace troupe::engine::tokenization {

// The UTF-8 form of the character that stands for `byte`.
std::string_view ByteLevelCharacter(uint8_t byte);

// Each byte of `bytes` replaced by its character.
std::string ByteLevelEncode(std::string_view bytes);

// The bytes a byte-level token text stands for. A character outside the alphabet (a vocabulary
// that mixes in other text) is kept visible as "[UNK_BYTE_0x<hex>" + text + "]", as llama.cpp
// renders it, rather than dropped.
std::string ByteLevelDecode(std::string_view token_text);

}  // namespace troupe::engine::tokenization
