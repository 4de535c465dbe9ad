// Where reply media live and how a message's metadata records them (reply_media.h).
#include "chat/reply_media.h"

#include <algorithm>
#include <limits>

#include <unistd.h>

#include <fstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace troupe::chat {
namespace {

struct MediaType {
  std::string_view mime_type;
  std::string_view extension;
};
constexpr MediaType kMediaTypes[] = {
    {"audio/ogg", "opus"}, {"audio/wav", "wav"},  {"audio/mpeg", "mp3"},
    {"image/png", "png"},  {"image/jpeg", "jpg"}, {"image/webp", "webp"},
};

// Told apart in temporary names, so two writers in one process never share one.
std::atomic<uint64_t> media_file_writes{0};

}  // namespace

std::string_view MediaKindName(MediaKind kind) { return kind == MediaKind::kVoice ? "voice" : "picture"; }

std::string_view MediaExtension(std::string_view mime_type) {
  for (const MediaType& type : kMediaTypes) {
    if (type.mime_type == mime_type) return type.extension;
  }
  return "";
}

Result<std::filesystem::path> MediaFilePath(const std::filesystem::path& media_dir, int64_t conversation_id,
                                            int64_t message_id, int file, std::string_view mime_type) {
  const std::string_view extension = MediaExtension(mime_type);
  if (extension.empty()) {
    return Status(StatusCode::kInvalidArgument, "media of type '" + std::string(mime_type) + "' are not stored",
                  "mime_type");
  }
  return media_dir / std::to_string(conversation_id) /
         (std::to_string(message_id) + "-" + std::to_string(file) + "." + std::string(extension));
}

namespace {

// An entry's file number: "file", else (written before it existed) its index in its list.
int FileOf(const nlohmann::json& entry, size_t index) {
  if (entry.is_object()) {
    if (const auto file = entry.find("file"); file != entry.end() && file->is_number_integer() && *file >= 0 &&
                                              *file <= std::numeric_limits<int>::max()) {
      return file->get<int>();
    }
  }
  return static_cast<int>(index);
}

void RaiseOverList(const nlohmann::json& list, int& next) {
  if (!list.is_array()) return;
  for (size_t i = 0; i < list.size(); ++i) next = std::max(next, FileOf(list[i], i) + 1);
}

}  // namespace

int NextMediaFile(std::string_view metadata_json) {
  const nlohmann::json metadata = nlohmann::json::parse(metadata_json, nullptr, false);
  int next = 0;
  if (!metadata.is_object()) return next;
  if (const auto media = metadata.find("media"); media != metadata.end()) RaiseOverList(*media, next);
  if (const auto retired = metadata.find("retired_media"); retired != metadata.end()) RaiseOverList(*retired, next);
  if (const auto kept = metadata.find("swipe_media"); kept != metadata.end() && kept->is_object()) {
    for (const auto& [swipe, list] : kept->items()) RaiseOverList(list, next);
  }
  return next;
}

Status WriteMediaFile(const std::filesystem::path& path, std::string_view bytes) {
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (error) {
    return Status(StatusCode::kUnavailable, path.parent_path().string() + ": cannot be created: " + error.message());
  }
  const std::filesystem::path temporary =
      path.parent_path() / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                            std::to_string(media_file_writes.fetch_add(1)));
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::filesystem::remove(temporary, error);
      return Status(StatusCode::kUnavailable, temporary.string() + ": cannot be written");
    }
  }
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    return Status(StatusCode::kUnavailable, path.string() + ": cannot be written: " + error.message());
  }
  return Status::Ok();
}

Result<MediaItem> MediaOf(const store::Message& message, int index) {
  const nlohmann::json metadata = nlohmann::json::parse(message.metadata_json, nullptr, false);
  const auto none = [&] {
    return Status(StatusCode::kNotFound,
                  "message " + std::to_string(message.id) + " has no medium " + std::to_string(index), "index");
  };
  if (!metadata.is_object() || index < 0) return none();
  const auto media = metadata.find("media");
  if (media == metadata.end() || !media->is_array() || static_cast<size_t>(index) >= media->size()) return none();
  const nlohmann::json& entry = (*media)[static_cast<size_t>(index)];
  if (!entry.is_object()) return none();
  MediaItem item;
  item.file = FileOf(entry, static_cast<size_t>(index));
  const std::string kind = entry.value("kind", "");
  if (kind == "voice") item.kind = MediaKind::kVoice;
  else if (kind == "picture") item.kind = MediaKind::kPicture;
  else return none();
  if (const auto error = entry.find("error"); error != entry.end() && error->is_object()) {
    item.error = error->value("code", "unknown") + ": " + error->value("message", "");
    return item;
  }
  const auto mime = entry.find("mime_type");
  if (mime == entry.end() || !mime->is_string() || MediaExtension(mime->get<std::string>()).empty()) return none();
  item.mime_type = mime->get<std::string>();
  if (const auto duration = entry.find("duration_ms"); duration != entry.end() && duration->is_number_integer()) {
    item.duration_ms = duration->get<int64_t>();
  }
  return item;
}

