// Voice messages and pictures in replies (docs/flows.md, "Voice and pictures"). A stage may send
// some of its reply messages as voice (the text spoken, kept as the transcript) or with a picture.
// The runtime asks a ReplyMedia for the bytes; where they come from (espeak-ng, an OpenAI-compatible
// speech or images API, the offline avatar renderer) is the studio's business
// (studio/reply_media_providers.h), since chat may not use the studio. The files are kept under
// the data directory, one per medium:
//
//   <media_dir>/<conversation_id>/<message_id>-<file>.<ext>      (media_dir = <data_dir>/media)
//
// where <file> numbers the message's media files in the order they were made ("file" in the
// entry; entries written before it existed use their index), so an alternative's media never
// overwrite another's.
// and the message's metadata lists them: {"media": [{"kind": "voice", "mime_type": "audio/ogg",
// "duration_ms": 2140, "bytes": 6512}, {"kind": "picture", "mime_type": "image/png", "bytes": ...,
// "prompt": "..."}, {"kind": "voice", "error": {"code": "unavailable", "message": "..."}}]}.
// The path is derived from the ids and the MIME type, never read from the metadata, so a reader
// (the API's media route) cannot be pointed at another file.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/records.h"
#include "store/store.h"

namespace troupe::chat {

enum class MediaKind { kVoice, kPicture };
// "voice", "picture".
std::string_view MediaKindName(MediaKind kind);

// Speak `text` (a reply message's) in `voice` at `words_per_minute`.
struct VoiceRequest {
  std::string text;
  std::string voice;  // the provider's voice name; "" = its default
  int words_per_minute = 175;
  const std::atomic<bool>* cancelled = nullptr;  // set: stop as soon as possible
};

// Draw `prompt` as a picture `character` sends.
struct PictureRequest {
  std::string prompt;
  std::string negative_prompt;  // "" for none
  const store::Character* character = nullptr;  // the sender: an offline renderer draws from its traits
  uint64_t seed = 0;                            // the same seed asks for the same picture, where supported
  const std::atomic<bool>* cancelled = nullptr;
};

// A medium's file: its bytes and what they are.
struct MediaContent {
  std::string bytes;
  std::string mime_type;    // audio/ogg, audio/wav, audio/mpeg, image/png, image/jpeg or image/webp
  int64_t duration_ms = 0;  // audio; 0 when unknown
};

// Makes the media of replies. Calls block (synthesis, a remote API): the runtime calls them on its
// media threads, never on a turn worker or an HTTP thread. Errors are the providers' own Status
// (kUnavailable, kDeadlineExceeded, kInvalidArgument, ...); the runtime records them in the
// message's metadata and keeps the reply. Thread-safe.
class ReplyMedia {
 public:
  virtual ~ReplyMedia() = default;
  virtual Result<MediaContent> Voice(const VoiceRequest& request) = 0;
  virtual Result<MediaContent> Picture(const PictureRequest& request) = 0;
};

// The file extension of a medium's MIME type ("opus" for audio/ogg, "png", ...); "" for a type a
// medium is never stored as.
std::string_view MediaExtension(std::string_view mime_type);

// <media_dir>/<conversation_id>/<message_id>-<file>.<ext>; kInvalidArgument for a MIME type
// without an extension.
Result<std::filesystem::path> MediaFilePath(const std::filesystem::path& media_dir, int64_t conversation_id,
                                            int64_t message_id, int file, std::string_view mime_type);

// The file number of a message's next medium: one past the highest any of its entries used, shown
// (metadata.media), kept for another alternative (metadata.swipe_media) or retired
// (metadata.retired_media).
int NextMediaFile(std::string_view metadata_json);

// Writes `bytes` through a temporary file and a rename, creating the folders, so a reader never
// sees half a file. kUnavailable naming the path when the disk refuses.
Status WriteMediaFile(const std::filesystem::path& path, std::string_view bytes);

// Medium `index` of a stored message, as its metadata records it.
struct MediaItem {
  MediaKind kind = MediaKind::kVoice;
  int file = 0;  // its file's number
  std::string mime_type;
  int64_t duration_ms = 0;
  std::string error;  // not empty: this medium failed and has no file ("unavailable: ...")
};
// kNotFound when the message's metadata records no medium `index` (or something that is not one).
Result<MediaItem> MediaOf(const store::Message& message, int index);

// The bytes of medium `index` of `message`, with its MIME type: kNotFound for no such medium, a
// failed one (the message says why) or a file that is gone; kUnavailable when it cannot be read.
struct MediaFile {
  std::string bytes;
  std::string mime_type;
  int file = 0;  // its number: what the bytes are, whichever index shows them now
};
Result<MediaFile> ReadMediaFile(const std::filesystem::path& media_dir, const store::Message& message, int index);

// After the store's Branch (conversation_repository.h): the copies of the branched messages get
// the files of their media too (every alternative's and retired ones), hard-linked where the file
// system allows and copied otherwise, so the branch's media route serves them. `branch` must name
// its source in metadata.branched_from; anything else copies nothing. Returns how many files were
// linked or copied; a file that is gone or cannot be placed is logged and skipped (its medium then
// answers 404, as in the source).
Result<int> CopyBranchMedia(store::Store& store, const std::filesystem::path& media_dir,
                            const store::Conversation& branch);

// The ids of every conversation of `user_id` (all pages), for RemoveUserMedia before the user is
// deleted: the store's deletion takes the rows, not the files.
Result<std::vector<int64_t>> ConversationIdsOf(store::Store& store, int64_t user_id);
// Removes <media_dir>/<conversation_id>/ for each id, so a deleted user's voice and pictures go
// with their messages. Returns how many folders were removed; a folder that cannot be removed is
// logged and skipped (the deletion itself has happened).
int RemoveConversationMedia(const std::filesystem::path& media_dir, const std::vector<int64_t>& conversation_ids);

}  // namespace troupe::chat
