// Drawing the avatar (avatar.h). The picture is a list of shapes in unit coordinates ([0,1] both
// ways, y down) painted in order over a gradient; each output pixel averages a grid of samples,
// which is what anti-aliases the edges. Shapes test containment analytically, so any size draws
// the same picture.
#include "studio/avatar.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "studio/avatar_font_internal.h"
#include "base/split_mix64.h"

namespace troupe::studio {
namespace {

enum class AvatarShapeKind { kDisc, kRing, kStripe, kTriangle, kText };

using AvatarGlyph = std::array<std::string_view, kGlyphRows>;

struct AvatarShape {
  AvatarShapeKind kind = AvatarShapeKind::kDisc;
  double x = 0, y = 0;        // centre (disc, ring); a point on the stripe's axis; the text's top left
  double radius = 0;          // disc and ring (outer); half the stripe's width; a glyph cell's side
  double inner = 0;           // ring's inner radius
  double sine = 0, cosine = 0;  // of the stripe's direction, computed once
  double ax = 0, ay = 0, bx = 0, by = 0, cx = 0, cy = 0;  // triangle's corners
  std::vector<const AvatarGlyph*> glyphs;  // the text's letters, a blank column after each
  Rgb colour;
  double alpha = 1;

  bool Contains(double px, double py) const {
    switch (kind) {
      case AvatarShapeKind::kDisc:
        return (px - x) * (px - x) + (py - y) * (py - y) <= radius * radius;
      case AvatarShapeKind::kRing: {
        const double distance = (px - x) * (px - x) + (py - y) * (py - y);
        return distance <= radius * radius && distance >= inner * inner;
      }
      case AvatarShapeKind::kStripe:  // distance from the axis through (x, y) at `angle`
        return std::fabs((px - x) * sine - (py - y) * cosine) <= radius;
      case AvatarShapeKind::kTriangle: {
        const auto side = [&](double x0, double y0, double x1, double y1) {
          return (x1 - x0) * (py - y0) - (y1 - y0) * (px - x0);
        };
        const double d1 = side(ax, ay, bx, by), d2 = side(bx, by, cx, cy), d3 = side(cx, cy, ax, ay);
        return (d1 >= 0 && d2 >= 0 && d3 >= 0) || (d1 <= 0 && d2 <= 0 && d3 <= 0);
      }
      case AvatarShapeKind::kText: {
        if (px < x || py < y) return false;
        const auto column = static_cast<size_t>((px - x) / radius);
        const auto row = static_cast<size_t>((py - y) / radius);
        const size_t letter = column / (kGlyphColumns + 1);
        const size_t within = column % (kGlyphColumns + 1);
        if (letter >= glyphs.size() || row >= kGlyphRows || within >= kGlyphColumns) return false;
        return (*glyphs[letter])[row][within] == '#';
      }
    }
    return false;
  }
};

// SplitMix64: a tiny generator whose sequence is fixed by its seed in every build.
class AvatarRandom {
 public:
  explicit AvatarRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return SplitMix64(state_); }
  double Between(double low, double high) {  // uniform in [low, high)
    return low + (high - low) * static_cast<double>(Next() >> 11) / 9007199254740992.0;
  }
  int Below(int count) { return static_cast<int>(Next() % static_cast<uint64_t>(count)); }

