#include "server/http/router.h"
#include "server/http/router_internal.h"

#include <gtest/gtest.h>

#include <utility>

#include "server/http/coroutine_handler.h"

namespace troupe::server {
namespace {

Router::Handler Named(std::string name) {
  return [name](Request&) { return Response::Text(name); };
}

TEST(RouterTest, MatchesLiteralAndParameterSegments) {
  Router router;
  router.Add("GET", "/api/v1/characters", Named("list"));
  router.Add("GET", "/api/v1/characters/{id}", Named("get"));
  router.Add("GET", "/api/v1/characters/{id}/messages/{message_id}", Named("message"));

  Router::Match match = router.Find("GET", "/api/v1/characters/c%2F7");
  ASSERT_EQ(match.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(match.route_template, "/api/v1/characters/{id}");
  EXPECT_EQ(match.params.at("id"), "c/7");  // decoded after splitting, so %2F stays in one segment

  match = router.Find("GET", "/api/v1/characters/7/messages/9");
  ASSERT_EQ(match.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(match.params.at("id"), "7");
  EXPECT_EQ(match.params.at("message_id"), "9");
}

TEST(RouterTest, LiteralSegmentBeatsParameter) {
  Router router;
  router.Add("GET", "/characters/{id}", Named("by id"));
  router.Add("GET", "/characters/search", Named("search"));
  EXPECT_EQ(router.Find("GET", "/characters/search").route_template, "/characters/search");
  EXPECT_EQ(router.Find("GET", "/characters/other").route_template, "/characters/{id}");
}

TEST(RouterTest, UnknownPathIsNotFoundAndWrongMethodListsAllowed) {
  Router router;
  router.Add("GET", "/things/{id}", Named("get"));
  router.Add("DELETE", "/things/{id}", Named("delete"));

  EXPECT_EQ(router.Find("GET", "/nothing").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router.Find("GET", "/things/").kind, Router::Match::Kind::kNotFound);  // empty param
  EXPECT_EQ(router.Find("GET", "/things/1/extra").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router.Find("GET", "").kind, Router::Match::Kind::kNotFound);

  Router::Match match = router.Find("POST", "/things/1");
  EXPECT_EQ(match.kind, Router::Match::Kind::kMethodNotAllowed);
  EXPECT_EQ(match.allow, "DELETE, GET, HEAD");  // a GET route answers HEAD as well
}

TEST(RouterTest, HeadIsServedByGetUnlessAHeadRouteMatches) {
  Router router;
  router.Add("GET", "/things/{id}", [](Request&) { return Response::Text("get"); });
  router.Add("HEAD", "/things/special", [](Request&) { return Response::Text("head"); });
  router.Add("GET", "/things/special", [](Request&) { return Response::Text("get special"); });
  Router::Match by_get = router.Find("HEAD", "/things/7");
  ASSERT_EQ(by_get.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(by_get.route_template, "/things/{id}");
  Router::Match exact = router.Find("HEAD", "/things/special");
  ASSERT_EQ(exact.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(exact.route->method, "HEAD");
  EXPECT_EQ(router.Find("POST", "/things/7").allow, "GET, HEAD");
}

TEST(RouterTest, HasAndCoroutineRoutes) {
  Router router;
  router.AddCoroutine("POST", "/async", CoroutineHandler{[](Request&) -> boost::asio::awaitable<Response> {
                        co_return Response::Text("async");
                      }});
  EXPECT_TRUE(router.Has("POST", "/async"));
  EXPECT_FALSE(router.Has("GET", "/async"));
  EXPECT_EQ(router.Find("POST", "/async").kind, Router::Match::Kind::kFound);
}

TEST(RouterDeathTest, MalformedPatternsAbortAtRegistration) {
  EXPECT_DEATH(Router().Add("GET", "no-slash", Named("x")), "must start with '/'");
  EXPECT_DEATH(Router().Add("GET", "/a/x{id}", Named("x")), "whole segment");
  EXPECT_DEATH(Router().Add("GET", "/a/{id}/{id}", Named("x")), "repeated parameter");
  EXPECT_DEATH(
      {
        Router router;
        router.Add("GET", "/a", Named("x"));
        router.Add("GET", "/a", Named("y"));
      },
      "registered twice");
}

}  // namespace
}  // namespace troupe::server
