// Internal to the chat runtime: the step after a reply's parts are stored that gives the parts
// their voice and pictures (chat/reply_media.h, docs/flows.md "Voice and pictures").
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chat/reply_media.h"
#include "chat/turn_context.h"

namespace troupe::chat::internal {

class TurnControl;  // chat/turn_control.h

// What a character's card says about its voice and pictures: extensions.troupe.voice ({"voice",
// "words_per_minute"}, or a voice name as text), and its image prompt (troupe.image_prompt, else
// the studio's troupe.generated.image_prompt) with troupe.generated.negative_prompt. Absent or
// malformed values are empty.
struct CardMediaDefaults {
  std::string voice;
  int words_per_minute = 0;
  std::string image_prompt;
  std::string negative_prompt;
};
CardMediaDefaults MediaDefaultsOf(std::string_view extensions_json);

// The picture's prompt: the stage's template (or "{{image_prompt}}. {{message}}") with
// {{image_prompt}} (the card's, else "a picture {{char}} sends"), {{message}} (the reply message),
// {{conversation}} (the last few messages, "Name: text" a line) and the card macros expanded;
// at most 1,000 bytes, cut at a character boundary.
std::string PicturePrompt(const std::string& stage_template, const CardMediaDefaults& defaults,
                          const std::string& char_name, const std::string& user_name, const std::string& message,
                          const std::vector<store::Message>& recent);

// For each of `messages` (a reply's parts, stored) that the stage's voice or pictures draw picks
// (MediaDrawn on the message id): the medium is made on the media threads, written under the
// media directory, listed in the message's metadata (or its error, logged) and reported as a
// MediaEvent and RuntimeOptions::on_message_stored; cancelling the turn stops a medium in flight
// (the providers poll TurnControl::cancel_flag) and skips the rest. `done` gets the messages as stored now, on a worker, or at once on this thread when
// there is nothing to make (no ReplyMedia, no stage settings, nothing drawn, a cancelled turn).
// `history` is what the reply answered, for the pictures' {{conversation}}.
void AttachMedia(TurnContext& context, std::shared_ptr<const Scene> scene, const Stage* stage,
                 std::vector<store::Message> messages, std::vector<store::Message> history, TurnSink sink,
                 std::shared_ptr<TurnControl> control, std::function<void(std::vector<store::Message>)> done);

}  // namespace troupe::chat::internal