 private:
  uint64_t state_;
};

// Shapes by kind; the fields a kind does not use stay zero.
AvatarShape AvatarDisc(double x, double y, double radius, Rgb colour, double alpha) {
  AvatarShape shape;
  shape.kind = AvatarShapeKind::kDisc, shape.x = x, shape.y = y, shape.radius = radius;
  shape.colour = colour, shape.alpha = alpha;
  return shape;
}

AvatarShape AvatarRing(double x, double y, double outer, double inner, Rgb colour, double alpha) {
  AvatarShape shape = AvatarDisc(x, y, outer, colour, alpha);
  shape.kind = AvatarShapeKind::kRing, shape.inner = inner;
  return shape;
}

AvatarShape AvatarStripe(double x, double y, double half_width, double angle, Rgb colour, double alpha) {
  AvatarShape shape = AvatarDisc(x, y, half_width, colour, alpha);
  shape.kind = AvatarShapeKind::kStripe, shape.sine = std::sin(angle), shape.cosine = std::cos(angle);
  return shape;
}

AvatarShape AvatarText(double left, double top, double cell, std::vector<const AvatarGlyph*> glyphs, Rgb colour) {
  AvatarShape shape = AvatarDisc(left, top, cell, colour, 1.0);
  shape.kind = AvatarShapeKind::kText, shape.glyphs = std::move(glyphs);
  return shape;
}

void AddBackgroundShapes(const AvatarPalette& palette, AvatarRandom& random, std::vector<AvatarShape>& shapes) {
  const auto colour_of = [&](int index) { return index % 3 == 2 ? palette.accent : palette.shape; };
  switch (random.Below(4)) {
    case 0: {  // bubbles
      const int count = 7 + random.Below(5);
      for (int i = 0; i < count; ++i) {
        const double x = random.Between(0, 1), y = random.Between(0, 1), radius = random.Between(0.05, 0.22);
        shapes.push_back(AvatarDisc(x, y, radius, colour_of(i), random.Between(0.45, 0.8)));
      }
      break;
    }
    case 1: {  // rings around a point off the centre
      const double x = random.Between(0.1, 0.9), y = random.Between(0.1, 0.9);
      const double width = random.Between(0.035, 0.06);
      for (int i = 0; i < 9; ++i) {
        const double outer = 0.12 + i * width * 2.2;
        shapes.push_back(AvatarRing(x, y, outer, outer - width, colour_of(i), 0.65));
      }
      break;
    }
    case 2: {  // stripes
      const double angle = random.Between(0.3, 1.3) + (random.Below(2) == 0 ? 0 : 1.57);
      const double width = random.Between(0.03, 0.07);
      for (int i = -6; i <= 6; ++i) {
        const double offset = i * width * 3.4;
        shapes.push_back(AvatarStripe(0.5 + offset * std::sin(angle), 0.5 - offset * std::cos(angle), width, angle,
                                      colour_of(i + 6), 0.6));
      }
      break;
    }
    default: {  // shards
      const int count = 6 + random.Below(4);
      for (int i = 0; i < count; ++i) {
        const double x = random.Between(0, 1), y = random.Between(0, 1), reach = random.Between(0.15, 0.4);
        AvatarShape shard;
        shard.kind = AvatarShapeKind::kTriangle;
        const double turn = random.Between(0, 6.283);
        shard.ax = x + reach * std::cos(turn), shard.ay = y + reach * std::sin(turn);
        shard.bx = x + reach * std::cos(turn + 2.2), shard.by = y + reach * std::sin(turn + 2.2);
        shard.cx = x + reach * 0.7 * std::cos(turn + 4.1), shard.cy = y + reach * 0.7 * std::sin(turn + 4.1);
        shard.colour = colour_of(i);
        shard.alpha = random.Between(0.5, 0.8);
        shapes.push_back(shard);
      }
      break;
    }
  }
}

// The disc and the initials on it, centred.
void AddInitials(const AvatarTraits& traits, const AvatarPalette& palette, std::vector<AvatarShape>& shapes) {
  shapes.push_back(AvatarDisc(0.5, 0.5, 0.34, palette.disc, 0.9));

  const std::string initials = AvatarInitials(traits.name);
  const int letters = static_cast<int>(initials.size());
  const int columns = letters * kGlyphColumns + (letters - 1);  // a blank column between letters
  const double cell = letters == 1 ? 0.05 : 0.04;
  const double left = 0.5 - columns * cell / 2;
  const double top = 0.5 - kGlyphRows * cell / 2;
  std::vector<const AvatarGlyph*> glyphs;
  for (const char letter : initials) {
    const AvatarGlyph* glyph = GlyphFor(letter);
    glyphs.push_back(glyph != nullptr ? glyph : GlyphFor(kAvatarSymbol));
  }
  shapes.push_back(AvatarText(left, top, cell, std::move(glyphs), palette.ink));
}

Rgb PaintSample(const AvatarPalette& palette, const std::vector<AvatarShape>& shapes, double x, double y) {
  const double along = std::clamp((x + y) / 2, 0.0, 1.0);
  Rgb colour{palette.background.red + (palette.background_end.red - palette.background.red) * along,
             palette.background.green + (palette.background_end.green - palette.background.green) * along,
             palette.background.blue + (palette.background_end.blue - palette.background.blue) * along};
  for (const AvatarShape& shape : shapes) {
    if (!shape.Contains(x, y)) continue;
    colour.red += (shape.colour.red - colour.red) * shape.alpha;
    colour.green += (shape.colour.green - colour.green) * shape.alpha;
    colour.blue += (shape.colour.blue - colour.blue) * shape.alpha;
  }
  return colour;
}

unsigned char ToByte(double value) {
  return static_cast<unsigned char>(std::lround(std::clamp(value, 0.0, 1.0) * 255.0));
}

std::vector<unsigned char> RenderPixels(const AvatarPalette& palette, const std::vector<AvatarShape>& shapes, int size) {
  // More samples per pixel where pixels are few, so small avatars stay smooth; 2x2 suffices at
  // 1024, where an edge pixel is a thousandth of the picture.
  const int samples = size <= 256 ? 4 : size <= 512 ? 3 : 2;
  const double step = 1.0 / (size * samples);
  std::vector<unsigned char> pixels(static_cast<size_t>(size) * size * 3);
  for (int row = 0; row < size; ++row) {
    for (int column = 0; column < size; ++column) {
      Rgb sum;
      for (int sy = 0; sy < samples; ++sy) {
        for (int sx = 0; sx < samples; ++sx) {
          const Rgb sample = PaintSample(palette, shapes, (column * samples + sx + 0.5) * step,
                                         (row * samples + sy + 0.5) * step);
          sum.red += sample.red, sum.green += sample.green, sum.blue += sample.blue;
        }
      }
      const double count = samples * samples;
      unsigned char* pixel = &pixels[(static_cast<size_t>(row) * size + column) * 3];
      pixel[0] = ToByte(sum.red / count);
      pixel[1] = ToByte(sum.green / count);
      pixel[2] = ToByte(sum.blue / count);
    }
  }
  return pixels;
}

Result<std::string> EncodeAvatarPng(const std::vector<unsigned char>& pixels, int size) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(size);
  image.height = static_cast<png_uint_32>(size);
  image.format = PNG_FORMAT_RGB;
  png_alloc_size_t bytes = 0;
  if (!png_image_write_to_memory(&image, nullptr, &bytes, 0, pixels.data(), 0, nullptr)) {
    return Internal(std::string("encoding the avatar as PNG failed: ") + image.message);
  }
  std::string out(bytes, '\0');
  if (!png_image_write_to_memory(&image, out.data(), &bytes, 0, pixels.data(), 0, nullptr)) {
    return Internal(std::string("encoding the avatar as PNG failed: ") + image.message);
  }
  out.resize(bytes);
  return out;
}

}  // namespace

AvatarTraits TraitsOf(const store::Character& character) {
  return {character.name, character.personality, character.description, character.tags};
}

Result<std::string> RenderAvatarPng(const AvatarTraits& traits, int size, uint64_t variation) {
  if (size < kMinAvatarSize || size > kMaxAvatarSize) {
    return InvalidArgument("the avatar size must be between " + std::to_string(kMinAvatarSize) + " and " +
                               std::to_string(kMaxAvatarSize) + " pixels (got " + std::to_string(size) + ")",
                           "size");
  }
  const AvatarPalette palette = PaletteFor(traits);
  AvatarRandom random(TraitsHash(traits) ^ (variation * kSplitMix64Gamma));
  std::vector<AvatarShape> shapes;
  AddBackgroundShapes(palette, random, shapes);
  AddInitials(traits, palette, shapes);
  return EncodeAvatarPng(RenderPixels(palette, shapes, size), size);
}

}  // namespace troupe::studio
