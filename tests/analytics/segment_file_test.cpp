#include "analytics/segment_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"

namespace troupe::analytics {
namespace {

TEST(SegmentFileTest, OneSegmentPerLineWithCarriageReturnsDropped) {
  Result<std::vector<std::string>> segments = ParseSegments("one\r\ntwo\n\nfour\r\r\nfive", "f.txt");
  ASSERT_TRUE(segments.ok());
  EXPECT_EQ(*segments, (std::vector<std::string>{"one", "two", "", "four\r", "five"}));
  EXPECT_TRUE(ParseSegments("", "f.txt")->empty());
  EXPECT_EQ(ParseSegments("x\n", "f.txt")->size(), 1u);
}

TEST(SegmentFileTest, NamesTheFileAndLineThatIsNotUtf8) {
  Result<std::vector<std::string>> segments = ParseSegments("ok\nok\nab\xc3(\n", "hyp.txt");
  ASSERT_FALSE(segments.ok());
  EXPECT_EQ(segments.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(segments.status().message(), "hyp.txt:3: not valid UTF-8 (byte 3 of the line)");
}

TEST(SegmentFileTest, ReadsFilesAndReportsMissingOnes) {
  testing::TempDir dir;
  std::ofstream(dir / "refs.txt") << "a\nb\n";
  Result<std::vector<std::string>> segments = ReadSegmentFile((dir / "refs.txt").string());
  ASSERT_TRUE(segments.ok());
  EXPECT_EQ(segments->size(), 2u);
  EXPECT_EQ(ReadSegmentFile((dir / "none.txt").string()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadSegmentFile(dir.path().string()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace troupe::analytics
