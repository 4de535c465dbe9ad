// A unified diff of two texts by lines (as `diff -u` prints it), for showing a proposed change to
// a flow before it is applied. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace troupe::studio {

// "--- before\n+++ after\n@@ -a,b +c,d @@\n" hunks with `context` unchanged lines around each
// change; "" when the texts are the same. Texts too large to compare line by line (more than
// 4 million line pairs) come out as one hunk that replaces everything.
std::string UnifiedDiff(std::string_view before, std::string_view after, std::string_view before_name = "before",
                        std::string_view after_name = "after", int context = 3);

}  // namespace troupe::studio
