#include "llm/stream_text.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace troupe::llm {
namespace {

constexpr std::string_view kToolCallOpen = "<tool_call>";
constexpr std::string_view kToolCallClose = "</tool_call>";

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// The length of the longest suffix of `text` that is a proper, non-empty prefix of `word`.
size_t PartialSuffix(std::string_view text, std::string_view word) {
  const size_t longest = std::min(text.size(), word.empty() ? 0 : word.size() - 1);
  for (size_t length = longest; length > 0; --length) {
    if (text.substr(text.size() - length) == word.substr(0, length)) return length;
  }
  return 0;
}

std::string Trimmed(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && IsSpace(text[begin])) ++begin;
  while (end > begin && IsSpace(text[end - 1])) --end;
  return std::string(text.substr(begin, end - begin));
}

}  // namespace

StopStringFilter::StopStringFilter(std::vector<std::string> stops) {
  for (std::string& stop : stops) {
    if (!stop.empty()) stops_.push_back(std::move(stop));
  }
}

std::string StopStringFilter::Push(std::string_view piece) {
  if (stopped_) return {};
  held_ += piece;
  size_t first = std::string::npos;
  for (const std::string& stop : stops_) first = std::min(first, held_.find(stop));
  if (first != std::string::npos) {
    stopped_ = true;
    std::string out = held_.substr(0, first);
    held_.clear();
    return out;
  }
  size_t keep = 0;
  for (const std::string& stop : stops_) keep = std::max(keep, PartialSuffix(held_, stop));
  std::string out = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return out;
}

std::string StopStringFilter::Finish() {
  if (stopped_) return {};
  std::string out = std::move(held_);
  held_.clear();
  return out;
}

std::vector<ToolCall> ExtractToolCalls(std::string& text) {
  std::vector<ToolCall> calls;
  std::string rest;
  size_t position = 0;
  for (;;) {
    const size_t open = text.find(kToolCallOpen, position);
    if (open == std::string::npos) break;
    const size_t close = text.find(kToolCallClose, open + kToolCallOpen.size());
    if (close == std::string::npos) break;
    const std::string body = text.substr(open + kToolCallOpen.size(), close - open - kToolCallOpen.size());
    const nlohmann::json call = nlohmann::json::parse(body, nullptr, false);
    const auto name = call.is_object() ? call.find("name") : call.end();
    if (call.is_object() && name != call.end() && name->is_string()) {
      rest += text.substr(position, open - position);
      const auto arguments = call.find("arguments");
      std::string arguments_json = "{}";
      if (arguments != call.end()) arguments_json = arguments->is_string() ? arguments->get<std::string>() : arguments->dump();
      calls.push_back({"call_" + std::to_string(calls.size()), name->get<std::string>(), std::move(arguments_json)});
    } else {
      rest += text.substr(position, close + kToolCallClose.size() - position);  // not a call: keep the text
    }
    position = close + kToolCallClose.size();
  }
  rest += text.substr(position);
  text = Trimmed(rest);
  return calls;
}

std::string ToolCallFilter::Push(std::string_view piece) {
  pending_ += piece;
  if (in_calls_) return {};
  size_t emit = 0;
  const size_t open = pending_.find(kToolCallOpen);
  if (open != std::string::npos) {
    in_calls_ = true;
    emit = open;
  } else {
    emit = pending_.size() - PartialSuffix(pending_, kToolCallOpen);
  }
  // Whitespace just before a (possible) tool call is held with it.
  while (emit > 0 && IsSpace(pending_[emit - 1])) --emit;
  std::string out = pending_.substr(0, emit);
  pending_.erase(0, emit);
  if (!out.empty()) emitted_any_ = true;
  return out;
}

ToolCallFilter::Finished ToolCallFilter::Finish() {
  Finished finished;
  if (!in_calls_) {
    finished.text = std::move(pending_);
  } else {
    finished.tool_calls = ExtractToolCalls(pending_);
    // A call the model had begun when it stopped (its length limit) is syntax, not words for the
    // reader: it is dropped rather than shown.
    const size_t unclosed = pending_.rfind(kToolCallOpen);
    if (unclosed != std::string::npos && pending_.find(kToolCallClose, unclosed) == std::string::npos) {
      pending_ = Trimmed(pending_.substr(0, unclosed));
    }
    finished.text = std::move(pending_);
    if (emitted_any_ && !finished.text.empty()) finished.text.insert(0, "\n");
  }
  pending_.clear();
  return finished;
}

}  // namespace troupe::llm
