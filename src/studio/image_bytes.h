// What an image service sends back, checked before anyone keeps it: base64 text decoded, and the
// decoded bytes accepted only when their leading bytes say PNG, JPEG or WebP. A service that
// answers with an HTML error page, JSON or anything else under a 200 is caught here rather than
// stored as a "picture". Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace troupe::studio {

// Standard or URL-safe base64, padding optional, line breaks and spaces ignored; a leading data
// URL header ("data:image/png;base64,") is skipped. nullopt for any other character.
std::optional<std::string> DecodeImageBase64(std::string_view text);

// "image/png", "image/jpeg" or "image/webp" from the magic bytes; kInvalidArgument (field
// `field`) naming what the bytes look like instead ("an HTML page", "JSON", "N bytes that are not
// an image") when they are none of those.
Result<std::string> ImageMimeOf(std::string_view bytes, const std::string& field);

}  // namespace troupe::studio
