// The web UI's files through the router's fallback: files, the app's own routes, what stays a 404,
// caching, and paths that try to leave the UI's directory.
#include "server/http/web_ui.h"

#include <gtest/gtest.h>

#include <fstream>

#include "server/http/router_internal.h"
#include "support/temp_dir.h"

namespace troupe::server {
namespace {

class WebUiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "ui/assets");
    Write("ui/index.html", "<!doctype html><title>Troupe</title>");
    Write("ui/assets/index-abc123.js", "console.log(1)");
    Write("ui/favicon.svg", "<svg/>");
    Write("secret.txt", "outside the UI");
    Write("ui/.env", "hidden");
    router_.Add("GET", "/api/v1/things", [](Request&) { return Response::Text("things"); });
    AddWebUi(router_, dir_ / "ui");
  }

  void Write(const std::string& path, const std::string& text) { std::ofstream(dir_ / path) << text; }

  // What the server would answer for GET `path` (nullopt: no route, a 404 from the server itself).
  std::optional<Response> Get(const std::string& path) {
    Router::Match match = router_.Find("GET", path);
    if (match.kind != Router::Match::Kind::kFound) return std::nullopt;
    Request request;
    request.method = "GET";
    request.path = path;
    request.route = match.route_template;
    request.path_params = match.params;
    return match.route->handler(request);
  }

  static std::string Header(const Response& response, const std::string& name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name) return value;
    }
    return "";
  }

  ::troupe::testing::TempDir dir_;
  Router router_;
};

TEST_F(WebUiTest, FilesAndTheAppsRoutes) {
  std::optional<Response> asset = Get("/assets/index-abc123.js");
  ASSERT_TRUE(asset);
  EXPECT_EQ(asset->status, 200);
  EXPECT_EQ(asset->body, "console.log(1)");
  EXPECT_EQ(asset->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Header(*asset, "Cache-Control"), "public, max-age=31536000, immutable");

  std::optional<Response> icon = Get("/favicon.svg");
  ASSERT_TRUE(icon);
  EXPECT_EQ(icon->content_type, "image/svg+xml");
  EXPECT_EQ(Header(*icon, "Cache-Control"), "no-cache");

  for (const std::string path : {"/", "/chat/12", "/studio/new", "/agent"}) {
    std::optional<Response> page = Get(path);
    ASSERT_TRUE(page) << path;
    EXPECT_EQ(page->status, 200) << path;
    EXPECT_EQ(page->body, "<!doctype html><title>Troupe</title>") << path;
    EXPECT_EQ(Header(*page, "Cache-Control"), "no-cache");
  }
  EXPECT_EQ(router_.Find("GET", "/chat/12").route_template, "/{asset}");
}

TEST_F(WebUiTest, ApiPathsMissingFilesAndEscapesStayOut) {
  // The API keeps its own 404s and routes.
  EXPECT_FALSE(Get("/api/v1/nothing"));
  EXPECT_FALSE(Get("/v1/nothing"));
  EXPECT_FALSE(Get("/metrics"));
  EXPECT_EQ(Get("/api/v1/things")->body, "things");
  EXPECT_EQ(router_.Find("POST", "/chat/12").kind, Router::Match::Kind::kNotFound);
  // A file that is not there is a 404, not the app.
  EXPECT_EQ(Get("/assets/missing.js")->status, 404);
  // Nothing outside the UI's directory, and no hidden files.
  for (const std::string path : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/.env"}) {
    std::optional<Response> answer = Get(path);
    ASSERT_TRUE(answer) << path;
    EXPECT_EQ(answer->body.find("outside the UI"), std::string::npos) << path;
    EXPECT_EQ(answer->body.find("hidden"), std::string::npos) << path;
  }
}

TEST(WebUiWithoutFilesTest, SaysHowToBuildIt) {
  ::troupe::testing::TempDir dir;
  Router router;
  AddWebUi(router, dir / "absent");
  Router::Match match = router.Find("GET", "/");
  ASSERT_EQ(match.kind, Router::Match::Kind::kFound);
  Request request;
  request.path = "/";
  Response response = match.route->handler(request);
  EXPECT_EQ(response.status, 404);
  EXPECT_NE(response.body.find("npm run build"), std::string::npos) << response.body;
}

TEST(ContentTypeTest, ByExtension) {
  EXPECT_EQ(ContentTypeFor("a/b.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.png"), "image/png");
  EXPECT_EQ(ContentTypeFor("x.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace troupe::server
