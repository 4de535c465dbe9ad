#include "chat/memory.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/text.h"

namespace troupe::chat {
namespace {

bool Superseded(const store::Message& message) {
  if (message.metadata_json.find("superseded_by") == std::string::npos) return false;
  nlohmann::json metadata = nlohmann::json::parse(message.metadata_json, nullptr, false);
  return metadata.is_object() && metadata.contains("superseded_by");
}

std::string SpeakerOf(const store::Message& message, const std::string& char_name, const std::string& user_name) {
  switch (message.role) {
    case store::MessageRole::kUser:
      return user_name;
    case store::MessageRole::kAssistant:
      return char_name;
    case store::MessageRole::kAgent:
      return char_name + " (agent)";
    case store::MessageRole::kSystem:
      return "Note";
    case store::MessageRole::kTool:
      return "Tool";
  }
  return user_name;
}

std::string Line(const store::Message& message, const std::string& char_name, const std::string& user_name) {
  std::string text(TrimSpace(message.content));
  // One line per message: the summariser and the prompt read turns, not layout.
  std::replace(text.begin(), text.end(), '\n', ' ');
  return SpeakerOf(message, char_name, user_name) + ": " + text;
}

std::vector<llm::ChatMessage> SummaryRequest(const std::string& char_name, const std::string& user_name,
                                             const std::string& previous, const std::string& transcript,
                                             int max_words) {
  std::string instructions =
      "You keep the memory of a long conversation between " + char_name + " and " + user_name +
      ". Rewrite the summary so it also covers the new messages. Keep what matters later: names, facts about " +
      user_name + ", preferences, plans and promises, events, feelings and how the relationship stands. "
      "Write plain prose in the third person, at most " +
      std::to_string(max_words) + " words, and nothing but the summary.";
  std::string body;
  body += "Summary so far:\n";
  body += previous.empty() ? std::string("(nothing yet)") : previous;
  body += "\n\nNew messages:\n";
  body += transcript;
  return {llm::ChatMessage{"system", instructions, {}, {}, {}}, llm::ChatMessage{"user", body, {}, {}, {}}};
}

}  // namespace

std::vector<store::Message> FoldableMessages(const std::vector<store::Message>& history,
                                             std::optional<int64_t> covered_until, int keep_recent) {
  std::vector<store::Message> out;
  const size_t keep = static_cast<size_t>(std::max(keep_recent, 0));
  if (history.size() <= keep) return out;
  const size_t end = history.size() - keep;
  for (size_t i = 0; i < end; ++i) {
    const store::Message& message = history[i];
    if (covered_until && message.id <= *covered_until) continue;
    if (Superseded(message)) continue;
    out.push_back(message);
  }
  return out;
}

std::string Transcript(const std::vector<store::Message>& messages, const std::string& char_name,
                       const std::string& user_name) {
  std::string out;
  for (const store::Message& message : messages) {
    if (!out.empty()) out += '\n';
    out += Line(message, char_name, user_name);
  }
  return out;
}

Result<std::string> WriteSummary(llm::Provider& provider, const std::string& char_name, const std::string& user_name,
                                 const std::string& previous, const std::vector<store::Message>& messages,
                                 const SummaryPolicy& policy, const std::function<bool(double)>& progress) {
  const int64_t context = provider.info().context_length > 0 ? provider.info().context_length : 4096;
  const int64_t reply_tokens = std::clamp<int64_t>(policy.max_summary_tokens, 16, context / 4);
  const int max_words = static_cast<int>(std::max<int64_t>(30, reply_tokens * 3 / 4));

  std::string summary(TrimSpace(previous));
  size_t next = 0;
  while (next < messages.size()) {
    // As many messages as fit beside the instructions, the previous summary and the reply; at
    // least one, cut to fit when a single message is longer than the room.
    const int64_t fixed = provider.CountChatTokens(SummaryRequest(char_name, user_name, summary, "", max_words));
    const int64_t room = context - reply_tokens - fixed - 8;
    if (room <= 16) {
      return Status(StatusCode::kInvalidArgument,
                    "provider '" + provider.info().name + "' has a context of " + std::to_string(context) +
                        " tokens, too small to summarise: the instructions and summary alone take " +
                        std::to_string(fixed));
    }
    std::string transcript;
    size_t taken = 0;
    while (next + taken < messages.size()) {
      std::string line = Line(messages[next + taken], char_name, user_name);
      std::string candidate = transcript.empty() ? line : transcript + "\n" + line;
      if (provider.CountTokens(candidate) > room) {
        if (taken == 0) {
          // One message longer than the room: keep its start (about 3 bytes per token is safe).
          line.resize(std::min(line.size(), static_cast<size_t>(room) * 3));
          while (!line.empty() && provider.CountTokens(line) > room) line.resize(line.size() * 3 / 4);
          transcript = line;
          taken = 1;
        }
        break;
      }
      transcript = std::move(candidate);
      ++taken;
    }

    llm::ChatRequest request;
    request.messages = SummaryRequest(char_name, user_name, summary, transcript, max_words);
    request.sampling.temperature = 0.2;
    request.sampling.max_tokens = static_cast<int>(reply_tokens);
    request.stop = provider.TurnEndStrings();
    request.stop.push_back("\n" + user_name + ":");
    request.stop.push_back("\n" + char_name + ":");
    TROUPE_ASSIGN_OR_RETURN(llm::ChatResult result, provider.Chat(request, {}));
    std::string written(TrimSpace(result.content));
    if (written.empty()) {
      return Status(StatusCode::kFailedPrecondition,
                    "provider '" + provider.info().name + "' wrote an empty summary for " + std::to_string(taken) +
                        " messages");
    }
    summary = std::move(written);
    next += taken;
    if (progress && !progress(static_cast<double>(next) / static_cast<double>(messages.size()))) {
      return Status(StatusCode::kFailedPrecondition, "the summary was cancelled after " + std::to_string(next) +
                                                         " of " + std::to_string(messages.size()) + " messages");
    }
  }
  return summary;
}

std::vector<std::string> Recall(store::Store& store, int64_t conversation_id, const std::string& query,
                                std::optional<int64_t> before_message_id, int limit, const std::string& char_name,
                                const std::string& user_name) {
  std::vector<std::string> out;
  if (limit <= 0 || TrimSpace(query).empty()) return out;
  Result<std::vector<store::Memory>> facts = store.memories().Search(conversation_id, query, limit * 2);
  if (facts.ok()) {
    int taken = 0;
    for (const store::Memory& fact : *facts) {
      if (fact.kind != store::MemoryKind::kFact || taken >= limit) continue;
      out.emplace_back(TrimSpace(fact.content));
      ++taken;
    }
  }
  if (before_message_id) {
    Result<std::vector<store::Message>> messages =
        store.messages().Search(conversation_id, query, limit * 2, before_message_id);
    if (messages.ok()) {
      int taken = 0;
      for (const store::Message& message : *messages) {
        if (taken >= limit) break;
        if (Superseded(message) || TrimSpace(message.content).empty()) continue;
        out.push_back(Line(message, char_name, user_name));
        ++taken;
      }
    }
  }
  return out;
}

}  // namespace troupe::chat
