#include "base/status.h"

#include <gtest/gtest.h>

namespace troupe {
namespace {

Result<int> ParsePositive(int value) {
  if (value <= 0) return InvalidArgument("must be positive", "count");
  return value;
}

Result<int> Doubled(int value) {
  TROUPE_ASSIGN_OR_RETURN(int parsed, ParsePositive(value));
  return parsed * 2;
}

TEST(StatusTest, OkByDefault) {
  Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.ToString(), "ok");
}

TEST(StatusTest, ToStringNamesCodeAndField) {
  Status status = InvalidArgument("must be positive", "count");
  EXPECT_EQ(status.ToString(), "invalid_argument: count: must be positive");
  EXPECT_EQ(status.WithContext("loading").message(), "loading: must be positive");
}

TEST(StatusTest, ResultPropagatesErrors) {
  EXPECT_EQ(*Doubled(4), 8);
  Result<int> failed = Doubled(-1);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(failed.status().field(), "count");
}

TEST(StatusTest, CodesMapToHttpAndExitCodes) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(ExitCodeFor(StatusCode::kInvalidArgument), 1);
  EXPECT_EQ(ExitCodeFor(StatusCode::kUnavailable), 2);
  EXPECT_EQ(ExitCodeFor(StatusCode::kOk), 0);
}

TEST(ExcerptTest, QuotesOutsideInputShortAndPrintable) {
  EXPECT_EQ(Excerpt("short"), "short");
  EXPECT_EQ(Excerpt(std::string(100, 'x'), 10), "xxxxxxxxxx...");
  EXPECT_EQ(Excerpt("a\nb\x01" "c"), "a?b?c");
  // Never cuts a UTF-8 character in half: "é" is two bytes.
  EXPECT_EQ(Excerpt("ab\xc3\xa9" "cd", 3), "ab...");
  EXPECT_EQ(Excerpt(""), "");
}

}  // namespace
}  // namespace troupe
