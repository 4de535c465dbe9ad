// The image providers against a real HTTP server on loopback: the OpenAI-compatible images client
// (b64_json and url answers) and the Automatic1111-style client, each refusing what is not a
// picture, a URL on a host it may not fetch from, and turning an HTTP error into a clear Status;
// and the offline avatar behind the same interface.
#include "studio/image_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "../llm/fault_http_server.h"
#include "avatar_png_decode.h"
#include "studio/a1111_images.h"
#include "studio/avatar.h"
#include "studio/avatar_provider.h"
#include "studio/openai_images.h"

namespace troupe::studio {
namespace {

using ::testing::HasSubstr;
using testing::FaultHttpServer;

std::string ProviderTestBase64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t group = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (i + 1 < bytes.size()) group |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    if (i + 2 < bytes.size()) group |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[group >> 18];
    out += kAlphabet[(group >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(group >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[group & 63] : '=';
  }
  return out;
}

// A real PNG to serve: the offline avatar of a small character.
std::string ServedPicture() {
  AvatarTraits served;
  served.name = "Served Picture";
  Result<std::string> png = RenderAvatarPng(served, 64);
  EXPECT_TRUE(png.ok()) << png.status().ToString();
  return png.ok() ? *png : std::string();
}

FaultHttpServer::Response JsonAnswer(const nlohmann::json& body, int status = 200) {
  FaultHttpServer::Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body_parts = {body.dump()};
  response.chunked = false;
  return response;
}

FaultHttpServer::Response BytesAnswer(std::string bytes, const std::string& content_type) {
  FaultHttpServer::Response response;
  response.content_type = content_type;
  response.body_parts = {std::move(bytes)};
  response.chunked = false;
  return response;
}

ImageRequest PortraitRequest() {
  return ImageRequest{.prompt = "a portrait of a young wizard", .negative_prompt = "text, watermark", .width = 512,
                      .height = 512, .seed = 42, .subject = {}};
}

OpenAiImagesOptions OpenAiOptionsFor(const FaultHttpServer& server) {
  OpenAiImagesOptions options;
  options.endpoint.base_url = server.BaseUrl();
  options.endpoint.api_key = "sk-test";
  options.endpoint.timeout_ms = 30'000;
  options.model = "gpt-image-1";
  return options;
}

// The server's root: A1111 servers have no /v1.
std::string ServerRoot(const FaultHttpServer& server) {
  std::string url = server.BaseUrl();
  return url.substr(0, url.size() - 3);
}

TEST(OpenAiImagesTest, B64AnswerGivesThePicture) {
  FaultHttpServer server;
  const std::string picture = ServedPicture();
  server.Enqueue(JsonAnswer({{"created", 1}, {"data", {{{"b64_json", ProviderTestBase64(picture)}}}}}));
  auto provider = MakeOpenAiImageProvider(OpenAiOptionsFor(server));
  Result<GeneratedImage> image = provider->Generate(PortraitRequest());
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->bytes, picture);
  EXPECT_EQ(image->mime, "image/png");

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/images/generations");
  EXPECT_EQ(requests[0].headers.at("authorization"), "Bearer sk-test");
  const nlohmann::json sent = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(sent["model"], "gpt-image-1");
  EXPECT_EQ(sent["n"], 1);
  EXPECT_EQ(sent["size"], "512x512");
  EXPECT_EQ(sent["response_format"], "b64_json");
  EXPECT_EQ(sent["prompt"], "a portrait of a young wizard\nAvoid: text, watermark");
}

TEST(OpenAiImagesTest, UrlAnswerIsFetchedFromAnAllowedHost) {
  FaultHttpServer server;
  const std::string picture = ServedPicture();
  server.Enqueue(JsonAnswer({{"data", {{{"url", ServerRoot(server) + "/files/picture.png"}}}}}));
  server.Enqueue(BytesAnswer(picture, "image/png"));
  OpenAiImagesOptions options = OpenAiOptionsFor(server);
  options.endpoint.image_hosts = {"127.0.0.1"};
  options.endpoint.allow_private_image_hosts = true;  // the test's server is on loopback
  Result<GeneratedImage> image = MakeOpenAiImageProvider(options)->Generate(PortraitRequest());
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->bytes, picture);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].target, "/files/picture.png");
  EXPECT_EQ(requests[1].headers.count("authorization"), 0u) << "the key goes only to the images API";
}

