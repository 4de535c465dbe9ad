#include "chat/card.h"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <optional>

#include <nlohmann/json.hpp>

#include "chat/card_json_reader.h"
#include "chat/card_png.h"
#include "chat/lorebook.h"

namespace troupe::chat {
namespace {

using card_json::FieldReader;
using card_json::Invalid;
using card_json::WrongType;
using nlohmann::json;

// "2025-11-10T21:55:00.000Z", "2025-11-10 21:55:00+02:00", "2025-11-10": seconds since the epoch.
std::optional<int64_t> IsoSeconds(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &consumed) != 3 ||
      consumed != 10) {
    return std::nullopt;
  }
  size_t at = 10;
  if (at < text.size() && (text[at] == 'T' || text[at] == ' ')) {
    int more = 0;
    if (std::sscanf(text.c_str() + at + 1, "%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &more) != 3) {
      return std::nullopt;
    }
    at += 1 + static_cast<size_t>(more);
    if (at < text.size() && text[at] == '.') {
      ++at;
      while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) ++at;
    }
  }
  int64_t offset = 0;
  if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int hours = 0, minutes = 0, used = 0;
    if (std::sscanf(text.c_str() + at + 1, "%2d:%2d%n", &hours, &minutes, &used) != 2 || used != 5) {
      return std::nullopt;
    }
    offset = (text[at] == '+' ? 1 : -1) * (hours * 3600 + minutes * 60);
    at += 6;
  } else if (at < text.size() && text[at] == 'Z') {
    ++at;
  }
  if (at != text.size() || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

Status ReadDate(const FieldReader& reader, std::string_view name, std::optional<int64_t>& field) {
  const json* value = reader.Find(name);
  if (value == nullptr) return Status::Ok();
  if (value->is_number()) {
    field = FieldReader::ToInteger(*value);
    return Status::Ok();
  }
  if (value->is_string()) {
    if (std::optional<int64_t> seconds = IsoSeconds(value->get<std::string>())) {
      field = *seconds;
      return Status::Ok();
    }
  }
  return WrongType(reader.Path(name), "a number (seconds since the epoch) or an ISO 8601 date", *value);
}

// Moves Troupe's flow out of the extensions (it has a field of its own in the store) and checks
// the types of the keys the safety gate reads.
Status TakeTroupeExtensions(store::Character& character, const std::string& extensions_path) {
  json extensions = json::parse(character.extensions_json);
  auto troupe = extensions.find("troupe");
  if (troupe == extensions.end() || troupe->is_null()) return Status::Ok();
  const std::string path = extensions_path + ".troupe";
  if (!troupe->is_object()) return WrongType(path, "an object", *troupe);
  const FieldReader reader(*troupe, path);
  bool minor = false;
  TROUPE_RETURN_IF_ERROR(reader.Bool("minor", minor));
  if (const json* age = reader.Find("age"); age != nullptr && !age->is_number()) {
    return WrongType(reader.Path("age"), "a number (years)", *age);
  }
  if (const json* flow = reader.Find("flow")) {
    if (!flow->is_string()) return WrongType(reader.Path("flow"), "a string (the flow YAML)", *flow);
    character.flow = flow->get<std::string>();
  }
  if (troupe->contains("flow")) {
    troupe->erase("flow");
    if (troupe->empty()) extensions.erase("troupe");
  }
  character.extensions_json = extensions.dump();
  return Status::Ok();
}

// Removes the V3 spec's backfill note (and the blank line before it) from V2 creator notes.
void RemoveBackfillNote(std::string& notes) {
  if (notes.size() < kV3BackfillNote.size() ||
      notes.compare(notes.size() - kV3BackfillNote.size(), std::string::npos, kV3BackfillNote) != 0) {
    return;
  }
  notes.resize(notes.size() - kV3BackfillNote.size());
  while (!notes.empty() && (notes.back() == '\n' || notes.back() == '\r' || notes.back() == ' ')) notes.pop_back();
}

Result<store::Character> ReadData(const json& data, const std::string& prefix, CardSpec spec) {
  if (!data.is_object()) return WrongType(prefix.empty() ? "card" : prefix, "an object", data);
  store::Character character;
  const FieldReader reader(data, prefix);
  TROUPE_RETURN_IF_ERROR(reader.Required("name"));
  TROUPE_RETURN_IF_ERROR(reader.String("name", character.name));
  if (character.name.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Invalid(reader.Path("name"), "must not be empty");
  }
  TROUPE_RETURN_IF_ERROR(reader.String("description", character.description));
  TROUPE_RETURN_IF_ERROR(reader.String("personality", character.personality));
  TROUPE_RETURN_IF_ERROR(reader.String("scenario", character.scenario));
  TROUPE_RETURN_IF_ERROR(reader.String("first_mes", character.first_mes));
  TROUPE_RETURN_IF_ERROR(reader.String("mes_example", character.mes_example));
  TROUPE_RETURN_IF_ERROR(reader.String("creator_notes", character.creator_notes));
  TROUPE_RETURN_IF_ERROR(reader.String("system_prompt", character.system_prompt));
  TROUPE_RETURN_IF_ERROR(reader.String("post_history_instructions", character.post_history_instructions));
  TROUPE_RETURN_IF_ERROR(reader.Strings("alternate_greetings", character.alternate_greetings));
  TROUPE_RETURN_IF_ERROR(reader.Strings("tags", character.tags));
  TROUPE_RETURN_IF_ERROR(reader.String("creator", character.creator));
  TROUPE_RETURN_IF_ERROR(reader.String("character_version", character.character_version));
  std::string book;
  TROUPE_RETURN_IF_ERROR(reader.ObjectText("character_book", book));
  if (!book.empty()) {
    TROUPE_ASSIGN_OR_RETURN(character.character_book_json, CharacterBookJson(book, reader.Path("character_book")));
  }
  std::string extensions;
  TROUPE_RETURN_IF_ERROR(reader.ObjectText("extensions", extensions));
  character.extensions_json = extensions.empty() ? "{}" : extensions;
  // V3's fields. A V2 card written by SillyTavern beside a V3 one carries some of them too.
  TROUPE_RETURN_IF_ERROR(reader.String("nickname", character.nickname));
  TROUPE_RETURN_IF_ERROR(reader.ObjectText("creator_notes_multilingual", character.creator_notes_multilingual_json));
  TROUPE_RETURN_IF_ERROR(reader.Strings("source", character.source));
  TROUPE_RETURN_IF_ERROR(reader.Strings("group_only_greetings", character.group_only_greetings));
  TROUPE_RETURN_IF_ERROR(reader.ArrayText("assets", character.assets_json));
  TROUPE_RETURN_IF_ERROR(ReadDate(reader, "creation_date", character.creation_date));
  TROUPE_RETURN_IF_ERROR(ReadDate(reader, "modification_date", character.modification_date));
  if (const json* multilingual = reader.Find("creator_notes_multilingual")) {
    for (auto it = multilingual->begin(); it != multilingual->end(); ++it) {
      if (!it->is_string()) {
        return WrongType(reader.Path("creator_notes_multilingual") + "." + it.key(), "a string", *it);
      }
    }
  }
  if (const json* assets = reader.Find("assets")) {
    for (size_t i = 0; i < assets->size(); ++i) {
      const std::string path = card_json::IndexPath(reader.Path("assets"), i);
      if (!(*assets)[i].is_object()) return WrongType(path, "an object", (*assets)[i]);
      const FieldReader asset((*assets)[i], path);
      std::string ignored;
      for (const char* field : {"type", "uri", "name", "ext"}) TROUPE_RETURN_IF_ERROR(asset.String(field, ignored));
    }
  }
  if (spec == CardSpec::kV2) RemoveBackfillNote(character.creator_notes);
  TROUPE_RETURN_IF_ERROR(TakeTroupeExtensions(character, reader.Path("extensions")));
  return character;
}

// V1: the flat card, with the Pygmalion names as fallbacks.
Result<store::Character> ReadV1(const json& card) {
  json data = json::object();
  auto pick = [&](const char* field, std::initializer_list<const char*> names) {
    for (const char* name : names) {
      auto it = card.find(name);
      if (it != card.end() && !it->is_null()) {
        data[field] = *it;
        return;
      }
    }
  };
  pick("name", {"name", "char_name"});
  pick("description", {"description", "char_persona"});
  pick("personality", {"personality"});
  pick("scenario", {"scenario", "world_scenario"});
  pick("first_mes", {"first_mes", "char_greeting"});
  pick("mes_example", {"mes_example", "example_dialogue"});
  pick("tags", {"tags"});
  return ReadData(data, "", CardSpec::kV1);
}

json ParsedOr(const std::string& text, json fallback) {
  if (text.empty()) return fallback;
  json value = json::parse(text, nullptr, false);
  return value.is_discarded() ? fallback : value;
}

// The stored lorebook as its spec wants it: the fields it requires, added where missing.
json BookForExport(const std::string& stored, CardSpec spec) {
  Result<std::string> book_text = CharacterBookJson(stored);
  json book = ParsedOr(book_text.ok() ? *book_text : stored, nullptr);
  if (!book.is_object()) return book;
  if (!book["extensions"].is_object()) book["extensions"] = json::object();
  json& entries = book["entries"];
  if (!entries.is_array()) entries = json::array();
  for (json& entry : entries) {
    if (!entry.is_object()) continue;
    if (!entry["keys"].is_array()) entry["keys"] = json::array();
    if (!entry["content"].is_string()) entry["content"] = "";
    if (!entry["extensions"].is_object()) entry["extensions"] = json::object();
    if (!entry["enabled"].is_boolean()) entry["enabled"] = true;
    if (!entry["insertion_order"].is_number()) entry["insertion_order"] = 100;
    if (spec == CardSpec::kV3 && !entry["use_regex"].is_boolean()) entry["use_regex"] = false;
  }
  return book;
}

}  // namespace

