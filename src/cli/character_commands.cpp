// `troupe characters import|export|list`: Character Cards in and out of the store, from the shell.
// Import reads card JSON (V1/V2/V3) or a card PNG, checks the flow (the minor safety gate
// included) and prints the new character's id and slug; export writes V2/V3 JSON or a PNG.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chat/card.h"
#include "chat/flow.h"
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
  Result<std::unique_ptr<store::Store>> opened = context.OpenStore();
  if (!opened.ok()) {
    context.Fail(opened.status());
    return;
  }
  for (const std::string& file : options.files) {
    Result<std::string> bytes = ReadFile(file);
    if (!bytes.ok()) {
      context.Fail(bytes.status());
      return;
    }
    Result<chat::ImportedCard> card = chat::IsPng(*bytes) ? chat::ParseCardPng(*bytes) : chat::ParseCardJson(*bytes);
    Status checked = card.ok() ? chat::CheckCharacterFlow(card->character.flow, card->character.extensions_json)
                               : card.status();
    if (!checked.ok()) {
      context.Fail(Status(checked.code(), file + ": " + checked.message(), checked.field()));
      return;
    }
    card->character.published = options.publish;
    Result<store::Character> created = (*opened)->characters().Create(std::move(card->character));
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
  Result<std::unique_ptr<store::Store>> opened = context.OpenStore();
  if (!opened.ok()) {
    context.Fail(opened.status());
    return;
  }
  const bool numeric = !options.character.empty() &&
                       options.character.find_first_not_of("0123456789") == std::string::npos;
  Result<store::Character> character = numeric ? (*opened)->characters().Get(std::stoll(options.character))
                                               : (*opened)->characters().GetBySlug(options.character);
  if (!character.ok()) {
    context.Fail(character.status().WithContext("CHARACTER"));
    return;
  }
  std::string bytes;
  if (options.png) {
    Result<std::string> png = chat::CardPng(*character, "");
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
      "import", "Import Character Cards (V1/V2/V3 JSON or card PNG); prints id, slug and name per card");
  import->add_option("FILE", import_options->files, "card files")->required()->check(CLI::ExistingFile);
  import->add_flag("--publish", import_options->publish, "publish the characters at once");
  import->callback([&context, import_options] { Import(context, *import_options); });

  auto export_options = std::make_shared<ExportOptions>();
  CLI::App* exported = group->add_subcommand("export", "Write a character as a Character Card (JSON on stdout by default)");
  exported->add_option("CHARACTER", export_options->character, "id or slug")->required();
  exported->add_option("--spec", export_options->spec, "v2 or v3 (JSON)")->check(CLI::IsMember({"v2", "v3"}));
  exported->add_flag("--png", export_options->png, "a card PNG (chara and ccv3 chunks) instead of JSON");
  exported->add_option("-o,--output", export_options->output, "file to write ('-' or absent: stdout)");
  exported->callback([&context, export_options] { Export(context, *export_options); });

  auto as_json = std::make_shared<bool>(false);
  CLI::App* list = group->add_subcommand("list", "List characters");
  list->add_flag("--json", *as_json, "JSON instead of a table");
  list->callback([&context, as_json] { List(context, *as_json); });
}

}  // namespace troupe::cli
