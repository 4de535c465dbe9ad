// `troupe characters import|export|list|lorebook`: Character Cards in and out of the store, from
// the shell, through the same code as the HTTP API (chat/card_store.h). Import reads card JSON
// (V1/V2/V3) or a card PNG (by content, not by file name), checks the flow (the minor safety gate
// included), keeps a PNG's image as the avatar under the data directory and prints the new
// character's id and slug; export writes V2/V3 JSON or a PNG over the stored avatar; lorebook
// gives a character a lorebook file (a card's character_book, lorebook_v3 or SillyTavern World
// Info).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chat/card.h"
#include "chat/card_store.h"
#include "chat/lorebook.h"
#include "cli/commands.h"

namespace troupe::cli {
namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, path + ": cannot be read", "FILE");
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

struct ImportOptions {
  std::vector<std::string> files;
  bool publish = false;
};

void Import(CommandContext& context, const ImportOptions& options) {
  Result<const config::LoadedConfig*> loaded = context.Configuration();
  if (!loaded.ok()) {
    context.Fail(loaded.status());
    return;
  }
  Result<std::unique_ptr<store::Store>> opened = context.OpenStore();
  if (!opened.ok()) {
    context.Fail(opened.status());
    return;
  }
  chat::CardImportOptions import_options;
  import_options.data_dir = (*loaded)->config.data_dir;
  import_options.publish = options.publish;
  for (const std::string& file : options.files) {
    Result<std::string> bytes = ReadFile(file);
    if (!bytes.ok()) {
      context.Fail(bytes.status());
      return;
    }
    Result<chat::ImportedCard> card = chat::ParseCard(*bytes);
    Result<store::Character> created =
        card.ok() ? chat::StoreImportedCard(**opened, std::move(card).value(), import_options) : card.status();
    if (!created.ok()) {
      context.Fail(Status(created.status().code(), file + ": " + created.status().message(), created.status().field()));
      return;
    }
    store::AuditEntry entry;
    entry.actor = "cli";
    entry.action = "character.import";
    entry.target_type = "character";
    entry.target_id = std::to_string(created->id);
    entry.details_json = nlohmann::json{{"slug", created->slug}, {"file", file}}.dump();
    if (Result<store::AuditEntry> audited = (*opened)->audit().Record(entry); !audited.ok()) {
      context.Fail(audited.status());
      return;
    }
    std::cout << created->id << "\t" << created->slug << "\t" << created->name << std::endl;
  }
}

struct ExportOptions {
  std::string character;  // id or slug
  std::string spec = "v3";
  bool png = false;
  std::string output;
};

void Export(CommandContext& context, const ExportOptions& options) {
  Result<const config::LoadedConfig*> loaded = context.Configuration();
  if (!loaded.ok()) {
    context.Fail(loaded.status());
    return;
  }
  Result<std::unique_ptr<store::Store>> opened = context.OpenStore();
  if (!opened.ok()) {
    context.Fail(opened.status());
    return;
  }
  Result<store::Character> character = FindCharacter(**opened, options.character);
  if (!character.ok()) {
    context.Fail(character.status());
    return;
  }
  std::string bytes;
  if (options.png) {
    Result<std::string> png = chat::StoredCardPng(*character, (*loaded)->config.data_dir);
    if (!png.ok()) {
      context.Fail(png.status());
      return;
    }
    bytes = std::move(*png);
  } else {
    bytes = chat::CardJson(*character, options.spec == "v2" ? chat::CardSpec::kV2 : chat::CardSpec::kV3) + "\n";
  }
  if (options.output.empty() || options.output == "-") {
    if (options.png && isatty(fileno(stdout))) {
      context.Fail(Status(StatusCode::kInvalidArgument, "a PNG is binary: write it with -o FILE", "-o"));
      return;
    }
    std::cout << bytes << std::flush;
    return;
  }
  std::ofstream out(options.output, std::ios::binary);
  out << bytes;
  if (!out.flush()) {
    context.Fail(Status(StatusCode::kUnavailable, options.output + ": cannot be written", "-o"));
    return;
  }
  std::cerr << "wrote " << character->slug << " to " << options.output << "\n";
}

struct LorebookOptions {
  std::string character;  // id or slug
  std::string file;
};

