// Internal to the chat runtime: alternatives of a reply (ChatRuntime::Regenerate, SelectSwipe,
// EditMessage; runtime.h states what they promise). A regenerated reply streams like any other,
// then is stored as a new alternative of the reply's first message, whose metadata keeps them all
// ({"swipes": [...], "swipe": i}); the reply's other parts are marked superseded, never deleted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "chat/turn_context.h"

namespace troupe::chat::internal {

struct TurnJob;  // chat/turn_control.h

// Runs on a worker as the conversation's turn; ends through job->finish.
void Regenerate(TurnContext& context, int64_t conversation_id, int64_t message_id, std::shared_ptr<TurnJob> job);
Result<store::Message> SelectSwipe(TurnContext& context, int64_t message_id, int index);
Result<store::Message> EditMessage(TurnContext& context, int64_t message_id, std::string content);

}  // namespace troupe::chat::internal
