// A character's colours, read from its traits: the words of its personality, description and tags
// say whether it is warm or cool (the hue) and bright or dark (the lightness), and the lexicon's
// sentiment (base/sentiment_lexicon.h) how vivid (the saturation). A character whose words say
// neither warm nor cool gets its hue from a stable hash of its name, so two such characters still
// differ. Deterministic: the same traits give the same palette in every build. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace troupe::studio {

// What a picture is drawn from: a character's name and the words that describe it.
struct AvatarTraits {
  std::string name;
  std::string personality;
  std::string description;
  std::vector<std::string> tags;
};

struct Rgb {
  double red = 0;  // 0..1 each
  double green = 0;
  double blue = 0;
};

struct AvatarPalette {
  Rgb background;       // the gradient's start (top left)
  Rgb background_end;   // the gradient's end (bottom right)
  Rgb shape;            // the background shapes
  Rgb accent;           // every other shape, in a contrasting hue
  Rgb disc;             // the disc behind the initials
  Rgb ink;              // the initials: dark on a light disc, light on a dark one
  double hue = 0;       // of the background, in degrees [0, 360)
  std::string mood;     // "warm bright", "cool", "neutral dark", ...: which words decided
};

// FNV-1a (64-bit) over the traits, fields separated, so the hash is the same in every build
// (std::hash is not).
uint64_t TraitsHash(const AvatarTraits& traits);

AvatarPalette PaletteFor(const AvatarTraits& traits);

}  // namespace troupe::studio
