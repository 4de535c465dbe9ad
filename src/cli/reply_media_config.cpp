// The configured speech and image providers behind the runtime's ReplyMedia (reply_media_config.h).
#include "cli/reply_media_config.h"

#include <cctype>
#include <spdlog/spdlog.h>
#include <string>
#include <vector>

#include "studio/a1111_images.h"
#include "studio/avatar_provider.h"
#include "studio/espeak_speech.h"
#include "studio/openai_images.h"
#include "studio/openai_speech.h"
#include "studio/reply_media_providers.h"

namespace troupe::cli {

// "a, b" -> {"a", "b"}: the hosts of a comma-separated setting, lowercased, blanks dropped.
namespace {

std::vector<std::string> HostList(const std::string& text) {
  std::vector<std::string> hosts;
  std::string host;
  for (size_t at = 0; at <= text.size(); ++at) {
    if (at == text.size() || text[at] == ',') {
      if (!host.empty()) hosts.push_back(host);
      host.clear();
    } else if (text[at] != ' ' && text[at] != '\t') {
      host += static_cast<char>(std::tolower(static_cast<unsigned char>(text[at])));
    }
  }
  return hosts;
}

}  // namespace

Result<std::shared_ptr<chat::ReplyMedia>> ReplyMediaFrom(const config::Config& config) {
  std::unique_ptr<studio::SpeechProvider> speech;
  if (config.speech.provider == "openai") {
    studio::OpenAiSpeechOptions options;
    options.base_url = config.speech.base_url;
    options.api_key = config.speech.api_key;
    options.model = config.speech.model;
    if (!config.speech.voice.empty()) options.default_voice = config.speech.voice;
    options.allowed_hosts = HostList(config.speech.allowed_hosts);
    options.allow_private = config.speech.allow_private;
    options.timeout_ms = int64_t{config.speech.timeout_seconds} * 1000;
    Result<std::unique_ptr<studio::OpenAiSpeech>> created = studio::OpenAiSpeech::Create(std::move(options));
    if (!created.ok()) {
      return Status(created.status().code(), "speech." + created.status().field() + ": " + created.status().message(),
                    "speech." + created.status().field());
    }
    speech = std::move(*created);
  } else {
    speech = std::make_unique<studio::EspeakSpeech>();
  }
  std::unique_ptr<studio::ImageProvider> images;
  if (config.images.provider == "avatar") {
    images = studio::MakeAvatarImageProvider();
  } else {
    if (config.images.base_url.empty()) {
      return Status(StatusCode::kInvalidArgument,
                    "images.base_url is required with images.provider " + config.images.provider, "images.base_url");
    }
    studio::ImageEndpoint endpoint;
    endpoint.base_url = config.images.base_url;
    endpoint.api_key = config.images.api_key;
    endpoint.timeout_ms = int64_t{config.images.timeout_seconds} * 1000;
    endpoint.image_hosts = HostList(config.images.image_hosts);
    endpoint.allow_private_image_hosts = config.images.allow_private_image_hosts;
    if (config.images.provider == "openai") {
      images = studio::MakeOpenAiImageProvider({std::move(endpoint), config.images.model});
    } else {
      images = studio::MakeA1111ImageProvider({std::move(endpoint), config.images.steps});
    }
  }
  studio::ReplyMediaOptions options;
  options.format = config.speech.format == "wav" ? studio::AudioFormat::kWav : studio::AudioFormat::kOpus;
  options.default_voice = config.speech.provider == "openai" ? "" : config.speech.voice;
  options.picture_size = config.images.size;
  spdlog::info("voice messages: {}; pictures: {}", config.speech.provider, config.images.provider);
  return studio::MakeReplyMedia(std::move(speech), std::move(images), options);
}

}  // namespace troupe::cli
