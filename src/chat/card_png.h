// Character Cards inside PNG images: base64 card JSON in a text chunk, `chara` (V2) and `ccv3`
// (V3). Reading accepts tEXt, zTXt and iTXt chunks and prefers `ccv3` when both are there (the V3
// spec says so); writing puts both `chara` and `ccv3` tEXt chunks right after IHDR and leaves every
// other chunk, the image included, byte for byte as it was.
//
// libpng and C++: libpng reports errors by longjmp, which would skip the destructors of any C++
// object alive between its setjmp and the failing call. So libpng is used only through its
// "simplified" API (png_image_*), which does the setjmp inside libpng and returns failure with a
// message; our frames hold no C++ objects across a libpng call that can jump. The chunk list is
// walked by our own code (CRCs checked with zlib), which is also what lets the image bytes stay
// untouched.
//
// Untrusted input: every length is checked against the bytes present, compressed text inflates to
// at most 64 MiB, and images larger than kMaxCardImagePixels are refused before any pixel memory is
// allocated.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "chat/card.h"
#include "store/records.h"

namespace troupe::chat {

// 16 megapixels (4096 x 4096): larger than any card art seen, small enough to decode safely.
inline constexpr uint64_t kMaxCardImagePixels = 4096ull * 4096ull;

// True when `bytes` starts with PNG's 8-byte signature.
bool IsPng(std::string_view bytes);

// The card inside a PNG, with ImportedCard::avatar_png set to the image without its card chunks.
// kInvalidArgument (field "png"): "not a PNG file (its signature is missing)"; "corrupt PNG: ..."
// (bad CRC, truncated, no IHDR/IEND, an image libpng cannot decode, naming the chunk and byte
// offset); "PNG image too large: ..."; "the PNG holds no character card (no chara or ccv3 text
// chunk)"; "the PNG's ccv3 chunk is not base64"; or the card's own JSON errors, prefixed with the
// chunk ("the PNG's ccv3 card: data.name: is required", field "data.name").
Result<ImportedCard> ParseCardPng(std::string_view png_bytes);

// `png_bytes` without any chara/ccv3 text chunks; the same errors as ParseCardPng for a file that
// is not a readable PNG.
Result<std::string> WithoutCardChunks(std::string_view png_bytes);

// `avatar_png` (or, when empty, DefaultAvatarPng(character.name)) with the card embedded as a V2
// `chara` chunk (its creator notes ending with kV3BackfillNote, as the V3 spec asks) and a V3
// `ccv3` chunk, replacing any card chunks it had. kInvalidArgument for an avatar that is not a
// readable PNG.
Result<std::string> CardPng(const store::Character& character, std::string_view avatar_png);

// A 256x256 PNG for a character without a picture: a colour from a hash of `name` with a lighter
// disc in the middle. The same name always gives the same bytes.
Result<std::string> DefaultAvatarPng(std::string_view name);

}  // namespace troupe::chat
