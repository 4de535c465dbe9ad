// The web front end (web/, built by Vite) served by `troupe serve` at "/": its files are embedded
// in the binary at build time, or, in development, read from a directory on every request (so a
// `vite build --watch` shows at the next reload). Any GET path that is not an API path and not a
// file is the app's own route and gets index.html; hashed assets (assets/...) are cached for good,
// index.html never.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "server/http/router.h"

namespace troupe::server {

struct WebAsset {
  std::string_view path;  // "index.html", "assets/index-3f2a.js"
  std::string_view body;
};

// The files of the UI built into this binary (empty when it was built without one).
const std::vector<WebAsset>& EmbeddedWebAssets();

// The Content-Type for a file name, by extension ("application/octet-stream" when unknown).
std::string_view ContentTypeFor(std::string_view path);

// Registers the UI as the router's fallback for GET requests outside /api/, /v1/, /metrics,
// /healthz and /readyz. `dev_dir` empty: the embedded files; else files under that directory.
void AddWebUi(Router& router, std::filesystem::path dev_dir = {});

}  // namespace troupe::server
