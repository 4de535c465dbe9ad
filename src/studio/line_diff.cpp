// Longest common subsequence by dynamic programming: flows are small (tens to hundreds of lines),
// so the quadratic table is cheap, and it is bounded for the rest.
#include "studio/line_diff.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace troupe::studio {
namespace {

constexpr size_t kMaxLinePairs = 4'000'000;

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    if (end == std::string_view::npos) {
      lines.push_back(text);
      break;
    }
    lines.push_back(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
  return lines;
}

enum class Op { kKeep, kRemove, kAdd };
struct Edit {
  Op op;
  size_t before;  // line index in before (kKeep, kRemove)
  size_t after;   // line index in after (kKeep, kAdd)
};

std::vector<Edit> LineEdits(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  std::vector<Edit> edits;
  if (a.size() * b.size() > kMaxLinePairs) {
    for (size_t i = 0; i < a.size(); ++i) edits.push_back({Op::kRemove, i, 0});
    for (size_t j = 0; j < b.size(); ++j) edits.push_back({Op::kAdd, a.size(), j});
    return edits;
  }
  // common[i][j]: the longest common subsequence of a[i..] and b[j..].
  std::vector<std::vector<uint32_t>> common(a.size() + 1, std::vector<uint32_t>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      common[i][j] = a[i] == b[j] ? common[i + 1][j + 1] + 1 : std::max(common[i + 1][j], common[i][j + 1]);
    }
  }
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      edits.push_back({Op::kKeep, i++, j++});
    } else if (i < a.size() && (j == b.size() || common[i + 1][j] >= common[i][j + 1])) {
      edits.push_back({Op::kRemove, i++, j});  // removals first, as diff -u prints a change
    } else {
      edits.push_back({Op::kAdd, i, j++});
    }
  }
  return edits;
}

std::string HunkHeader(size_t before_start, size_t before_count, size_t after_start, size_t after_count) {
  auto range = [](size_t start, size_t count) {
    // diff -u numbers an empty range by the line before it.
    const size_t first = count == 0 ? start : start + 1;
    return std::to_string(first) + (count == 1 ? "" : "," + std::to_string(count));
  };
  return "@@ -" + range(before_start, before_count) + " +" + range(after_start, after_count) + " @@\n";
}

}  // namespace

std::string UnifiedDiff(std::string_view before, std::string_view after, std::string_view before_name,
                        std::string_view after_name, int context) {
  const std::vector<std::string_view> a = SplitLines(before);
  const std::vector<std::string_view> b = SplitLines(after);
  const std::vector<Edit> edits = LineEdits(a, b);
  const size_t keep = static_cast<size_t>(std::max(0, context));
  std::string out;
  size_t k = 0;
  while (k < edits.size()) {
    if (edits[k].op == Op::kKeep) {
      ++k;
      continue;
    }
    // A hunk: from `keep` lines before this change to `keep` lines after the last change that
    // is no more than 2 * keep unchanged lines from the next.
    size_t start = k >= keep ? k - keep : 0;
    size_t end = k;
    size_t unchanged = 0;
    for (size_t m = k; m < edits.size(); ++m) {
      if (edits[m].op == Op::kKeep) {
        if (++unchanged > 2 * keep) break;
      } else {
        unchanged = 0;
        end = m;
      }
    }
    end = std::min(edits.size(), end + 1 + keep);
    size_t before_count = 0;
    size_t after_count = 0;
    std::string body;
    for (size_t m = start; m < end; ++m) {
      const Edit& edit = edits[m];
      if (edit.op != Op::kAdd) ++before_count;
      if (edit.op != Op::kRemove) ++after_count;
      const std::string_view line = edit.op == Op::kAdd ? b[edit.after] : a[edit.before];
      body += edit.op == Op::kKeep ? ' ' : edit.op == Op::kAdd ? '+' : '-';
      body.append(line);
      body += '\n';
    }
    if (out.empty()) out = "--- " + std::string(before_name) + "\n+++ " + std::string(after_name) + "\n";
    out += HunkHeader(edits[start].before, before_count, edits[start].after, after_count) + body;
    k = end;
  }
  return out;
}

}  // namespace troupe::studio
