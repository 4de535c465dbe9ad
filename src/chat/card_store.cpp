#include "chat/card_store.h"

#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include "chat/card_png.h"
#include "chat/flow.h"

namespace troupe::chat {
namespace {

constexpr std::string_view kAvatarFolder = "avatars/";
// Far above any card image (kMaxCardImagePixels bounds what import accepts).
constexpr std::uintmax_t kMaxAvatarBytes = 64u << 20;

// The file name inside avatars/ when `avatar` is one Troupe keeps: "avatars/<name>.png" with a
// plain file name, so a value set through the API cannot point anywhere else.
std::optional<std::string> KeptAvatarName(const std::string& avatar) {
  if (avatar.rfind(kAvatarFolder, 0) != 0) return std::nullopt;
  const std::string name = avatar.substr(kAvatarFolder.size());
  if (name.size() <= 4 || name.size() > 200 || name.compare(name.size() - 4, 4, ".png") != 0) return std::nullopt;
  if (name.front() == '.' || name.find_first_of("/\\") != std::string::npos) return std::nullopt;
  return name;
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
  card.character.published = options.publish;
  card.character.avatar.clear();
  TROUPE_ASSIGN_OR_RETURN(store::Character created, store.characters().Create(std::move(card.character)));
  if (card.avatar_png.empty() || options.data_dir.empty()) return created;

  // The slug is known only now; a name already taken (a character renamed since) is not reused.
  std::string name = created.slug + ".png";
  std::error_code error;
  if (std::filesystem::exists(options.data_dir / kAvatarFolder / name, error)) {
    name = created.slug + "-" + std::to_string(created.id) + ".png";
  }
  const std::filesystem::path path = options.data_dir / kAvatarFolder / name;
  Status failure = WriteFileAtomically(path, card.avatar_png);
  if (failure.ok()) {
    store::Character with_avatar = created;
    with_avatar.avatar = std::string(kAvatarFolder) + name;
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
  const std::optional<std::string> previous = KeptAvatarName(character.avatar);
  // A fresh name per version, so a browser or proxy never shows the old picture under it.
  const std::string name = character.slug + "-" + std::to_string(character.id) + "-v" +
                           std::to_string(character.version + 1) + ".png";
  const std::filesystem::path path = data_dir / kAvatarFolder / name;
  TROUPE_RETURN_IF_ERROR(WriteFileAtomically(path, image));
  character.avatar = std::string(kAvatarFolder) + name;
  Result<store::Character> updated = store.characters().Update(std::move(character));
  std::error_code ignored;
  if (!updated.ok()) {
    std::filesystem::remove(path, ignored);
    return updated.status();
  }
  if (previous && *previous != name) std::filesystem::remove(data_dir / kAvatarFolder / *previous, ignored);
  return updated;
}

std::string StoredAvatarPng(const store::Character& character, const std::filesystem::path& data_dir) {
  const std::optional<std::string> name = KeptAvatarName(character.avatar);
  if (!name || data_dir.empty()) return "";
  const std::filesystem::path path = data_dir / kAvatarFolder / *name;
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
  const std::optional<std::string> name = KeptAvatarName(character.avatar);
  if (!name || data_dir.empty()) return;
  std::error_code ignored;
  std::filesystem::remove(data_dir / kAvatarFolder / *name, ignored);
}

}  // namespace troupe::chat
