// ChatRuntime::PreviewVoice and PreviewPicture: the studio's previews of a character's voice and
// pictures, made by the runtime's ReplyMedia on its media threads (the calls block), never on the
// caller's thread.
#include <memory>
#include <utility>

#include "chat/runtime.h"
#include "chat/turn_context.h"

namespace troupe::chat {

namespace {

Status NoPreviewMedia() {
  return Status(StatusCode::kUnavailable, "no voice or picture provider is configured, or the runtime is stopping");
}

}  // namespace

void ChatRuntime::PreviewVoice(VoiceRequest request, MediaDone done) {
  internal::TurnContext& context = *context_;
  if (context.options.reply_media == nullptr) return done(NoPreviewMedia());
  // The task owns `done` once posted; a refused post hands it back here through the shared slot.
  auto slot = std::make_shared<MediaDone>(std::move(done));
  const bool posted = context.PostMedia([media = context.options.reply_media, request = std::move(request), slot] {
    (*slot)(media->Voice(request));
  });
  if (!posted) (*slot)(NoPreviewMedia());
}

void ChatRuntime::PreviewPicture(PictureRequest request, store::Character character, MediaDone done) {
  internal::TurnContext& context = *context_;
  if (context.options.reply_media == nullptr) return done(NoPreviewMedia());
  auto slot = std::make_shared<MediaDone>(std::move(done));
  auto sender = std::make_shared<store::Character>(std::move(character));
  const bool posted = context.PostMedia([media = context.options.reply_media, request = std::move(request), sender,
                                         slot]() mutable {
    request.character = sender.get();
    (*slot)(media->Picture(request));
  });
  if (!posted) (*slot)(NoPreviewMedia());
}

}  // namespace troupe::chat