std::string_view CardSpecName(CardSpec spec) {
  switch (spec) {
    case CardSpec::kV1: return "v1";
    case CardSpec::kV2: return "v2";
    case CardSpec::kV3: return "v3";
  }
  return "v3";
}

bool LooksLikeCardJson(std::string_view json_text) {
  if (card_json::ExcessiveNesting(json_text, card_json::kMaxCardJsonDepth) != std::string_view::npos) return false;
  const json value = json::parse(json_text, nullptr, false);
  if (!value.is_object()) return false;
  if (value.contains("spec")) return true;
  return value.contains("char_name") || (value.contains("first_mes") && value.contains("mes_example") &&
                                         !value.contains("flow") && !value.contains("published"));
}

Result<ImportedCard> ParseCardJson(std::string_view json_text) {
  if (size_t at = card_json::ExcessiveNesting(json_text, card_json::kMaxCardJsonDepth); at != std::string_view::npos) {
    return Invalid("card", "nested deeper than " + std::to_string(card_json::kMaxCardJsonDepth) +
                               " levels at byte " + std::to_string(at));
  }
  json card = json::parse(json_text, nullptr, false);
  if (card.is_discarded()) return Status(StatusCode::kInvalidArgument, "the card is not valid JSON", "card");
  if (!card.is_object()) {
    return Status(StatusCode::kInvalidArgument, std::string("the card must be a JSON object, got ") + card.type_name(),
                  "card");
  }
  ImportedCard imported;
  auto spec = card.find("spec");
  if (spec == card.end() || spec->is_null()) {
    imported.spec = CardSpec::kV1;
    TROUPE_ASSIGN_OR_RETURN(imported.character, ReadV1(card));
    return imported;
  }
  if (!spec->is_string()) return WrongType("spec", "a string", *spec);
  const std::string name = spec->get<std::string>();
  if (name != "chara_card_v2" && name != "chara_card_v3") {
    return Invalid("spec", "'" + Excerpt(name) + "' is not a card this version reads (chara_card_v2, chara_card_v3)");
  }
  imported.spec = name == "chara_card_v3" ? CardSpec::kV3 : CardSpec::kV2;
  auto data = card.find("data");
  if (data == card.end() || data->is_null()) return Invalid("data", "is required");
  TROUPE_ASSIGN_OR_RETURN(imported.character, ReadData(*data, "data", imported.spec));
  return imported;
}

