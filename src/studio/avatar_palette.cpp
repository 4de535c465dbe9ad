// Trait words to colours (avatar_palette.h). The word lists are short on purpose: they hold the
// adjectives character cards use most for temperament, and a miss only means the hash decides.
#include "studio/avatar_palette.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string_view>

#include "base/sentiment_lexicon.h"

namespace troupe::studio {
namespace {

constexpr std::array<std::string_view, 30> kWarmWords = {
    "friendly", "warm", "kind", "hearted", "passionate", "playful", "cheerful", "affectionate",
    "caring", "loving", "eager", "excited", "enthusiastic", "bold", "fiery", "energetic",
    "talkative", "loyal", "generous", "flirty", "romantic", "bubbly", "lively", "humorous",
    "funny", "sunny", "outgoing", "cozy", "impulsive", "hot"};
constexpr std::array<std::string_view, 28> kCoolWords = {
    "calm", "patient", "precise", "practical", "analytical", "logical", "reserved", "serene",
    "wise", "attentive", "professional", "stoic", "quiet", "thoughtful", "methodical", "composed",
    "cold", "distant", "rational", "careful", "formal", "polite", "firm", "collected",
    "aloof", "icy", "scholarly", "judgemental"};
constexpr std::array<std::string_view, 18> kBrightWords = {
    "cheerful", "bubbly", "optimistic", "eager", "excited", "energetic", "playful", "sunny", "joyful",
    "hopeful", "whimsical", "curious", "lively", "wholesome", "fantasy", "magical", "bright", "radiant"};
constexpr std::array<std::string_view, 20> kDarkWords = {
    "mysterious", "brooding", "gloomy", "cynical", "sarcastic", "grim", "dark", "sinister",
    "melancholic", "melancholy", "sad", "villain", "ruthless", "menacing", "horror", "gothic",
    "stern", "serious", "shadowy", "vampire"};

// Lowercase ASCII words; other bytes separate words (a non-Latin trait simply finds no match).
std::vector<std::string> PaletteWords(const AvatarTraits& traits) {
  std::string text = traits.personality + " " + traits.description;
  for (const std::string& tag : traits.tags) text += " " + tag;
  std::vector<std::string> words;
  std::string word;
  for (const char c : text + " ") {
    if (std::isalpha(static_cast<unsigned char>(c)) != 0 && static_cast<unsigned char>(c) < 0x80) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      words.push_back(word);
      word.clear();
    }
  }
  return words;
}

template <size_t N>
int CountListed(const std::vector<std::string>& words, const std::array<std::string_view, N>& list) {
  return static_cast<int>(std::count_if(words.begin(), words.end(), [&](const std::string& word) {
    return std::find(list.begin(), list.end(), word) != list.end();
  }));
}

Rgb PaletteFromHsl(double hue, double saturation, double lightness) {
  hue = std::fmod(std::fmod(hue, 360.0) + 360.0, 360.0);
  saturation = std::clamp(saturation, 0.0, 1.0);
  lightness = std::clamp(lightness, 0.0, 1.0);
  const double chroma = (1 - std::fabs(2 * lightness - 1)) * saturation;
  const double sector = hue / 60.0;
  const double second = chroma * (1 - std::fabs(std::fmod(sector, 2.0) - 1));
  double red = 0, green = 0, blue = 0;
  switch (static_cast<int>(sector)) {
    case 0: red = chroma, green = second; break;
    case 1: red = second, green = chroma; break;
    case 2: green = chroma, blue = second; break;
    case 3: green = second, blue = chroma; break;
    case 4: red = second, blue = chroma; break;
    default: red = chroma, blue = second; break;
  }
  const double lift = lightness - chroma / 2;
  return {red + lift, green + lift, blue + lift};
}

}  // namespace

uint64_t TraitsHash(const AvatarTraits& traits) {
  uint64_t hash = 14695981039346656037ull;
  const auto mix = [&hash](std::string_view field) {
    for (const char c : field) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    hash = (hash ^ 0xFFu) * 1099511628211ull;  // a separator no UTF-8 text holds
  };
  mix(traits.name);
  mix(traits.personality);
  mix(traits.description);
  for (const std::string& tag : traits.tags) mix(tag);
  return hash;
}

AvatarPalette PaletteFor(const AvatarTraits& traits) {
  const std::vector<std::string> words = PaletteWords(traits);
  const int warm = CountListed(words, kWarmWords);
  const int cool = CountListed(words, kCoolWords);
  const int bright = CountListed(words, kBrightWords);
  const int dark = CountListed(words, kDarkWords);
  const uint64_t hash = TraitsHash(traits);
  // A small turn of the hue from the hash, so two characters of the same temperament differ.
  const double jitter = static_cast<double>(hash % 41) - 20.0;

  AvatarPalette palette;
  const double warmth = std::clamp((warm - cool) / 2.0, -1.0, 1.0);  // two words of a side say it clearly
  if (warm == 0 && cool == 0) {
    palette.hue = static_cast<double>((hash >> 8) % 360);
    palette.mood = "neutral";
  } else {
    // Warm runs from green-yellow (120) to orange-red (15), cool from 120 to blue (220).
    const double hue = warmth >= 0 ? 120 - 105 * warmth : 120 - 100 * warmth;
    palette.hue = std::fmod(hue + jitter + 360.0, 360.0);
    palette.mood = warmth > 0 ? "warm" : warmth < 0 ? "cool" : "neutral";
  }
  const double energy = std::clamp((bright - dark) / 2.0, -1.0, 1.0);
  if (energy > 0) palette.mood += " bright";
  if (energy < 0) palette.mood += " dark";
  const double valence = LexiconSentiment(traits.personality);

  const double lightness = 0.42 + 0.14 * energy;
  const double saturation = std::clamp(0.5 + 0.25 * std::fabs(valence) + 0.1 * energy, 0.25, 0.9);
  const double accent_turn = (hash >> 20) % 2 == 0 ? 150.0 : 210.0;
  palette.background = PaletteFromHsl(palette.hue, saturation, lightness);
  palette.background_end = PaletteFromHsl(palette.hue + 25, saturation, lightness - 0.14);
  palette.shape = PaletteFromHsl(palette.hue - 30, saturation * 0.9, lightness + 0.16);
  palette.accent = PaletteFromHsl(palette.hue + accent_turn, std::min(saturation + 0.15, 1.0), 0.55 + 0.1 * energy);
  const bool light_disc = energy >= 0;
  palette.disc = PaletteFromHsl(palette.hue, 0.3, light_disc ? 0.94 : 0.12);
  palette.ink = PaletteFromHsl(palette.hue, saturation, light_disc ? 0.22 : 0.86);
  return palette;
}

}  // namespace troupe::studio
