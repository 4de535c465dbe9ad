#include "base/yaml_bounds.h"

#include <gtest/gtest.h>

#include <string>

namespace troupe {
namespace {

constexpr YamlBounds kRoomy{1 << 20, 10'000, 1 << 20, 16};

// A list of `count` aliases to `anchor`, as a flow list.
std::string Aliases(const std::string& anchor, int count) {
  std::string list = "[";
  for (int i = 0; i < count; ++i) list += (i == 0 ? "*" : ", *") + anchor;
  return list + "]";
}

TEST(YamlBoundsTest, PlainYamlPasses) {
  EXPECT_TRUE(CheckYamlBounds("name: relationship\nstages:\n  a: {prompt: hi, transitions: [{to: b}]}\n  b: ~\n",
                              kRoomy)
                  .ok());
  EXPECT_TRUE(CheckYamlBounds("", kRoomy).ok());
  EXPECT_TRUE(CheckYamlBounds("# only a comment\n", kRoomy).ok());
  EXPECT_TRUE(CheckYamlBounds("---\njust: one\n...\n", kRoomy).ok());
}

TEST(YamlBoundsTest, CountsNodesKeysIncluded) {
  // A mapping, two keys, two values: five nodes.
  EXPECT_TRUE(CheckYamlBounds("{a: 1, b: 2}", {100, 5, 100, 4}).ok());
  const Status status = CheckYamlBounds("{a: 1, b: 2}", {100, 4, 100, 4});
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "YAML too large: over the limit of 4 nodes once aliases are expanded (line 1, column 11)");
  EXPECT_TRUE(status.field().empty());
}

TEST(YamlBoundsTest, RefusesTooManyScalarBytes) {
  EXPECT_TRUE(CheckYamlBounds("key: abcdef", {100, 100, 9, 4}).ok());
  EXPECT_EQ(CheckYamlBounds("key: abcdef\nmore: x\n", {100, 100, 9, 4}).message(),
            "YAML too large: over the limit of 9 scalar bytes once aliases are expanded (line 2, column 1)");
}

TEST(YamlBoundsTest, RefusesDeepNesting) {
  EXPECT_TRUE(CheckYamlBounds("[[[x]]]", {100, 100, 100, 3}).ok());
  EXPECT_EQ(CheckYamlBounds("[[[[x]]]]", {100, 100, 100, 3}).message(),
            "YAML too large: over the limit of 3 levels of nesting once aliases are expanded (line 1, column 4)");
  // Far deeper than yaml-cpp's own guard, which would otherwise be what stops it.
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_EQ(CheckYamlBounds(deep, {1 << 20, 1 << 20, 1 << 20, 32}).message(),
            "YAML too large: over the limit of 32 levels of nesting once aliases are expanded (line 1, column 33)");
}

TEST(YamlBoundsTest, RefusesTooLongText) {
  EXPECT_EQ(CheckYamlBounds("key: value", {9, 100, 100, 4}).message(),
            "YAML text too large: 10 bytes, more than the limit of 9 bytes");
}

TEST(YamlBoundsTest, AliasesWithinTheLimitsPass) {
  // Nodes: the mapping, 2 keys, the anchored list of 3 (4), and a list (1) of 3 copies of it (12):
  // 20. Scalar bytes: "base" and "all" (7), x y z (3) and their 3 copies (9): 19.
  const std::string yaml = "base: &b [x, y, z]\nall: [*b, *b, *b]\n";
  EXPECT_TRUE(CheckYamlBounds(yaml, {100, 20, 19, 3}).ok());
  EXPECT_EQ(CheckYamlBounds(yaml, {100, 19, 19, 3}).message(),
            "YAML too large: over the limit of 19 nodes once aliases are expanded (line 2, column 15)");
  EXPECT_EQ(CheckYamlBounds(yaml, {100, 20, 18, 3}).message(),
            "YAML too large: over the limit of 18 scalar bytes once aliases are expanded (line 2, column 15)");
  // An alias adds its anchor's depth where it stands: [*b] is two levels deep.
  EXPECT_EQ(CheckYamlBounds("base: &b [x]\nall: [*b]\n", {100, 100, 100, 2}).message(),
            "YAML too large: over the limit of 2 levels of nesting once aliases are expanded (line 2, column 7)");
}

TEST(YamlBoundsTest, RefusesAnAliasOfALargeString) {
  // The shape of the probe: one big anchored string, repeated by aliases.
  const std::string yaml = "big: &big " + std::string(64 * 1024, 'x') + "\ncopies: " + Aliases("big", 100) + "\n";
  const Status status = CheckYamlBounds(yaml, {1 << 20, 100'000, 1 << 20, 32});
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("over the limit of 1048576 scalar bytes once aliases are expanded (line 2, column"),
            std::string::npos)
      << status.message();
}

TEST(YamlBoundsTest, RefusesBillionLaughs) {
  // Ten levels of ten aliases each: 10^10 leaves from a few hundred bytes of text.
  std::string yaml = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int level = 1; level <= 9; ++level) {
    const std::string name = "l" + std::to_string(level);
    yaml += name + ": &" + name + " " + Aliases("l" + std::to_string(level - 1), 10) + "\n";
  }
  ASSERT_LT(yaml.size(), 1000u);
  const Status status = CheckYamlBounds(yaml, {1 << 20, 200'000, 4 << 20, 32});
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("YAML too large: over the limit of 200000 nodes once aliases are expanded (line "),
            std::string::npos)
      << status.message();
}

TEST(YamlBoundsTest, RefusesAnAliasInsideItsOwnAnchor) {
  EXPECT_EQ(CheckYamlBounds("a: &loop [x, *loop]\n", kRoomy).message(),
            "YAML alias refers to its own anchor, a value that would contain itself (line 1, column 14)");
}

TEST(YamlBoundsTest, RefusesMoreThanOneDocument) {
  EXPECT_EQ(CheckYamlBounds("a: 1\n---\nb: 2\n", kRoomy).message(),
            "more than one YAML document (a second one starts at line 2, column 1); give one");
  EXPECT_EQ(CheckYamlBounds("--- a\n--- b\n", kRoomy).message(),
            "more than one YAML document (a second one starts at line 2, column 1); give one");
}

TEST(YamlBoundsTest, ReportsSyntaxErrorsWithLineAndColumn) {
  const Status status = CheckYamlBounds("stages:\n  a: [unclosed\n", kRoomy);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().rfind("not valid YAML: ", 0), 0u) << status.message();
  EXPECT_NE(status.message().find("(line "), std::string::npos) << status.message();
  EXPECT_EQ(CheckYamlBounds("a: *nowhere\n", kRoomy).message(),
            "not valid YAML: the referenced anchor is not defined (line 1, column 4)");
}

}  // namespace
}  // namespace troupe
