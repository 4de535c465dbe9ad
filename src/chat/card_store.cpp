#include "chat/card_store.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include "chat/card_png.h"
#include "chat/flow.h"
#include "chat/intents/intent_catalog.h"
#include "chat/tools/card_tools.h"

namespace troupe::chat {
namespace {

constexpr std::string_view kAvatarFolder = "avatars/";
// Far above any card image (kMaxCardImagePixels bounds what import accepts).
constexpr std::uintmax_t kMaxAvatarBytes = 64u << 20;

bool IsPlainPngName(std::string_view name) {
  if (name.size() <= 4 || name.size() > 200 || name.compare(name.size() - 4, 4, ".png") != 0) return false;
  return name.front() != '.' && name.find_first_of("/\\") == std::string_view::npos;
}

// The character's own folder, relative to the data directory.
std::string OwnFolder(const store::Character& character) {
  return std::string(kAvatarFolder) + std::to_string(character.id) + "/";
}

// The path (relative to the data directory) of the avatar file `character` owns, or nullopt when
// its avatar value names none: a file in its own folder, or a file kept before the folders under a
// name its own import or replacement wrote.
std::optional<std::string> OwnedAvatar(const store::Character& character) {
  const std::string& avatar = character.avatar;
  const std::string folder = OwnFolder(character);
  if (avatar.rfind(folder, 0) == 0) {
    if (!IsPlainPngName(std::string_view(avatar).substr(folder.size()))) return std::nullopt;
    return avatar;
  }
  if (avatar.rfind(kAvatarFolder, 0) != 0) return std::nullopt;
  const std::string name = avatar.substr(kAvatarFolder.size());
  if (!IsPlainPngName(name)) return std::nullopt;
  const std::string with_id = character.slug + "-" + std::to_string(character.id);
  const std::string versioned = with_id + "-v";
  const bool ours = name == character.slug + ".png" || name == with_id + ".png" ||
                    (name.rfind(versioned, 0) == 0 && name.size() > versioned.size() + 4 &&
                     std::all_of(name.begin() + static_cast<std::ptrdiff_t>(versioned.size()), name.end() - 4,
                                 [](char c) { return c >= '0' && c <= '9'; }));
  if (!ours) return std::nullopt;
  return avatar;
}

// Writes `bytes` to `path` through a temporary file and a rename, so a reader never sees half an
// image.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes) {
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (error) {
    return Status(StatusCode::kUnavailable, path.parent_path().string() + ": cannot be created: " + error.message(),
                  "avatar");
  }
  const std::filesystem::path temporary =
      path.parent_path() / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()));
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::filesystem::remove(temporary, error);
      return Status(StatusCode::kUnavailable, temporary.string() + ": cannot be written", "avatar");
    }
  }
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    return Status(StatusCode::kUnavailable, path.string() + ": cannot be written: " + error.message(), "avatar");
  }
  return Status::Ok();
}

}  // namespace

Result<store::Character> StoreImportedCard(store::Store& store, ImportedCard card, const CardImportOptions& options) {
  TROUPE_RETURN_IF_ERROR(CheckCharacterFlow(card.character.flow, card.character.extensions_json));
  TROUPE_RETURN_IF_ERROR(intents::CatalogFromExtensions(card.character.extensions_json).status());
  TROUPE_RETURN_IF_ERROR(tools::ToolsFromExtensions(card.character.extensions_json).status());
  card.character.published = options.publish;
  card.character.avatar.clear();
  TROUPE_ASSIGN_OR_RETURN(store::Character created, store.characters().Create(std::move(card.character)));
  if (card.avatar_png.empty() || options.data_dir.empty()) return created;

  // The id and slug are known only now.
  const std::string relative = OwnFolder(created) + created.slug + ".png";
  const std::filesystem::path path = options.data_dir / relative;
  std::error_code error;
  Status failure = WriteFileAtomically(path, card.avatar_png);
  if (failure.ok()) {
    store::Character with_avatar = created;
    with_avatar.avatar = relative;
    Result<store::Character> updated = store.characters().Update(std::move(with_avatar));
    if (updated.ok()) return updated;
    failure = updated.status();
    std::filesystem::remove(path, error);
  }
  (void)store.characters().Delete(created.id);  // nothing half-imported; the first error is the one to report
  return failure;
}

Result<store::Character> ReplaceAvatar(store::Store& store, store::Character character, std::string_view png,
                                       const std::filesystem::path& data_dir) {
  if (data_dir.empty()) {
    return Status(StatusCode::kFailedPrecondition, "no data directory is configured to keep avatars in", "avatar");
  }
  // Decoding checks the whole image (and its size) before anything is written; a card inside is
  // not the avatar's business.
  TROUPE_ASSIGN_OR_RETURN(std::string image, WithoutCardChunks(png));
  const std::optional<std::string> previous = OwnedAvatar(character);
  // A fresh name per version, so a browser or proxy never shows the old picture under it.
  const std::string relative =
      OwnFolder(character) + character.slug + "-v" + std::to_string(character.version + 1) + ".png";
  const std::filesystem::path path = data_dir / relative;
  TROUPE_RETURN_IF_ERROR(WriteFileAtomically(path, image));
  character.avatar = relative;
  Result<store::Character> updated = store.characters().Update(std::move(character));
  std::error_code ignored;
  if (!updated.ok()) {
    std::filesystem::remove(path, ignored);
    return updated.status();
  }
  if (previous && *previous != relative) std::filesystem::remove(data_dir / *previous, ignored);
  return updated;
}

std::string StoredAvatarPng(const store::Character& character, const std::filesystem::path& data_dir) {
  const std::optional<std::string> owned = OwnedAvatar(character);
  if (!owned || data_dir.empty()) return "";
  const std::filesystem::path path = data_dir / *owned;
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error || size > kMaxAvatarBytes) return "";
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) return "";
  std::string png = std::move(bytes).str();
  return IsPng(png) ? png : "";
}

Result<std::string> StoredCardPng(const store::Character& character, const std::filesystem::path& data_dir) {
  const std::string avatar = StoredAvatarPng(character, data_dir);
  if (!avatar.empty()) {
    Result<std::string> png = CardPng(character, avatar);
    if (png.ok()) return png;
    // A damaged avatar file must not stop the export; the card matters, the picture less.
  }
  return CardPng(character, "");
}

void RemoveStoredAvatar(const store::Character& character, const std::filesystem::path& data_dir) {
  const std::optional<std::string> owned = OwnedAvatar(character);
  if (!owned || data_dir.empty()) return;
  std::error_code ignored;
  std::filesystem::remove(data_dir / *owned, ignored);
  std::filesystem::remove(data_dir / OwnFolder(character), ignored);  // only when empty
}

}  // namespace troupe::chat
