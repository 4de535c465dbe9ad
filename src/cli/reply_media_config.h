// Voice messages and pictures in replies as the configuration says: the speech provider (speech.*)
// and the image provider (images.*) behind the runtime's ReplyMedia, for `troupe serve` and
// `troupe chat`. Internal to src/cli.
#pragma once

#include <memory>

#include "base/status.h"
#include "chat/reply_media.h"
#include "config/config.h"

namespace troupe::cli {

// Errors name the setting (images.base_url required for a remote image provider, a bad speech
// endpoint).
Result<std::shared_ptr<chat::ReplyMedia>> ReplyMediaFrom(const config::Config& config);

}  // namespace troupe::cli
