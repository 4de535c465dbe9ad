// Character Cards in and out of Troupe's store, the same for the HTTP API and the CLI: an import
// checks the character's flow (the minor safety gate included), creates the character and keeps a
// PNG card's image as its avatar file; an export finds that avatar again to carry the card.
//
// Avatars Troupe keeps live under the data directory in a folder per character,
// avatars/<id>/<slug>.png (<slug>-v<version>.png once replaced), and Character::avatar holds that
// relative path. The value is the server's to set (import, ReplaceAvatar); a character reads and
// deletes only files in its own folder, so no value can make it show or remove another's picture.
// Files kept before the folders (avatars/<slug>.png, avatars/<slug>-<id>[-v<n>].png) still count as
// the character's when the name is one its own import or replacement wrote. Other values (URLs,
// paths elsewhere) are never read: export then uses a generated image.
#pragma once

#include <filesystem>
#include <string>

#include "base/status.h"
#include "chat/card.h"
#include "store/records.h"
#include "store/store.h"

namespace troupe::chat {

struct CardImportOptions {
  std::filesystem::path data_dir;  // empty: a PNG card's image is not kept
  bool publish = false;
};

// Stores `card` as a new character and returns it as stored (id, slug, avatar set). Errors:
// kInvalidArgument from the flow check (field "flow..."), the store's own (kInvalidArgument,
// kConflict, kUnavailable), kUnavailable naming the file when the avatar cannot be written. On any
// error nothing is left behind: a character created before the avatar failed is deleted again.
Result<store::Character> StoreImportedCard(store::Store& store, ImportedCard card, const CardImportOptions& options);

// Makes `png` (any readable PNG; card chunks in it are dropped) the character's avatar, kept under
// the data directory, and returns the character as updated (version bumped). kInvalidArgument
// (field "png") for bytes that are not a readable PNG or too large an image; kFailedPrecondition
// when no data directory is configured; kConflict when the character changed meanwhile.
Result<store::Character> ReplaceAvatar(store::Store& store, store::Character character, std::string_view png,
                                       const std::filesystem::path& data_dir);

// The bytes of the avatar Troupe keeps for `character`, or "" when it has none (no avatar, a URL,
// a path that is not the character's own, a missing or unreadable file, or a file that is not a
// PNG).
std::string StoredAvatarPng(const store::Character& character, const std::filesystem::path& data_dir);

// The character as a card PNG over its stored avatar, or over a generated one when there is none.
Result<std::string> StoredCardPng(const store::Character& character, const std::filesystem::path& data_dir);

// Removes the avatar file Troupe keeps for a deleted character (and its folder). Best effort: a
// missing file, or an avatar that is not the character's own, is left alone without error.
void RemoveStoredAvatar(const store::Character& character, const std::filesystem::path& data_dir);

}  // namespace troupe::chat
