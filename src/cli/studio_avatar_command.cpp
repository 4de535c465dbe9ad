// `troupe studio avatar`: the offline avatar (studio/avatar.h) of a stored character or of a card
// file, written as a PNG. The written path goes to stdout, so a script can pick it up.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "chat/card.h"
#include "cli/commands.h"
#include "studio/avatar.h"

namespace troupe::cli {
namespace {

struct AvatarFlags {
  std::string character;  // id or slug
  std::string card;       // a card file (JSON or PNG)
  int size = studio::kDefaultAvatarSize;
  std::string output;
};

Result<studio::AvatarTraits> AvatarTraitsFromCard(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, path + ": cannot be read", "--card");
  std::stringstream bytes;
  bytes << in.rdbuf();
  Result<chat::ImportedCard> card = chat::ParseCard(bytes.str());
  if (!card.ok()) {
    return Status(card.status().code(), path + ": " + card.status().message(), card.status().field());
  }
  return studio::TraitsOf(card->character);
}

Result<studio::AvatarTraits> AvatarTraitsFromStore(CommandContext& context, const std::string& id_or_slug) {
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> database, context.OpenStore());
  TROUPE_ASSIGN_OR_RETURN(const store::Character character, FindCharacter(*database, id_or_slug));
  return studio::TraitsOf(character);
}

Status WriteAvatar(const AvatarFlags& flags, CommandContext& context) {
  if (flags.character.empty() == flags.card.empty()) {
    return InvalidArgument("give exactly one of --character ID_OR_SLUG and --card FILE", "--character");
  }
  if (flags.size < studio::kMinAvatarSize || flags.size > studio::kMaxAvatarSize) {
    return InvalidArgument("--size must be between " + std::to_string(studio::kMinAvatarSize) + " and " +
                               std::to_string(studio::kMaxAvatarSize) + " (got " + std::to_string(flags.size) + ")",
                           "--size");
  }
  TROUPE_ASSIGN_OR_RETURN(const studio::AvatarTraits traits, flags.card.empty()
                                                                 ? AvatarTraitsFromStore(context, flags.character)
                                                                 : AvatarTraitsFromCard(flags.card));
  TROUPE_ASSIGN_OR_RETURN(const std::string png, studio::RenderAvatarPng(traits, flags.size));
  std::ofstream out(flags.output, std::ios::binary | std::ios::trunc);
  out << png;
  if (!out.flush()) return Status(StatusCode::kUnavailable, flags.output + ": cannot be written", "-o");
  std::cout << flags.output << "\n";
  return Status::Ok();
}

}  // namespace

void AddStudioAvatarCommand(CLI::App& studio, CommandContext& context) {
  auto flags = std::make_shared<AvatarFlags>();
  CLI::App* avatar = studio.add_subcommand(
      "avatar", "Draw a character's offline avatar (palette from its personality, its initials) as a PNG");
  CLI::Option* character =
      avatar->add_option("--character", flags->character, "a stored character's id or slug");
  avatar->add_option("--card", flags->card, "a Character Card file (JSON or PNG)")->excludes(character);
  avatar->add_option("--size", flags->size, "width and height in pixels (64 to 1024)")->capture_default_str();
  avatar->add_option("-o,--output", flags->output, "the PNG file to write")->required();
  avatar->callback([&context, flags] {
    if (Status status = WriteAvatar(*flags, context); !status.ok()) context.Fail(status);
  });
}

}  // namespace troupe::cli
