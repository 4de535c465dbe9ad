// Decoding PNG bytes back to pixels, so the studio's picture tests measure what a viewer sees.
#pragma once

#include <png.h>

#include <string>
#include <vector>

namespace troupe::testing {

struct DecodedPicture {
  bool ok = false;
  int width = 0;
  int height = 0;
  std::vector<unsigned char> rgb;  // width * height * 3
};

inline DecodedPicture DecodePngToRgb(const std::string& bytes) {
  DecodedPicture picture;
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) return picture;
  image.format = PNG_FORMAT_RGB;
  picture.rgb.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, picture.rgb.data(), 0, nullptr)) {
    png_image_free(&image);
    return picture;
  }
  picture.ok = true;
  picture.width = static_cast<int>(image.width);
  picture.height = static_cast<int>(image.height);
  return picture;
}

}  // namespace troupe::testing
