// An Automatic1111-style txt2img server (Stable Diffusion web UI's API, and the servers that copy
// it, e.g. SD.Next and Forge) as an ImageProvider: POST {base_url}/sdapi/v1/txt2img with
// {prompt, negative_prompt, width, height, seed, steps}; the answer's images[0] is base64 (plain,
// or as a data URL). Such servers usually run on the operator's own machine, so the endpoint may be
// a local address; the answer carries no URL, so nothing else is fetched.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "studio/image_provider.h"

namespace troupe::studio {

struct A1111Options {
  ImageEndpoint endpoint;
  int steps = 25;  // sampling steps: more is slower and, up to a point, finer
};

// The decoded, magic-checked images[0] of a txt2img answer. kInvalidArgument naming the JSON path
// for anything else: not JSON, no images[0] string, base64 that does not decode, bytes that are not
// a PNG, JPEG or WebP image.
Result<GeneratedImage> ParseA1111Answer(std::string_view body);

// Errors as ImageProvider::Generate states them. A seed is sent modulo 2^31 (the servers' range);
// no seed is sent as -1, so the server picks one.
std::unique_ptr<ImageProvider> MakeA1111ImageProvider(A1111Options options);

}  // namespace troupe::studio