Result<MediaFile> ReadMediaFile(const std::filesystem::path& media_dir, const store::Message& message, int index) {
  TROUPE_ASSIGN_OR_RETURN(MediaItem item, MediaOf(message, index));
  if (!item.error.empty()) {
    return Status(StatusCode::kNotFound,
                  "the " + std::string(MediaKindName(item.kind)) + " of message " + std::to_string(message.id) +
                      " failed (" + item.error + "), so it has no file",
                  "index");
  }
  TROUPE_ASSIGN_OR_RETURN(std::filesystem::path path,
                          MediaFilePath(media_dir, message.conversation_id, message.id, item.file, item.mime_type));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) {
      return Status(StatusCode::kNotFound, "the file of medium " + std::to_string(index) + " of message " +
                                               std::to_string(message.id) + " is gone", "index");
    }
    return Status(StatusCode::kUnavailable, path.string() + ": cannot be read");
  }
  MediaFile file;
  file.mime_type = item.mime_type;
  file.file = item.file;
  file.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return Status(StatusCode::kUnavailable, path.string() + ": cannot be read");
  return file;
}

namespace {

// Every message of `conversation_id` up to `last_id` (all of them when 0), oldest first.
Result<std::vector<store::Message>> MessagesUpTo(store::Store& store, int64_t conversation_id, int64_t last_id) {
  std::vector<store::Message> messages;
  store::PageRequest page{"", 500};
  while (true) {
    TROUPE_ASSIGN_OR_RETURN(store::Page<store::Message> found, store.messages().List(conversation_id, page));
    for (store::Message& message : found.items) {
      if (last_id == 0 || message.id <= last_id) messages.push_back(std::move(message));
    }
    if (found.next_cursor.empty()) return messages;
    page.cursor = found.next_cursor;
  }
}

// Links (else copies) the file of each entry of `list` from `source` to `copy`; counts them.
int PlaceEntryFiles(const nlohmann::json& list, const std::filesystem::path& media_dir, const store::Message& source,
                    const store::Message& copy) {
  if (!list.is_array()) return 0;
  int placed = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& entry = list[i];
    if (!entry.is_object() || entry.contains("error") || !entry.contains("mime_type") ||
        !entry["mime_type"].is_string()) {
      continue;
    }
    const int file = FileOf(entry, i);
    const std::string mime = entry["mime_type"].get<std::string>();
    Result<std::filesystem::path> from = MediaFilePath(media_dir, source.conversation_id, source.id, file, mime);
    Result<std::filesystem::path> to = MediaFilePath(media_dir, copy.conversation_id, copy.id, file, mime);
    if (!from.ok() || !to.ok()) continue;
    std::error_code error;
    std::filesystem::create_directories(to->parent_path(), error);
    if (!error) std::filesystem::create_hard_link(*from, *to, error);
    if (error) {
      error.clear();
      std::filesystem::copy_file(*from, *to, std::filesystem::copy_options::overwrite_existing, error);
    }
    if (error) {
      spdlog::warn("branch: {} was not copied to {}: {}", from->string(), to->string(), error.message());
      continue;
    }
    ++placed;
  }
  return placed;
}

}  // namespace

Result<int> CopyBranchMedia(store::Store& store, const std::filesystem::path& media_dir,
                            const store::Conversation& branch) {
  const nlohmann::json metadata = nlohmann::json::parse(branch.metadata_json, nullptr, false);
  const nlohmann::json from = metadata.is_object() ? metadata.value("branched_from", nlohmann::json()) : nlohmann::json();
  if (!from.is_object() || !from.value("conversation_id", nlohmann::json()).is_number_integer() ||
      !from.value("message_id", nlohmann::json()).is_number_integer()) {
    return 0;
  }
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> sources,
                          MessagesUpTo(store, from["conversation_id"].get<int64_t>(), from["message_id"].get<int64_t>()));
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> copies, MessagesUpTo(store, branch.id, 0));
  // The store copies the messages one by one in id order, so the n-th copy is the n-th source.
  if (sources.size() != copies.size()) {
    return Status(StatusCode::kInternal, "branch " + std::to_string(branch.id) + " holds " +
                                             std::to_string(copies.size()) + " messages for " +
                                             std::to_string(sources.size()) + " in its source");
  }
  int placed = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    const nlohmann::json source_metadata = nlohmann::json::parse(sources[i].metadata_json, nullptr, false);
    if (!source_metadata.is_object()) continue;
    if (const auto media = source_metadata.find("media"); media != source_metadata.end()) {
      placed += PlaceEntryFiles(*media, media_dir, sources[i], copies[i]);
    }
    if (const auto retired = source_metadata.find("retired_media"); retired != source_metadata.end()) {
      placed += PlaceEntryFiles(*retired, media_dir, sources[i], copies[i]);
    }
    if (const auto kept = source_metadata.find("swipe_media"); kept != source_metadata.end() && kept->is_object()) {
      for (const auto& [swipe, list] : kept->items()) placed += PlaceEntryFiles(list, media_dir, sources[i], copies[i]);
    }
  }
  return placed;
}

Result<std::vector<int64_t>> ConversationIdsOf(store::Store& store, int64_t user_id) {
  std::vector<int64_t> ids;
  store::PageRequest page{"", 500};
  while (true) {
    TROUPE_ASSIGN_OR_RETURN(store::Page<store::Conversation> found, store.conversations().ListForUser(user_id, page));
    for (const store::Conversation& conversation : found.items) ids.push_back(conversation.id);
    if (found.next_cursor.empty()) return ids;
    page.cursor = found.next_cursor;
  }
}

int RemoveConversationMedia(const std::filesystem::path& media_dir, const std::vector<int64_t>& conversation_ids) {
  int removed = 0;
  for (int64_t id : conversation_ids) {
    std::error_code error;
    const std::filesystem::path folder = media_dir / std::to_string(id);
    const auto count = std::filesystem::remove_all(folder, error);
    if (error) {
      spdlog::error("the media of conversation {} were not removed ({}): {}", id, folder.string(), error.message());
    } else if (count > 0) {
      ++removed;
    }
  }
  return removed;
}

}  // namespace troupe::chat
