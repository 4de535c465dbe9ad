// The unified diff a proposed flow edit is shown with: the same texts give nothing, and changes
// come out as `diff -u` prints them (hunk ranges, context, nearby changes in one hunk).
#include "studio/line_diff.h"

#include <gtest/gtest.h>

namespace troupe::studio {
namespace {

TEST(LineDiffTest, TheSameTextsHaveNoDiff) {
  EXPECT_EQ(UnifiedDiff("a\nb\n", "a\nb\n"), "");
  EXPECT_EQ(UnifiedDiff("", ""), "");
}

TEST(LineDiffTest, OneChangedLineComesWithItsContext) {
  const std::string before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  const std::string after = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  EXPECT_EQ(UnifiedDiff(before, after, "flow", "flow (proposed)"),
            "--- flow\n+++ flow (proposed)\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST(LineDiffTest, InsertionsAtTheStartAndRemovalsAtTheEnd) {
  EXPECT_EQ(UnifiedDiff("a\nb\n", "new\na\nb\n", "x", "y", 1), "--- x\n+++ y\n@@ -1 +1,2 @@\n+new\n a\n");
  // diff -u numbers a one-line hunk without a count.
  EXPECT_EQ(UnifiedDiff("a\nb\nc\n", "a\nb\n", "x", "y", 1), "--- x\n+++ y\n@@ -2,2 +2 @@\n b\n-c\n");
}

TEST(LineDiffTest, ChangesCloseTogetherShareAHunkAndFarOnesDoNot) {
  std::string before;
  for (int i = 1; i <= 20; ++i) before += std::to_string(i) + "\n";
  std::string near = before;
  near.replace(near.find("3\n"), 2, "three\n");
  near.replace(near.find("6\n"), 2, "six\n");
  const std::string together = UnifiedDiff(before, near, "a", "b", 1);
  EXPECT_EQ(together, "--- a\n+++ b\n@@ -2,6 +2,6 @@\n 2\n-3\n+three\n 4\n 5\n-6\n+six\n 7\n");
  std::string far = before;
  far.replace(far.find("2\n"), 2, "two\n");
  far.replace(far.find("18\n"), 3, "eighteen\n");
  const std::string apart = UnifiedDiff(before, far, "a", "b", 1);
  EXPECT_NE(apart.find("@@ -1,3 +1,3 @@"), std::string::npos) << apart;
  EXPECT_NE(apart.find("@@ -17,3 +17,3 @@"), std::string::npos) << apart;
}

}  // namespace
}  // namespace troupe::studio