void SetLorebook(CommandContext& context, const LorebookOptions& options) {
  Result<std::unique_ptr<store::Store>> opened = context.OpenStore();
  if (!opened.ok()) {
    context.Fail(opened.status());
    return;
  }
  Result<std::string> text = ReadFile(options.file);
  if (!text.ok()) {
    context.Fail(text.status());
    return;
  }
  Result<std::string> book = chat::CharacterBookJson(*text, "lorebook");
  Result<chat::Lorebook> parsed = book.ok() ? chat::ParseCharacterBook(*book) : book.status();
  if (!parsed.ok()) {
    context.Fail(Status(parsed.status().code(), options.file + ": " + parsed.status().message(),
                        parsed.status().field()));
    return;
  }
  Result<store::Character> character = FindCharacter(**opened, options.character);
  if (!character.ok()) {
    context.Fail(character.status());
    return;
  }
  character->character_book_json = std::move(*book);
  Result<store::Character> updated = (*opened)->characters().Update(std::move(*character));
  if (!updated.ok()) {
    context.Fail(updated.status());
    return;
  }
  store::AuditEntry entry;
  entry.actor = "cli";
  entry.action = "character.lorebook";
  entry.target_type = "character";
  entry.target_id = std::to_string(updated->id);
  entry.details_json = nlohmann::json{{"file", options.file}, {"entries", parsed->entries.size()}}.dump();
  if (Result<store::AuditEntry> audited = (*opened)->audit().Record(entry); !audited.ok()) {
    context.Fail(audited.status());
    return;
  }
  std::cout << updated->id << "\t" << updated->slug << "\t" << parsed->entries.size() << " lorebook entries"
            << std::endl;
}

void List(CommandContext& context, bool as_json) {
  Result<std::unique_ptr<store::Store>> opened = context.OpenStore();
  if (!opened.ok()) {
    context.Fail(opened.status());
    return;
  }
  nlohmann::json all = nlohmann::json::array();
  if (!as_json) {
    std::cout << std::left << std::setw(6) << "ID" << std::setw(28) << "SLUG" << std::setw(11) << "PUBLISHED"
              << "NAME\n";
  }
  store::CharacterQuery query;
  query.page.limit = 500;
  do {
    Result<store::Page<store::Character>> page = (*opened)->characters().List(query);
    if (!page.ok()) {
      context.Fail(page.status());
      return;
    }
    for (const store::Character& character : page->items) {
      if (as_json) {
        all.push_back({{"id", character.id},
                       {"slug", character.slug},
                       {"name", character.name},
                       {"published", character.published},
                       {"tags", character.tags}});
      } else {
        std::cout << std::left << std::setw(6) << character.id << std::setw(28) << character.slug << std::setw(11)
                  << (character.published ? "yes" : "no") << character.name << "\n";
      }
    }
    query.page.cursor = page->next_cursor;
  } while (!query.page.cursor.empty());
  if (as_json) std::cout << all.dump(2) << std::endl;
}

}  // namespace

void AddCharacterCommands(CLI::App& app, CommandContext& context) {
  CLI::App* group = app.add_subcommand("characters", "Import, export and list characters (Character Cards)");
  group->require_subcommand(1);

  auto import_options = std::make_shared<ImportOptions>();
  CLI::App* import = group->add_subcommand(
      "import", "Import Character Cards (V1/V2/V3 JSON or card PNG, whose image becomes the avatar); prints id, slug and "
      "name per card");
  import->add_option("FILE", import_options->files, "card files")->required()->check(CLI::ExistingFile);
  import->add_flag("--publish", import_options->publish, "publish the characters at once");
  import->callback([&context, import_options] { Import(context, *import_options); });

  auto export_options = std::make_shared<ExportOptions>();
  CLI::App* exported = group->add_subcommand("export", "Write a character as a Character Card (JSON on stdout by default)");
  exported->add_option("CHARACTER", export_options->character, "id or slug")->required();
  exported->add_option("--spec", export_options->spec, "v2 or v3 (JSON)")->check(CLI::IsMember({"v2", "v3"}));
  exported->add_flag("--png", export_options->png,
                     "a card PNG (chara and ccv3 chunks, over the stored avatar) instead of JSON");
  exported->add_option("-o,--output", export_options->output, "file to write ('-' or absent: stdout)");
  exported->callback([&context, export_options] { Export(context, *export_options); });

  auto lorebook_options = std::make_shared<LorebookOptions>();
  CLI::App* lorebook = group->add_subcommand(
      "lorebook", "Give a character a lorebook: a card's character_book JSON, a lorebook_v3 file or a SillyTavern "
                  "World Info file (replaces the one it had)");
  lorebook->add_option("CHARACTER", lorebook_options->character, "id or slug")->required();
  lorebook->add_option("FILE", lorebook_options->file, "lorebook JSON")->required()->check(CLI::ExistingFile);
  lorebook->callback([&context, lorebook_options] { SetLorebook(context, *lorebook_options); });

  auto as_json = std::make_shared<bool>(false);
  CLI::App* list = group->add_subcommand("list", "List characters");
  list->add_flag("--json", *as_json, "JSON instead of a table");
  list->callback([&context, as_json] { List(context, *as_json); });
}

Result<store::Character> FindCharacter(store::Store& store, const std::string& id_or_slug) {
  const bool numeric = !id_or_slug.empty() && id_or_slug.size() < 19 &&
                       id_or_slug.find_first_not_of("0123456789") == std::string::npos;
  Result<store::Character> character =
      numeric ? store.characters().Get(std::stoll(id_or_slug)) : store.characters().GetBySlug(id_or_slug);
  if (!character.ok()) return character.status().WithContext("CHARACTER");
  return character;
}

}  // namespace troupe::cli
