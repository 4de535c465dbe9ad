// Text forms of the record enums, as stored in the database and shown in the API.
#include "store/records.h"

#include <array>
#include <utility>

namespace troupe::store {
namespace {

template <typename Enum, size_t N>
std::optional<Enum> Parse(const std::array<std::pair<Enum, std::string_view>, N>& names,
                          std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

template <typename Enum, size_t N>
std::string_view Name(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return "unknown";
}

constexpr std::array<std::pair<ConversationStatus, std::string_view>, 3> kConversationStatuses = {{
    {ConversationStatus::kActive, "active"},
    {ConversationStatus::kHandedOff, "handed_off"},
    {ConversationStatus::kClosed, "closed"},
}};

constexpr std::array<std::pair<MessageRole, std::string_view>, 5> kMessageRoles = {{
    {MessageRole::kSystem, "system"},
    {MessageRole::kUser, "user"},
    {MessageRole::kAssistant, "assistant"},
    {MessageRole::kTool, "tool"},
    {MessageRole::kAgent, "agent"},
}};

constexpr std::array<std::pair<JobStatus, std::string_view>, 5> kJobStatuses = {{
    {JobStatus::kQueued, "queued"},
    {JobStatus::kRunning, "running"},
    {JobStatus::kSucceeded, "succeeded"},
    {JobStatus::kFailed, "failed"},
    {JobStatus::kCancelled, "cancelled"},
}};

constexpr std::array<std::pair<MemoryKind, std::string_view>, 3> kMemoryKinds = {{
    {MemoryKind::kPinned, "pinned"},
    {MemoryKind::kSummary, "summary"},
    {MemoryKind::kFact, "fact"},
}};

}  // namespace

std::string_view ToString(ConversationStatus status) { return Name(kConversationStatuses, status); }
std::optional<ConversationStatus> ParseConversationStatus(std::string_view text) {
  return Parse(kConversationStatuses, text);
}

std::string_view ToString(MessageRole role) { return Name(kMessageRoles, role); }
std::optional<MessageRole> ParseMessageRole(std::string_view text) { return Parse(kMessageRoles, text); }

std::string_view ToString(MemoryKind kind) { return Name(kMemoryKinds, kind); }
std::optional<MemoryKind> ParseMemoryKind(std::string_view text) { return Parse(kMemoryKinds, text); }

std::string_view ToString(JobStatus status) { return Name(kJobStatuses, status); }
std::optional<JobStatus> ParseJobStatus(std::string_view text) { return Parse(kJobStatuses, text); }

}  // namespace troupe::store
