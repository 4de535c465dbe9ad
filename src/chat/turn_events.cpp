#include "chat/turn_events.h"

namespace troupe::chat {
namespace {

struct Namer {
  std::string_view operator()(const UserMessageEvent&) const { return "message"; }
  std::string_view operator()(const MessageStartEvent&) const { return "message.start"; }
  std::string_view operator()(const DeltaEvent&) const { return "delta"; }
  std::string_view operator()(const TypingEvent&) const { return "typing"; }
  std::string_view operator()(const ToolCallEvent&) const { return "tool.call"; }
  std::string_view operator()(const ToolResultEvent&) const { return "tool.result"; }
  std::string_view operator()(const MessageEndEvent&) const { return "message.end"; }
  std::string_view operator()(const MediaEvent&) const { return "message.media"; }
  std::string_view operator()(const HandoffEvent&) const { return "handoff"; }
  std::string_view operator()(const ErrorEvent&) const { return "error"; }
  std::string_view operator()(const DoneEvent&) const { return "done"; }
};

}  // namespace

std::string_view EventName(const TurnEvent& event) { return std::visit(Namer{}, event); }

}  // namespace troupe::chat
