#include "server/http/web_ui.h"

#include <fstream>
#include <map>
#include <sstream>

namespace troupe::server {
namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// A request path as a file name under the UI's root; "" for "/" and for anything that tries to
// leave the root or names a hidden file.
std::string RelativeAssetPath(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::string out(path);
  std::istringstream parts(out);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty() || part.front() == '.' || part.find('\\') != std::string::npos) return "";
  }
  return out;
}

// The app's own routes have no file extension in their last segment ("/chat/12"); files do.
bool LooksLikeFile(std::string_view path) {
  const size_t slash = path.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return last.find('.') != std::string_view::npos;
}

class AssetSource {
 public:
  virtual ~AssetSource() = default;
  virtual bool Find(const std::string& path, std::string& body) const = 0;
};

class EmbeddedSource final : public AssetSource {
 public:
  EmbeddedSource() {
    for (const WebAsset& asset : EmbeddedWebAssets()) files_.emplace(std::string(asset.path), asset.body);
  }
  bool Find(const std::string& path, std::string& body) const override {
    auto it = files_.find(path);
    if (it == files_.end()) return false;
    body.assign(it->second);
    return true;
  }

 private:
  std::map<std::string, std::string_view> files_;
};

class DirectorySource final : public AssetSource {
 public:
  explicit DirectorySource(std::filesystem::path root) : root_(std::move(root)) {}
  bool Find(const std::string& path, std::string& body) const override {
    std::ifstream in(root_ / path, std::ios::binary);
    if (!in) return false;
    std::ostringstream bytes;
    bytes << in.rdbuf();
    body = std::move(bytes).str();
    return true;
  }

 private:
  std::filesystem::path root_;
};

Response Serve(const AssetSource& source, const std::string& dev_hint, std::string_view request_path) {
  std::string path = RelativeAssetPath(request_path);
  std::string body;
  if (!path.empty() && source.Find(path, body)) {
    Response response = Response::Text(std::move(body), 200, std::string(ContentTypeFor(path)));
    // Vite names built assets by content hash: they never change under one name.
    response.WithHeader("Cache-Control", path.rfind("assets/", 0) == 0 ? "public, max-age=31536000, immutable"
                                                                         : "no-cache");
    response.WithHeader("X-Content-Type-Options", "nosniff");
    return response;
  }
  if (!path.empty() && LooksLikeFile(path)) {
    return Response::Error(Status(StatusCode::kNotFound, "no file " + std::string(request_path)));
  }
  if (!source.Find("index.html", body)) {
    return Response::Text("The web UI is not in this build" + dev_hint + ". The API is at /api/v1 (docs/api.md).\n", 404);
  }
  Response response = Response::Text(std::move(body), 200, "text/html; charset=utf-8");
  response.WithHeader("Cache-Control", "no-cache");
  response.WithHeader("X-Content-Type-Options", "nosniff");
  response.WithHeader("X-Frame-Options", "DENY");
  response.WithHeader("Referrer-Policy", "no-referrer");
  return response;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view path) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
      {".ico", "image/x-icon"}, {".webp", "image/webp"}, {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"}, {".map", "application/json"}};
  for (const auto& [extension, type] : kTypes) {
    if (EndsWith(path, extension)) return type;
  }
  return "application/octet-stream";
}

void AddWebUi(Router& router, std::filesystem::path dev_dir) {
  std::shared_ptr<const AssetSource> source;
  std::string hint;
  if (dev_dir.empty()) {
    source = std::make_shared<EmbeddedSource>();
  } else {
    hint = " (no index.html in " + dev_dir.string() + ": run `npm run build` in web/)";
    source = std::make_shared<DirectorySource>(std::move(dev_dir));
  }
  router.SetFallback([source, hint](Request& request) { return Serve(*source, hint, request.path); },
                     {"/api/", "/v1/", "/metrics", "/healthz", "/readyz"});
}

}  // namespace troupe::server
