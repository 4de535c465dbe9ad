// Where the studio's pictures come from: one interface over the offline avatar renderer
// (avatar_provider.h), an OpenAI-compatible images API (openai_images.h) and an Automatic1111-style
// txt2img server (a1111_images.h). A pipeline holds an ImageProvider and does not care which.
//
// Threads: Generate blocks until the picture is there or the call failed (the pipelines run on job
// threads, never on an HTTP or engine thread). A provider is thread-safe: calls may run at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "studio/avatar_palette.h"

namespace troupe::studio {

struct ImageRequest {
  std::string prompt;                  // what to draw; remote providers need it
  std::string negative_prompt;         // what to keep out; "" for none
  int width = 512;
  int height = 512;
  std::optional<uint64_t> seed;        // the same seed asks for the same picture, where supported
  AvatarTraits subject;                // who is drawn: the offline avatar is rendered from these
};

struct GeneratedImage {
  std::string bytes;  // checked by their magic bytes to be an image
  std::string mime;   // "image/png", "image/jpeg" or "image/webp"
};

class ImageProvider {
 public:
  virtual ~ImageProvider() = default;

  // The picture, or why not: kInvalidArgument (a request the provider cannot serve, e.g. a size
  // it does not draw; or a service that answered with something that is not an image),
  // kPermissionDenied (an image URL on a host the provider may not fetch from, or at a private
  // address), kUnauthenticated (a wrong key), kResourceExhausted (429), kUnavailable (unreachable,
  // 5xx, or `cancelled` set), kDeadlineExceeded (the provider's timeout). A remote service's own
  // error message is quoted (shortened) in the text. Setting `cancelled` from another thread ends
  // a call in flight within about a second.
  Result<GeneratedImage> Generate(const ImageRequest& request, const std::atomic<bool>& cancelled) {
    return GenerateImage(request, cancelled);
  }
  Result<GeneratedImage> Generate(const ImageRequest& request) {
    const std::atomic<bool> never{false};
    return GenerateImage(request, never);
  }

  // "avatar", "openai", "a1111": for logs and the CLI.
  virtual std::string_view name() const = 0;

 private:
  virtual Result<GeneratedImage> GenerateImage(const ImageRequest& request, const std::atomic<bool>& cancelled) = 0;
};

// How a remote provider reaches its service.
struct ImageEndpoint {
  std::string base_url;  // "https://api.openai.com/v1", "http://127.0.0.1:7860" (no trailing path)
  std::string api_key;   // sent as "Authorization: Bearer ..." when not empty
  int64_t timeout_ms = 120'000;               // each request (the API call, then any URL fetch)
  size_t max_response_bytes = 32u << 20;      // an answer larger than this is refused
  // Hosts an image URL in an answer may be fetched from (lowercased). The endpoint's own host is
  // trusted as configured; a URL the service returns is fetched only from these hosts, and not at
  // a loopback, private or link-local address unless allow_private_image_hosts.
  std::vector<std::string> image_hosts;
  bool allow_private_image_hosts = false;
};

}  // namespace troupe::studio
