// An OpenAI-compatible images API as an ImageProvider: POST {base_url}/images/generations with
// {model, prompt, n: 1, size: "WxH", response_format: "b64_json"}. The picture may come back as
// data[0].b64_json or, from services that ignore response_format, as data[0].url, which is fetched
// only from the endpoint's image_hosts (image_provider.h). The API has no negative prompt or seed:
// a negative prompt is appended to the prompt as "Avoid: ...", a seed is not sent.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "studio/image_provider.h"

namespace troupe::studio {

struct OpenAiImagesOptions {
  ImageEndpoint endpoint;
  std::string model;  // "" leaves the service's default
};

// What data[0] of an answer holds: the decoded, magic-checked image, or a URL to fetch.
struct OpenAiImageData {
  GeneratedImage image;  // set when the answer carried b64_json
  std::string url;       // set when it carried only a URL
};

// Reads an images/generations answer. kInvalidArgument naming the JSON path for anything else: not
// JSON, no data[0], neither b64_json nor url a string, base64 that does not decode, or bytes that
// are not a PNG, JPEG or WebP image (image_bytes.h).
Result<OpenAiImageData> ParseOpenAiImagesAnswer(std::string_view body);

// Errors as ImageProvider::Generate states them.
std::unique_ptr<ImageProvider> MakeOpenAiImageProvider(OpenAiImagesOptions options);

}  // namespace troupe::studio
