// UTF-8 reading and writing the way llama.cpp's tokenizers do it, so that odd input (overlong
// forms, surrogates, stray bytes) tokenizes the same here as there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::engine::tokenization {

inline constexpr uint32_t kReplacementCharacter = 0xFFFD;

// Bytes in the character that starts with `lead`, judged from its top four bits only (1 for a
// continuation byte). Callers clamp it to what is left of the text.
size_t Utf8SequenceLength(unsigned char lead);

// Code points of `text`, read leniently: a well-formed lead byte with enough continuation bytes
// gives its value (overlong forms and surrogates included); any other byte gives U+FFFD and
// reading resumes at the next byte.
std::vector<uint32_t> DecodeUtf8Lenient(std::string_view text);

// Appends the UTF-8 form of `code_point`; values above U+10FFFF are written as U+FFFD.
// Surrogates are written as their three-byte form, as llama.cpp does.
void AppendUtf8(uint32_t code_point, std::string& out);

// Reads the character at the start of `bytes` strictly (no overlong forms, no surrogates,
// nothing above U+10FFFF): its length (1..4) when it is complete; 0 when `bytes` is a proper
// prefix of a valid character (more bytes may complete it); -n when the first n bytes (n >= 1)
// are a maximal invalid subpart, to be shown as one U+FFFD per Unicode's recommendation.
int CompleteUtf8Prefix(std::string_view bytes);

}  // namespace troupe::engine::tokenization
