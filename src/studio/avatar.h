// The offline picture of a character: a square avatar drawn from its traits, so a fresh install
// with no image service still shows real pictures. The palette comes from the personality
// (avatar_palette.h); the background shapes (bubbles, rings, stripes or shards, their places and
// sizes) from a stable hash of the traits; the initials are drawn large on a disc in the middle
// (a star for a name with no Latin letter or digit). Edges are anti-aliased by supersampling.
// Deterministic: the same traits, size and variation give byte-identical PNG files in every build.
// Thread-safe; a 512-pixel avatar takes some tens of milliseconds on one core.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "store/records.h"
#include "studio/avatar_palette.h"

namespace troupe::studio {

inline constexpr int kMinAvatarSize = 64;
inline constexpr int kMaxAvatarSize = 1024;
inline constexpr int kDefaultAvatarSize = 512;

// A stored character's name, personality, description and tags.
AvatarTraits TraitsOf(const store::Character& character);

// The avatar as PNG bytes (8-bit RGB, `size` x `size`). `variation` other than 0 draws another
// arrangement of the same character's shapes (its palette and initials stay). kInvalidArgument
// (field "size") for a size outside [kMinAvatarSize, kMaxAvatarSize]; kInternal when libpng
// cannot encode.
Result<std::string> RenderAvatarPng(const AvatarTraits& traits, int size = kDefaultAvatarSize, uint64_t variation = 0);

}  // namespace troupe::studio
