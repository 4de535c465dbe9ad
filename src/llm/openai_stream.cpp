#include "llm/openai_stream.h"

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace troupe::llm {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxToolCalls = 256;
constexpr size_t kMaxMessageBytes = 1000;

// Cuts `text` to at most `limit` bytes without splitting a UTF-8 character, and replaces control
// characters so a hostile body cannot forge log lines.
std::string Printable(std::string_view text, size_t limit) {
  bool cut = false;
  if (text.size() > limit) {
    size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text = text.substr(0, end);
    cut = true;
  }
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  if (cut) out += "...";
  return out;
}

std::string Snippet(std::string_view data) { return "'" + Printable(data, 120) + "'"; }

Status NotAChunk(std::string_view why, std::string_view data) {
  return Internal("the stream sent " + std::string(why) + ": " + Snippet(data));
}

// A whole number, clamped to int64_t; nullopt for anything else (floats included: a count or an
// index is never fractional, and casting a huge double is undefined).
std::optional<int64_t> IntegerOf(const Json& value) {
  if (value.is_number_unsigned()) {
    return static_cast<int64_t>(std::min<uint64_t>(value.get<uint64_t>(), uint64_t{INT64_MAX}));
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  return std::nullopt;
}

// The first choice: the one whose index is 0, else the first element.
const Json* FirstChoice(const Json& object) {
  const auto choices = object.find("choices");
  if (choices == object.end() || !choices->is_array() || choices->empty()) return nullptr;
  for (const Json& choice : *choices) {
    const auto index = choice.is_object() ? choice.find("index") : choice.end();
    if (index != choice.end() && IntegerOf(*index) == 0) return &choice;
  }
  return &choices->front();
}

std::optional<Usage> UsageOf(const Json& object) {
  const auto usage = object.find("usage");
  if (usage == object.end() || !usage->is_object()) return std::nullopt;
  Usage out;
  const auto read = [&](const char* key, int64_t& field) {
    const auto value = usage->find(key);
    if (value == usage->end()) return;
    if (std::optional<int64_t> count = IntegerOf(*value)) field = std::max<int64_t>(0, *count);
  };
  read("prompt_tokens", out.prompt_tokens);
  read("completion_tokens", out.completion_tokens);
  return out;
}

// A string field, or "" when it is absent or null; false when it has another type.
bool OptionalString(const Json& object, const char* key, std::string& out) {
  const auto value = object.find(key);
  if (value == object.end() || value->is_null()) return true;
  if (!value->is_string()) return false;
  out = value->get<std::string>();
  return true;
}

}  // namespace

// ---- SseParser ----

SseParser::SseParser(size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

Result<std::vector<SseEvent>> SseParser::Feed(std::string_view bytes) {
  std::vector<SseEvent> events;
  size_t position = 0;
  while (position < bytes.size()) {
    if (skip_line_feed_) {
      skip_line_feed_ = false;
      if (bytes[position] == '\n') {
        ++position;
        continue;
      }
    }
    const size_t end = bytes.find_first_of("\r\n", position);
    const size_t stop = end == std::string_view::npos ? bytes.size() : end;
    line_.append(bytes.substr(position, stop - position));
    if (line_.size() > max_event_bytes_) {
      return InvalidArgument("a stream line is longer than " + std::to_string(max_event_bytes_) + " bytes");
    }
    if (end == std::string_view::npos) break;
    skip_line_feed_ = bytes[end] == '\r';
    position = end + 1;
    const std::string line = std::move(line_);
    line_.clear();
    ProcessLine(line, events);
    if (event_.data.size() > max_event_bytes_) {
      return InvalidArgument("a stream event is larger than " + std::to_string(max_event_bytes_) + " bytes");
    }
  }
  return events;
}

void SseParser::ProcessLine(std::string_view line, std::vector<SseEvent>& events) {
  if (at_start_) {
    at_start_ = false;
    if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  }
  if (line.empty()) {
    if (has_data_) {
      if (!event_.data.empty() && event_.data.back() == '\n') event_.data.pop_back();
      events.push_back(std::move(event_));
    }
    event_ = SseEvent{};
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // a comment (keep-alive)
  const size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    event_.data.append(value);
    event_.data.push_back('\n');
    has_data_ = true;
  } else if (field == "event") {
    event_.type = std::string(value);
  }
  // id and retry only matter to a client that reconnects, which a chat request never does.
}

std::vector<SseEvent> SseParser::Finish() {
  std::vector<SseEvent> events;
  line_.clear();
  if (has_data_) ProcessLine("", events);
  return events;
}

// ---- ChatStreamDecoder ----

ChatStreamDecoder::ChatStreamDecoder(size_t max_reply_bytes) : max_reply_bytes_(max_reply_bytes) {}

Result<std::string> ChatStreamDecoder::Apply(const SseEvent& event) {
  if (event.type == "error") return Unavailable("the endpoint reported an error: " + ErrorMessageFromBody(event.data));
  std::string_view data = event.data;
  while (!data.empty() && (data.back() == ' ' || data.back() == '\n')) data.remove_suffix(1);
  if (data == "[DONE]") {
    done_ = true;
    return std::string();
  }
  const Json chunk = Json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (chunk.is_discarded()) return NotAChunk("data that is not JSON", data);
  if (!chunk.is_object()) return NotAChunk("data that is not a JSON object", data);
  if (chunk.contains("error")) return Unavailable("the endpoint reported an error: " + ErrorMessageFromBody(data));
  if (std::optional<Usage> usage = UsageOf(chunk)) usage_ = usage;

  std::string text;
  const Json* choice = FirstChoice(chunk);
  if (choice == nullptr) return text;  // e.g. the usage chunk
  if (!choice->is_object()) return NotAChunk("a choice that is not an object", data);
  bool carried_tool_call = false;
  const auto delta = choice->find("delta");
  if (delta != choice->end() && delta->is_object()) {
    if (!OptionalString(*delta, "content", text)) return NotAChunk("a content delta that is not a string", data);
    for (const char* key : {"reasoning_content", "reasoning"}) {
      const auto reasoning = delta->find(key);
      if (reasoning != delta->end() && reasoning->is_string() && !reasoning->get_ref<const std::string&>().empty()) {
        saw_tokens_ = true;
      }
    }
    const auto calls = delta->find("tool_calls");
    if (calls != delta->end() && !calls->is_null()) {
      if (!calls->is_array()) return NotAChunk("tool_calls that are not a list", data);
      for (const Json& call : *calls) {
        if (!call.is_object()) return NotAChunk("a tool call that is not an object", data);
        int64_t index = 0;
        const auto given = call.find("index");
        if (given != call.end() && IntegerOf(*given)) {
          index = *IntegerOf(*given);
        } else if (!tool_calls_.empty()) {
          // No index: a new call when it brings an id, else more of the last one.
          const int64_t last = tool_calls_.rbegin()->first;
          index = call.contains("id") && last < INT64_MAX ? last + 1 : last;
        }
        if (!tool_calls_.count(index) && tool_calls_.size() >= kMaxToolCalls) {
          return Internal("the stream sent more than " + std::to_string(kMaxToolCalls) + " tool calls");
        }
        ToolCall& merged = tool_calls_[index];
        std::string id;
        std::string name;
        std::string arguments;
        if (!OptionalString(call, "id", id)) return NotAChunk("a tool call id that is not a string", data);
        const auto function = call.find("function");
        if (function != call.end() && function->is_object()) {
          if (!OptionalString(*function, "name", name) || !OptionalString(*function, "arguments", arguments)) {
            return NotAChunk("a tool call whose name or arguments are not strings", data);
          }
        }
        if (!id.empty()) merged.id = id;
        merged.name += name;
        merged.arguments_json += arguments;
        reply_bytes_ += id.size() + name.size() + arguments.size();
        carried_tool_call = true;
      }
    }
  }
  std::string reason;
  if (!OptionalString(*choice, "finish_reason", reason)) return NotAChunk("a finish_reason that is not a string", data);
  if (!reason.empty()) finish_reason_ = reason;
  reply_bytes_ += text.size();
  if (reply_bytes_ > max_reply_bytes_) {
    return Internal("the reply grew past " + std::to_string(max_reply_bytes_) + " bytes");
  }
  if (!text.empty() || carried_tool_call) {
    ++content_chunks_;
    saw_tokens_ = true;
  }
  return text;
}

std::vector<ToolCall> ChatStreamDecoder::tool_calls() const {
  std::vector<ToolCall> calls;
  for (const auto& [index, call] : tool_calls_) {
    calls.push_back(call);
    if (calls.back().id.empty()) calls.back().id = "call_" + std::to_string(index);
  }
  return calls;
}

// ---- whole bodies ----

FinishReason FinishReasonFromWire(std::string_view reason) {
  if (reason == "length") return FinishReason::kLength;
  if (reason == "tool_calls" || reason == "function_call") return FinishReason::kToolCalls;
  return FinishReason::kStop;
}

Result<ChatResult> ParseCompletionBody(std::string_view body) {
  const Json object = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object()) return NotAChunk("a completion that is not a JSON object", body);
  if (object.contains("error")) return Unavailable("the endpoint reported an error: " + ErrorMessageFromBody(body));
  const Json* choice = FirstChoice(object);
  if (choice == nullptr || !choice->is_object()) return NotAChunk("a completion without choices", body);
  ChatResult result;
  const auto message = choice->find("message");
  if (message == choice->end() || !message->is_object()) return NotAChunk("a completion without a message", body);
  if (!OptionalString(*message, "content", result.content)) return NotAChunk("content that is not a string", body);
  const auto calls = message->find("tool_calls");
  if (calls != message->end() && calls->is_array()) {
    for (const Json& call : *calls) {
      if (!call.is_object()) return NotAChunk("a tool call that is not an object", body);
      ToolCall parsed;
      if (!OptionalString(call, "id", parsed.id)) return NotAChunk("a tool call id that is not a string", body);
      const auto function = call.find("function");
      if (function == call.end() || !function->is_object()) return NotAChunk("a tool call without a function", body);
      if (!OptionalString(*function, "name", parsed.name)) return NotAChunk("a tool name that is not a string", body);
      const auto arguments = function->find("arguments");
      if (arguments != function->end() && !arguments->is_null()) {
        parsed.arguments_json = arguments->is_string() ? arguments->get<std::string>() : arguments->dump();
      }
      if (parsed.id.empty()) parsed.id = "call_" + std::to_string(result.tool_calls.size());
      result.tool_calls.push_back(std::move(parsed));
    }
  }
  std::string reason;
  if (!OptionalString(*choice, "finish_reason", reason)) return NotAChunk("a finish_reason that is not a string", body);
  result.finish_reason = FinishReasonFromWire(reason);
  if (!result.tool_calls.empty()) result.finish_reason = FinishReason::kToolCalls;
  if (std::optional<Usage> usage = UsageOf(object)) result.usage = *usage;
  return result;
}

std::string ErrorMessageFromBody(std::string_view body) {
  const Json object = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (object.is_object()) {
    const auto error = object.find("error");
    if (error != object.end() && error->is_object()) {
      std::string message;
      std::string code;
      OptionalString(*error, "message", message);
      if (!OptionalString(*error, "code", code) && error->contains("code") && (*error)["code"].is_number()) {
        code = (*error)["code"].dump();
      }
      if (!message.empty()) {
        std::string out = Printable(message, kMaxMessageBytes);
        if (!code.empty() && message.find(code) == std::string::npos) out += " (code " + Printable(code, 80) + ")";
        return out;
      }
    }
    if (error != object.end() && error->is_string()) return Printable(error->get<std::string>(), kMaxMessageBytes);
    for (const char* key : {"message", "detail"}) {
      const auto value = object.find(key);
      if (value == object.end()) continue;
      if (value->is_string()) return Printable(value->get<std::string>(), kMaxMessageBytes);
      return Printable(value->dump(), kMaxMessageBytes);
    }
  }
  std::string_view trimmed = body;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r' || trimmed.back() == ' ')) {
    trimmed.remove_suffix(1);
  }
  return Printable(trimmed, 300);
}

}  // namespace troupe::llm
