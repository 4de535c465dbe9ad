#include "chat/macros.h"

#include <gtest/gtest.h>

namespace troupe::chat {
namespace {

const MacroValues kNames{"Elias", "Sam"};

TEST(MacrosTest, ExpandsCharAndUserInAnyCaseAndSpacing) {
  EXPECT_EQ(ExpandMacros("{{char}} greets {{user}}.", kNames), "Elias greets Sam.");
  EXPECT_EQ(ExpandMacros("{{Char}} and {{ USER }}", kNames), "Elias and Sam");
}

TEST(MacrosTest, ExpandsTheOlderAngleBracketForms) {
  EXPECT_EQ(ExpandMacros("<BOT>: hi <user>", kNames), "Elias: hi Sam");
}

TEST(MacrosTest, LeavesUnknownAndUnclosedMacrosAsWritten) {
  EXPECT_EQ(ExpandMacros("{{random:a,b}} {{char", kNames), "{{random:a,b}} {{char");
  EXPECT_EQ(ExpandMacros("a < b <BO", kNames), "a < b <BO");
}

}  // namespace
}  // namespace troupe::chat
