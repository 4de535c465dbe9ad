// The OpenAI-compatible images client (openai_images.h).
#include "studio/openai_images.h"

#include <nlohmann/json.hpp>

#include "studio/image_bytes.h"
#include "studio/image_http_internal.h"

namespace troupe::studio {
namespace {

constexpr const char* kOpenAiService = "the OpenAI-compatible images service";

class OpenAiImageProvider final : public ImageProvider {
 public:
  explicit OpenAiImageProvider(OpenAiImagesOptions options) : options_(std::move(options)) {}
  std::string_view name() const override { return "openai"; }

 private:
  Result<GeneratedImage> GenerateImage(const ImageRequest& request, const std::atomic<bool>& cancelled) override {
    if (request.prompt.empty()) return InvalidArgument("an image prompt is required", "prompt");
    std::string prompt = request.prompt;
    if (!request.negative_prompt.empty()) prompt += "\nAvoid: " + request.negative_prompt;
    nlohmann::json body = {{"prompt", prompt},
                           {"n", 1},
                           {"size", std::to_string(request.width) + "x" + std::to_string(request.height)},
                           {"response_format", "b64_json"}};
    if (!options_.model.empty()) body["model"] = options_.model;

    const ImageEndpoint& endpoint = options_.endpoint;
    ImageHttpCall call{.service = kOpenAiService,
                       .url = JoinImageUrl(endpoint.base_url, "/images/generations"),
                       .headers = {"Content-Type: application/json"},
                       .body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       .timeout_ms = endpoint.timeout_ms,
                       .max_response_bytes = endpoint.max_response_bytes};
    if (!endpoint.api_key.empty()) call.headers.push_back("Authorization: Bearer " + endpoint.api_key);
    TROUPE_ASSIGN_OR_RETURN(const ImageHttpAnswer answer, PerformImageHttp(call, cancelled));
    TROUPE_RETURN_IF_ERROR(StatusOfImageAnswer(answer, kOpenAiService));
    TROUPE_ASSIGN_OR_RETURN(OpenAiImageData data, ParseOpenAiImagesAnswer(answer.body));
    if (data.url.empty()) return std::move(data.image);
    return FetchUrl(data.url, cancelled);
  }

  Result<GeneratedImage> FetchUrl(const std::string& url, const std::atomic<bool>& cancelled) const {
    const ImageEndpoint& endpoint = options_.endpoint;
    TROUPE_RETURN_IF_ERROR(CheckImageUrl(url, endpoint.image_hosts, "data[0].url").status());
    const ImageHttpCall fetch{.service = "the image URL's host",
                              .method = "GET",
                              .url = url,
                              .headers = {},
                              .body = {},
                              .timeout_ms = endpoint.timeout_ms,
                              .max_response_bytes = endpoint.max_response_bytes,
                              .refuse_private_addresses = !endpoint.allow_private_image_hosts};
    TROUPE_ASSIGN_OR_RETURN(ImageHttpAnswer answer, PerformImageHttp(fetch, cancelled));
    TROUPE_RETURN_IF_ERROR(StatusOfImageAnswer(answer, fetch.service));
    TROUPE_ASSIGN_OR_RETURN(std::string mime, ImageMimeOf(answer.body, "data[0].url"));
    return GeneratedImage{std::move(answer.body), std::move(mime)};
  }

  OpenAiImagesOptions options_;
};

}  // namespace

Result<OpenAiImageData> ParseOpenAiImagesAnswer(std::string_view body) {
  const nlohmann::json answer = nlohmann::json::parse(body, nullptr, false);
  if (answer.is_discarded()) return InvalidArgument(std::string(kOpenAiService) + " did not answer JSON: \"" + Excerpt(body) + "\"", "body");
  const auto data = answer.is_object() ? answer.find("data") : answer.end();
  if (!answer.is_object() || data == answer.end() || !data->is_array() || data->empty() || !(*data)[0].is_object()) {
    return InvalidArgument(std::string(kOpenAiService) + "'s answer has no data[0] object", "data[0]");
  }
  const nlohmann::json& first = (*data)[0];
  OpenAiImageData result;
  const auto b64 = first.find("b64_json");
  if (b64 != first.end() && b64->is_string()) {
    std::optional<std::string> bytes = DecodeImageBase64(b64->get_ref<const std::string&>());
    if (!bytes) return InvalidArgument("data[0].b64_json is not base64", "data[0].b64_json");
    TROUPE_ASSIGN_OR_RETURN(result.image.mime, ImageMimeOf(*bytes, "data[0].b64_json"));
    result.image.bytes = std::move(*bytes);
    return result;
  }
  const auto url = first.find("url");
  if (url != first.end() && url->is_string() && !url->get_ref<const std::string&>().empty()) {
    result.url = url->get<std::string>();
    return result;
  }
  return InvalidArgument("data[0] has neither a b64_json nor a url string", "data[0]");
}

std::unique_ptr<ImageProvider> MakeOpenAiImageProvider(OpenAiImagesOptions options) {
  return std::make_unique<OpenAiImageProvider>(std::move(options));
}

}  // namespace troupe::studio
