// The avatar's letters: a 5x7 bitmap font for A-Z and 0-9, drawn large enough that the cells'
// hard edges read as a deliberate, blocky face once supersampling smooths them. A name with no
// Latin letter or digit gets kAvatarSymbol, a four-pointed star, instead. Private to the studio library.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace troupe::studio {

inline constexpr int kGlyphColumns = 5;
inline constexpr int kGlyphRows = 7;
inline constexpr char kAvatarSymbol = '*';

// Rows top to bottom, '#' for ink; nullptr for a character the font lacks.
const std::array<std::string_view, kGlyphRows>* GlyphFor(char letter);

// Up to two letters: the first letters of the first and the last word (words ending in '.', such
// as "Dr.", skipped when others remain), upper-cased. Only ASCII letters and digits count; a name
// with none gives a single kAvatarSymbol.
std::string AvatarInitials(std::string_view name);

}  // namespace troupe::studio