TEST(OpenAiImagesTest, UrlOnAHostNotAllowedIsNotFetched) {
  FaultHttpServer server;
  server.Enqueue(JsonAnswer({{"data", {{{"url", "http://images.example.com/picture.png"}}}}}));
  OpenAiImagesOptions options = OpenAiOptionsFor(server);
  options.endpoint.image_hosts = {"127.0.0.1"};
  Result<GeneratedImage> image = MakeOpenAiImageProvider(options)->Generate(PortraitRequest());
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(image.status().field(), "data[0].url");
  EXPECT_THAT(image.status().message(), HasSubstr("'images.example.com' is not among the allowed image hosts"));
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(OpenAiImagesTest, UrlAtAPrivateAddressIsRefusedUnlessAllowed) {
  FaultHttpServer server;
  server.Enqueue(JsonAnswer({{"data", {{{"url", ServerRoot(server) + "/files/picture.png"}}}}}));
  OpenAiImagesOptions options = OpenAiOptionsFor(server);
  options.endpoint.image_hosts = {"127.0.0.1"};
  Result<GeneratedImage> image = MakeOpenAiImageProvider(options)->Generate(PortraitRequest());
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(image.status().message(), HasSubstr("127.0.0.1, a private or local address"));
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(OpenAiImagesTest, APayloadThatIsNotAnImageIsRefused) {
  FaultHttpServer server;
  server.Enqueue(JsonAnswer({{"data", {{{"b64_json", ProviderTestBase64("<html><body>Sign in</body></html>")}}}}}));
  auto provider = MakeOpenAiImageProvider(OpenAiOptionsFor(server));
  Result<GeneratedImage> image = provider->Generate(PortraitRequest());
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(image.status().field(), "data[0].b64_json");
  EXPECT_THAT(image.status().message(), HasSubstr("markup"));

  server.Enqueue(JsonAnswer({{"data", {{{"url", ServerRoot(server) + "/files/picture.png"}}}}}));
  server.Enqueue(BytesAnswer("{\"error\": \"expired\"}", "image/png"));
  OpenAiImagesOptions options = OpenAiOptionsFor(server);
  options.endpoint.image_hosts = {"127.0.0.1"};
  options.endpoint.allow_private_image_hosts = true;
  Result<GeneratedImage> fetched = MakeOpenAiImageProvider(options)->Generate(PortraitRequest());
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(fetched.status().message(), HasSubstr("JSON"));
}

TEST(OpenAiImagesTest, HttpErrorsBecomeClearStatuses) {
  FaultHttpServer server;
  server.Enqueue(JsonAnswer({{"error", {{"message", "Incorrect API key provided"}, {"type", "invalid_request_error"}}}}, 401));
  server.Enqueue(JsonAnswer({{"error", {{"message", "Rate limit reached"}}}}, 429));
  server.Enqueue(BytesAnswer("upstream down", "text/plain"));
  server.Enqueue(JsonAnswer({{"error", "the model is loading"}}, 503));
  auto provider = MakeOpenAiImageProvider(OpenAiOptionsFor(server));

  Result<GeneratedImage> unauthorised = provider->Generate(PortraitRequest());
  EXPECT_EQ(unauthorised.status().code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(unauthorised.status().message(), HasSubstr("answered HTTP 401: Incorrect API key provided"));
  Result<GeneratedImage> limited = provider->Generate(PortraitRequest());
  EXPECT_EQ(limited.status().code(), StatusCode::kResourceExhausted);
  Result<GeneratedImage> not_json = provider->Generate(PortraitRequest());
  EXPECT_EQ(not_json.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(not_json.status().message(), HasSubstr("did not answer JSON: \"upstream down\""));
  Result<GeneratedImage> loading = provider->Generate(PortraitRequest());
  EXPECT_EQ(loading.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(loading.status().message(), HasSubstr("HTTP 503: the model is loading"));
}

TEST(OpenAiImagesTest, UnreachableAndCancelledCallsSaySo) {
  std::string closed_url;
  {
    FaultHttpServer gone;
    closed_url = gone.BaseUrl();
  }
  OpenAiImagesOptions options;
  options.endpoint.base_url = closed_url;
  Result<GeneratedImage> unreachable = MakeOpenAiImageProvider(options)->Generate(PortraitRequest());
  EXPECT_EQ(unreachable.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(unreachable.status().message(), HasSubstr("cannot be reached"));

  FaultHttpServer server;
  const std::atomic<bool> cancelled{true};
  Result<GeneratedImage> image = MakeOpenAiImageProvider(OpenAiOptionsFor(server))->Generate(PortraitRequest(), cancelled);
  EXPECT_EQ(image.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(image.status().message(), HasSubstr("cancelled"));
  EXPECT_TRUE(server.requests().empty());
}

TEST(OpenAiImagesTest, ACallInFlightEndsWhenCancelledOrTimedOut) {
  FaultHttpServer server;
  FaultHttpServer::Response silent = JsonAnswer({{"data", nlohmann::json::array()}});
  silent.stall_before_headers = true;
  server.Enqueue(silent);
  server.Enqueue(silent);
  auto provider = MakeOpenAiImageProvider(OpenAiOptionsFor(server));
  std::atomic<bool> cancelled{false};
  Result<GeneratedImage> image = Status(StatusCode::kInternal, "not run");
  std::thread call([&] { image = provider->Generate(PortraitRequest(), cancelled); });
  ASSERT_TRUE(server.WaitForRequests(1));
  cancelled = true;
  call.join();
  EXPECT_EQ(image.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(image.status().message(), HasSubstr("cancelled"));

  OpenAiImagesOptions options = OpenAiOptionsFor(server);
  options.endpoint.timeout_ms = 300;
  Result<GeneratedImage> late = MakeOpenAiImageProvider(options)->Generate(PortraitRequest());
  EXPECT_EQ(late.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(late.status().message(), HasSubstr("did not answer within 300 ms"));
}

TEST(OpenAiImagesTest, TheAnswerParserNamesWhatIsMissing) {
  EXPECT_EQ(ParseOpenAiImagesAnswer("{}").status().field(), "data[0]");
  EXPECT_EQ(ParseOpenAiImagesAnswer(R"({"data": []})").status().field(), "data[0]");
  EXPECT_EQ(ParseOpenAiImagesAnswer(R"({"data": [{"b64_json": 5}]})").status().field(), "data[0]");
  EXPECT_EQ(ParseOpenAiImagesAnswer(R"({"data": [{"b64_json": "!!!"}]})").status().field(), "data[0].b64_json");
  EXPECT_EQ(ParseOpenAiImagesAnswer("[1,").status().field(), "body");
  Result<OpenAiImageData> url = ParseOpenAiImagesAnswer(R"({"data": [{"url": "https://cdn.example.com/a.png"}]})");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->url, "https://cdn.example.com/a.png");
}

TEST(A1111ImagesTest, Txt2ImgAnswerGivesThePicture) {
  FaultHttpServer server;
  const std::string picture = ServedPicture();
  server.Enqueue(JsonAnswer({{"images", {ProviderTestBase64(picture)}}, {"parameters", nlohmann::json::object()},
                             {"info", "{}"}}));
  A1111Options options;
  options.endpoint.base_url = ServerRoot(server) + "/";
  options.steps = 12;
  Result<GeneratedImage> image = MakeA1111ImageProvider(options)->Generate(PortraitRequest());
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->bytes, picture);
  EXPECT_EQ(image->mime, "image/png");

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/sdapi/v1/txt2img");
  const nlohmann::json sent = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(sent["prompt"], "a portrait of a young wizard");
  EXPECT_EQ(sent["negative_prompt"], "text, watermark");
  EXPECT_EQ(sent["width"], 512);
  EXPECT_EQ(sent["height"], 512);
  EXPECT_EQ(sent["seed"], 42);
  EXPECT_EQ(sent["steps"], 12);
}

TEST(A1111ImagesTest, NonImagesAndErrorsAreRefused) {
  FaultHttpServer server;
  server.Enqueue(JsonAnswer({{"images", {ProviderTestBase64("GIF89a not what we take")}}}));
  server.Enqueue(JsonAnswer({{"detail", "Not Found"}}, 404));
  server.Enqueue(JsonAnswer({{"error", "OutOfMemoryError"}, {"detail", "CUDA out of memory"}}, 500));
  A1111Options options;
  options.endpoint.base_url = ServerRoot(server);
  auto provider = MakeA1111ImageProvider(options);

  Result<GeneratedImage> not_image = provider->Generate(PortraitRequest());
  EXPECT_EQ(not_image.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(not_image.status().field(), "images[0]");
  EXPECT_THAT(not_image.status().message(), HasSubstr("not a PNG, JPEG or WebP image"));
  Result<GeneratedImage> missing = provider->Generate(PortraitRequest());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("HTTP 404: Not Found"));
  Result<GeneratedImage> failed = provider->Generate(PortraitRequest());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(failed.status().message(), HasSubstr("HTTP 500: OutOfMemoryError"));
}

TEST(A1111ImagesTest, ADataUrlImageIsAccepted) {
  const std::string picture = ServedPicture();
  Result<GeneratedImage> image =
      ParseA1111Answer(nlohmann::json{{"images", {"data:image/png;base64," + ProviderTestBase64(picture)}}}.dump());
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->bytes, picture);
  EXPECT_EQ(ParseA1111Answer(R"({"images": []})").status().field(), "images[0]");
}

TEST(AvatarImageProviderTest, RendersTheSubjectAsThePngTheRendererMakes) {
  auto provider = MakeAvatarImageProvider();
  EXPECT_EQ(provider->name(), "avatar");
  ImageRequest request;
  request.width = request.height = 128;
  request.subject.name = "Pip Thistlewick";
  request.subject.personality = "eager, kind-hearted";
  Result<GeneratedImage> image = provider->Generate(request);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->mime, "image/png");
  Result<std::string> direct = RenderAvatarPng(request.subject, 128);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(image->bytes, *direct);
  const testing::DecodedPicture picture = testing::DecodePngToRgb(image->bytes);
  EXPECT_EQ(picture.width, 128);

  request.height = 256;
  EXPECT_EQ(provider->Generate(request).status().field(), "size");
  request.height = 128;
  request.subject.name.clear();
  EXPECT_EQ(provider->Generate(request).status().field(), "subject.name");
}

}  // namespace
}  // namespace troupe::studio
