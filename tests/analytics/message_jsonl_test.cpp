#include "analytics/message_jsonl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"

namespace troupe::analytics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(MessageJsonlTest, ReadsTheTextOfEachLineSkippingBlankLines) {
  const Result<std::vector<std::string>> messages = ParseMessageJsonl(
      "{\"text\": \"hello there\", \"user\": 7}\n\n   \r\n{\"text\": \"caf\\u00e9\"}\r\n{\"text\": \"\"}",
      "chats.jsonl");
  ASSERT_TRUE(messages.ok()) << messages.status().ToString();
  EXPECT_THAT(*messages, ElementsAre("hello there", "café", ""));
}

TEST(MessageJsonlTest, NamesTheFileAndLineOfABadLine) {
  struct BadCase {
    std::string content;
    std::string message;
  };
  const std::vector<BadCase> cases = {
      {"{\"text\": \"ok\"}\n\n{\"text\": \"unterminated}\n", "chats.jsonl:3: not valid JSON (column "},
      {"[\"text\"]\n", "chats.jsonl:1: expected a JSON object with a \"text\" field"},
      {"{\"text\": \"a\"}\n{\"message\": \"b\"}\n", "chats.jsonl:2: no \"text\" field"},
      {"{\"text\": 42}\n", "chats.jsonl:1: \"text\" must be a string"},
      {"\n{\"text\": \"a\", \"n\": 1e999}\n", "chats.jsonl:2: not valid JSON (a number out of range)"},
  };
  for (const BadCase& bad : cases) {
    const Result<std::vector<std::string>> messages = ParseMessageJsonl(bad.content, "chats.jsonl");
    ASSERT_FALSE(messages.ok()) << bad.content;
    EXPECT_EQ(messages.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(messages.status().message(), HasSubstr(bad.message));
  }
}

TEST(MessageJsonlTest, ReadsFilesAndSaysWhenOneIsMissing) {
  testing::TempDir directory;
  const std::string path = (directory / "messages.jsonl").string();
  std::ofstream(path) << "{\"text\": \"one\"}\n{\"text\": \"two\"}\n";
  const Result<std::vector<std::string>> messages = ReadMessageJsonl(path);
  ASSERT_TRUE(messages.ok()) << messages.status().ToString();
  EXPECT_THAT(*messages, ElementsAre("one", "two"));
  EXPECT_EQ(ReadMessageJsonl((directory / "absent.jsonl").string()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadMessageJsonl(directory.path().string()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace troupe::analytics
