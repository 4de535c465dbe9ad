// The offline avatar: deterministic, the size asked for, distinct between characters by a measured
// distance, and drawn for any name.
#include "studio/avatar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "avatar_png_decode.h"
#include "chat/card.h"
#include "studio/avatar_font_internal.h"

namespace troupe::studio {
namespace {

using ::testing::HasSubstr;
using testing::DecodedPicture;
using testing::DecodePngToRgb;

// The example characters that ship with Troupe; a missing file fails the test.
AvatarTraits ExampleTraits(const std::string& file) {
  const std::string path = std::string(TROUPE_SOURCE_DIR) + "/examples/characters/" + file;
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  Result<chat::ImportedCard> card = chat::ParseCardJson(text.str());
  EXPECT_TRUE(card.ok()) << path << ": " << card.status().ToString();
  return card.ok() ? TraitsOf(card->character) : AvatarTraits{};
}

AvatarTraits NamedTraits(const std::string& name, const std::string& personality = "") {
  AvatarTraits traits;
  traits.name = name;
  traits.personality = personality;
  return traits;
}

DecodedPicture RenderDecoded(const AvatarTraits& traits, int size, uint64_t variation = 0) {
  Result<std::string> png = RenderAvatarPng(traits, size, variation);
  EXPECT_TRUE(png.ok()) << png.status().ToString();
  DecodedPicture picture = png.ok() ? DecodePngToRgb(*png) : DecodedPicture{};
  EXPECT_TRUE(picture.ok) << "the avatar does not decode";
  return picture;
}

// Mean absolute difference of the RGB channels over all pixels, 0..255.
double MeanAbsoluteDifference(const DecodedPicture& a, const DecodedPicture& b) {
  EXPECT_EQ(a.rgb.size(), b.rgb.size());
  if (a.rgb.empty() || a.rgb.size() != b.rgb.size()) return 0;
  double sum = 0;
  for (size_t i = 0; i < a.rgb.size(); ++i) sum += std::abs(int{a.rgb[i]} - int{b.rgb[i]});
  return sum / static_cast<double>(a.rgb.size());
}

double ColourDistance(const Rgb& a, const Rgb& b) {
  return std::sqrt((a.red - b.red) * (a.red - b.red) + (a.green - b.green) * (a.green - b.green) +
                   (a.blue - b.blue) * (a.blue - b.blue));
}

TEST(AvatarTest, SameTraitsGiveByteIdenticalPng) {
  const AvatarTraits pip = ExampleTraits("pip_apprentice_wizard.json");
  Result<std::string> first = RenderAvatarPng(pip, 128);
  Result<std::string> second = RenderAvatarPng(AvatarTraits(pip), 128);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(first->substr(1, 3), "PNG");
}

TEST(AvatarTest, DecodesToTheRequestedSize) {
  const AvatarTraits juno = ExampleTraits("juno_telecom_support.json");
  for (const int size : {kMinAvatarSize, 333, kDefaultAvatarSize, kMaxAvatarSize}) {
    const DecodedPicture picture = RenderDecoded(juno, size);
    EXPECT_EQ(picture.width, size);
    EXPECT_EQ(picture.height, size);
  }
}

TEST(AvatarTest, SizesOutsideTheRangeAreRefusedNamingTheSize) {
  for (const int size : {0, kMinAvatarSize - 1, kMaxAvatarSize + 1, -5}) {
    Result<std::string> png = RenderAvatarPng(NamedTraits("Pip"), size);
    ASSERT_FALSE(png.ok());
    EXPECT_EQ(png.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(png.status().field(), "size");
    EXPECT_THAT(png.status().message(), HasSubstr("between 64 and 1024"));
  }
}

// Two pictures a viewer would tell apart at a glance differ in most pixels by tens of levels; a
// mean of 20 levels (about 8% of the range) over every channel of every pixel is far above what a
// changed glyph or a slightly turned hue alone could produce, since the initials cover under a
// tenth of the picture and a 20-degree turn of the hue moves a channel by some 15 levels.
constexpr double kDistinctPictures = 20.0;

TEST(AvatarTest, TheExampleCharactersDifferByAMeasuredDistance) {
  const std::vector<AvatarTraits> characters = {ExampleTraits("juno_telecom_support.json"),
                                                ExampleTraits("maren_relationship_advisor.json"),
                                                ExampleTraits("pip_apprentice_wizard.json")};
  std::vector<DecodedPicture> pictures;
  for (const AvatarTraits& traits : characters) pictures.push_back(RenderDecoded(traits, 128));
  for (size_t a = 0; a < characters.size(); ++a) {
    for (size_t b = a + 1; b < characters.size(); ++b) {
      const double distance = MeanAbsoluteDifference(pictures[a], pictures[b]);
      EXPECT_GT(distance, kDistinctPictures) << characters[a].name << " vs " << characters[b].name;
      RecordProperty(characters[a].name + " vs " + characters[b].name, std::to_string(distance));
      const AvatarPalette first = PaletteFor(characters[a]);
      const AvatarPalette second = PaletteFor(characters[b]);
      EXPECT_GT(ColourDistance(first.background, second.background), 0.1)
          << characters[a].name << " vs " << characters[b].name;
    }
  }
}

TEST(AvatarTest, PersonalityWordsDecideTheTemperature) {
  const AvatarPalette pip = PaletteFor(ExampleTraits("pip_apprentice_wizard.json"));
  const AvatarPalette maren = PaletteFor(ExampleTraits("maren_relationship_advisor.json"));
  EXPECT_EQ(pip.mood, "warm bright");
  EXPECT_THAT(maren.mood, HasSubstr("cool"));
  EXPECT_GT(pip.background.red, pip.background.blue);
  EXPECT_GT(maren.background.blue, maren.background.red);

  const AvatarPalette brooding = PaletteFor(NamedTraits("Vex", "mysterious, brooding, sarcastic"));
  const AvatarPalette sunny = PaletteFor(NamedTraits("Vex", "cheerful, bubbly, optimistic"));
  const auto luminance = [](const Rgb& c) { return 0.2126 * c.red + 0.7152 * c.green + 0.0722 * c.blue; };
  EXPECT_LT(luminance(brooding.background), luminance(sunny.background));
  // Light initials on the dark one's disc, dark initials on the bright one's: legible either way.
  EXPECT_GT(luminance(brooding.ink), luminance(brooding.disc) + 0.5);
  EXPECT_LT(luminance(sunny.ink), luminance(sunny.disc) - 0.5);
}

TEST(AvatarTest, NamesWithoutTemperamentWordsStillDiffer) {
  const DecodedPicture ada = RenderDecoded(NamedTraits("Ada"), 96);
  const DecodedPicture bo = RenderDecoded(NamedTraits("Bo"), 96);
  EXPECT_GT(MeanAbsoluteDifference(ada, bo), kDistinctPictures);
}

TEST(AvatarTest, ANonLatinNameRendersWithASymbol) {
  EXPECT_EQ(AvatarInitials("Анна Каренина"), std::string(1, kAvatarSymbol));
  EXPECT_EQ(AvatarInitials("山田 花子"), std::string(1, kAvatarSymbol));
  EXPECT_EQ(AvatarInitials(""), std::string(1, kAvatarSymbol));
  const DecodedPicture anna = RenderDecoded(NamedTraits("Анна Каренина", "спокойная"), 96);
  EXPECT_EQ(anna.width, 96);
}

TEST(AvatarTest, InitialsAreTheFirstAndLastWordsLetters) {
  EXPECT_EQ(AvatarInitials("Dr. Maren Holt"), "MH");
  EXPECT_EQ(AvatarInitials("Pip Thistlewick"), "PT");
  EXPECT_EQ(AvatarInitials("juno"), "J");
  EXPECT_EQ(AvatarInitials("Jean Luc  Picard"), "JP");
  EXPECT_EQ(AvatarInitials("R2 D2"), "RD");
  EXPECT_EQ(AvatarInitials("Zoë 7"), "Z7");
  for (char c = 'A'; c <= 'Z'; ++c) EXPECT_NE(GlyphFor(c), nullptr) << c;
  for (char c = '0'; c <= '9'; ++c) EXPECT_NE(GlyphFor(c), nullptr) << c;
}

TEST(AvatarTest, AVariationRearrangesTheShapesButKeepsThePalette) {
  const AvatarTraits maren = ExampleTraits("maren_relationship_advisor.json");
  const DecodedPicture own = RenderDecoded(maren, 96);
  const DecodedPicture other = RenderDecoded(maren, 96, 7);
  EXPECT_GT(MeanAbsoluteDifference(own, other), 1.0);
  // Above the letters the disc covers the shapes, letting a tenth of them through (alpha 0.9), so
  // a pixel there changes by at most a tenth of the full range whatever the shapes do.
  const size_t above_letters = (static_cast<size_t>(96) * 24 + 48) * 3;
  for (size_t channel = 0; channel < 3; ++channel) {
    EXPECT_LE(std::abs(int{own.rgb[above_letters + channel]} - int{other.rgb[above_letters + channel]}), 26);
  }
}

}  // namespace
}  // namespace troupe::studio
