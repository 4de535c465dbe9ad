// Image services' answers from outside: the OpenAI-compatible images API's JSON (data[0].b64_json
// or data[0].url) and the Automatic1111-style txt2img JSON (images[0]), and the base64 and magic
// checks under both. Any input must give an image or a clear error naming its field, never a
// crash; an accepted image must be one the magic check calls PNG, JPEG or WebP.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "studio/a1111_images.h"
#include "studio/image_bytes.h"
#include "studio/openai_images.h"

using namespace troupe::studio;

namespace {

void CheckImage(const GeneratedImage& image) {
  troupe::Result<std::string> mime = ImageMimeOf(image.bytes, "fuzz");
  if (!mime.ok() || *mime != image.mime) std::abort();
}

void CheckRefusal(const troupe::Status& status) {
  if (status.ok() || status.message().empty() || status.field().empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  troupe::Result<OpenAiImageData> openai = ParseOpenAiImagesAnswer(bytes);
  if (openai.ok()) {
    if (openai->url.empty() == openai->image.bytes.empty()) std::abort();  // exactly one of the two
    if (openai->url.empty()) CheckImage(openai->image);
  } else {
    CheckRefusal(openai.status());
  }

  troupe::Result<GeneratedImage> a1111 = ParseA1111Answer(bytes);
  if (a1111.ok()) {
    CheckImage(*a1111);
  } else {
    CheckRefusal(a1111.status());
  }

  // The same bytes as base64 text and as an image's leading bytes.
  if (const std::optional<std::string> decoded = DecodeImageBase64(bytes)) {
    if (decoded->size() > bytes.size()) std::abort();
    troupe::Result<std::string> mime = ImageMimeOf(*decoded, "fuzz");
    if (!mime.ok()) CheckRefusal(mime.status());
  }
  return 0;
}