Result<ImportedCard> ParseCard(std::string_view bytes) {
  return IsPng(bytes) ? ParseCardPng(bytes) : ParseCardJson(bytes);
}

std::string CardJson(const store::Character& character, CardSpec spec) {
  json extensions = ParsedOr(character.extensions_json, json::object());
  if (!extensions.is_object()) extensions = json::object();
  if (!character.flow.empty()) {
    if (!extensions["troupe"].is_object()) extensions["troupe"] = json::object();
    extensions["troupe"]["flow"] = character.flow;
  }
  json data = {{"name", character.name},
               {"description", character.description},
               {"personality", character.personality},
               {"scenario", character.scenario},
               {"first_mes", character.first_mes},
               {"mes_example", character.mes_example},
               {"creator_notes", character.creator_notes},
               {"system_prompt", character.system_prompt},
               {"post_history_instructions", character.post_history_instructions},
               {"alternate_greetings", character.alternate_greetings},
               {"tags", character.tags},
               {"creator", character.creator},
               {"character_version", character.character_version},
               {"extensions", extensions}};
  if (!character.character_book_json.empty()) {
    json book = BookForExport(character.character_book_json, spec);
    if (book.is_object()) data["character_book"] = std::move(book);
  }
  if (spec != CardSpec::kV3) {
    return json{{"spec", "chara_card_v2"}, {"spec_version", "2.0"}, {"data", std::move(data)}}.dump();
  }
  if (!character.nickname.empty()) data["nickname"] = character.nickname;
  json multilingual = ParsedOr(character.creator_notes_multilingual_json, nullptr);
  if (multilingual.is_object()) data["creator_notes_multilingual"] = std::move(multilingual);
  data["source"] = character.source;
  data["group_only_greetings"] = character.group_only_greetings;
  json assets = ParsedOr(character.assets_json, nullptr);
  data["assets"] = assets.is_array()
                       ? assets
                       : json::array({{{"type", "icon"}, {"uri", "ccdefault:"}, {"name", "main"}, {"ext", "png"}}});
  if (character.creation_date) {
    data["creation_date"] = *character.creation_date;
  } else if (character.created_at > 0) {
    data["creation_date"] = character.created_at / 1000;
  }
  if (character.updated_at > 0) {
    data["modification_date"] = character.updated_at / 1000;
  } else if (character.modification_date) {
    data["modification_date"] = *character.modification_date;
  }
  return json{{"spec", "chara_card_v3"}, {"spec_version", "3.0"}, {"data", std::move(data)}}.dump();
}

}  // namespace troupe::chat
