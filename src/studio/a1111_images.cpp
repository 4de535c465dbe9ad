// The Automatic1111-style txt2img client (a1111_images.h).
#include "studio/a1111_images.h"

#include <nlohmann/json.hpp>

#include "studio/image_bytes.h"
#include "studio/image_http_internal.h"

namespace troupe::studio {
namespace {

constexpr const char* kA1111Service = "the txt2img service";

class A1111ImageProvider final : public ImageProvider {
 public:
  explicit A1111ImageProvider(A1111Options options) : options_(std::move(options)) {}
  std::string_view name() const override { return "a1111"; }

 private:
  Result<GeneratedImage> GenerateImage(const ImageRequest& request, const std::atomic<bool>& cancelled) override {
    if (request.prompt.empty()) return InvalidArgument("an image prompt is required", "prompt");
    const nlohmann::json body = {{"prompt", request.prompt},
                                 {"negative_prompt", request.negative_prompt},
                                 {"width", request.width},
                                 {"height", request.height},
                                 {"seed", request.seed ? static_cast<int64_t>(*request.seed & 0x7FFFFFFF) : -1},
                                 {"steps", options_.steps},
                                 {"n_iter", 1},
                                 {"batch_size", 1}};
    const ImageEndpoint& endpoint = options_.endpoint;
    ImageHttpCall call{.service = kA1111Service,
                       .url = JoinImageUrl(endpoint.base_url, "/sdapi/v1/txt2img"),
                       .headers = {"Content-Type: application/json"},
                       .body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       .timeout_ms = endpoint.timeout_ms,
                       .max_response_bytes = endpoint.max_response_bytes};
    if (!endpoint.api_key.empty()) call.headers.push_back("Authorization: Bearer " + endpoint.api_key);
    TROUPE_ASSIGN_OR_RETURN(const ImageHttpAnswer answer, PerformImageHttp(call, cancelled));
    TROUPE_RETURN_IF_ERROR(StatusOfImageAnswer(answer, kA1111Service));
    return ParseA1111Answer(answer.body);
  }

  A1111Options options_;
};

}  // namespace

Result<GeneratedImage> ParseA1111Answer(std::string_view body) {
  const nlohmann::json answer = nlohmann::json::parse(body, nullptr, false);
  if (answer.is_discarded()) return InvalidArgument(std::string(kA1111Service) + " did not answer JSON: \"" + Excerpt(body) + "\"", "body");
  const auto images = answer.is_object() ? answer.find("images") : answer.end();
  if (!answer.is_object() || images == answer.end() || !images->is_array() || images->empty() ||
      !(*images)[0].is_string()) {
    return InvalidArgument(std::string(kA1111Service) + "'s answer has no images[0] string", "images[0]");
  }
  std::optional<std::string> bytes = DecodeImageBase64((*images)[0].get_ref<const std::string&>());
  if (!bytes) return InvalidArgument("images[0] is not base64", "images[0]");
  TROUPE_ASSIGN_OR_RETURN(std::string mime, ImageMimeOf(*bytes, "images[0]"));
  return GeneratedImage{std::move(*bytes), std::move(mime)};
}

std::unique_ptr<ImageProvider> MakeA1111ImageProvider(A1111Options options) {
  return std::make_unique<A1111ImageProvider>(std::move(options));
}

}  // namespace troupe::studio
