#include "chat/card.h"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <optional>

#include <nlohmann/json.hpp>

namespace troupe::chat {
namespace {

using nlohmann::json;

// Reads a card's fields strictly: a present field of the wrong type is an error naming its path;
// null counts as absent (many exporters write null for empty fields).
class CardReader {
 public:
  CardReader(const json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  Status Text(std::string_view name, std::string& field) {
    const json* value = Find(name);
    if (value == nullptr) return Status::Ok();
    if (!value->is_string()) return WrongType(name, "a string", *value);
    field = value->get<std::string>();
    return Status::Ok();
  }

  Status Texts(std::string_view name, std::vector<std::string>& field) {
    const json* value = Find(name);
    if (value == nullptr) return Status::Ok();
    if (!value->is_array()) return WrongType(name, "an array of strings", *value);
    field.clear();
    for (size_t i = 0; i < value->size(); ++i) {
      const json& item = (*value)[i];
      if (!item.is_string()) return WrongType(std::string(name) + "[" + std::to_string(i) + "]", "a string", item);
      field.push_back(item.get<std::string>());
    }
    return Status::Ok();
  }

  // A JSON value kept as text ("" when absent).
  Status JsonText(std::string_view name, std::string& field, bool object) {
    const json* value = Find(name);
    if (value == nullptr) return Status::Ok();
    if (object ? !value->is_object() : !value->is_array()) {
      return WrongType(name, object ? "an object" : "an array", *value);
    }
    field = value->dump();
    return Status::Ok();
  }

  // The spec says seconds since the epoch; real cards also carry ISO 8601 text, which is read too.
  Status Date(std::string_view name, std::optional<int64_t>& field) {
    const json* value = Find(name);
    if (value == nullptr) return Status::Ok();
    if (value->is_number()) {
      field = static_cast<int64_t>(value->get<double>());
      return Status::Ok();
    }
    if (value->is_string()) {
      if (std::optional<int64_t> seconds = IsoSeconds(value->get<std::string>())) {
        field = *seconds;
        return Status::Ok();
      }
    }
    return WrongType(name, "a number (seconds since the epoch) or an ISO 8601 date", *value);
  }

  static std::optional<int64_t> IsoSeconds(const std::string& text) {
    std::tm tm{};
    int consumed = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &consumed) != 3 || consumed != 10) {
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
      int hours = 0, minutes = 0;
      if (std::sscanf(text.c_str() + at + 1, "%2d:%2d", &hours, &minutes) != 2) return std::nullopt;
      offset = (text[at] == '+' ? 1 : -1) * (hours * 3600 + minutes * 60);
      at += 6;
    } else if (at < text.size() && text[at] == 'Z') {
      ++at;
    }
    if (at != text.size() || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31) return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<int64_t>(timegm(&tm)) - offset;
  }

  const json* Find(std::string_view name) const {
    auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::string Path(std::string_view name) const { return prefix_.empty() ? std::string(name) : prefix_ + "." + std::string(name); }

  Status WrongType(std::string_view name, std::string_view expected, const json& value) const {
    return Status(StatusCode::kInvalidArgument,
                  Path(name) + ": expected " + std::string(expected) + ", got " + value.type_name(), Path(name));
  }

 private:
  const json& object_;
  std::string prefix_;
};

// Pulls Troupe's flow out of the extensions (it has a field of its own in the store).
Status TakeTroupeExtensions(store::Character& character, const std::string& prefix) {
  json extensions = json::parse(character.extensions_json);
  auto troupe = extensions.find("troupe");
  if (troupe == extensions.end()) return Status::Ok();
  if (!troupe->is_object()) {
    return Status(StatusCode::kInvalidArgument, prefix + "extensions.troupe: expected an object, got " +
                                                    std::string(troupe->type_name()),
                  prefix + "extensions.troupe");
  }
  if (auto flow = troupe->find("flow"); flow != troupe->end()) {
    if (!flow->is_string()) {
      return Status(StatusCode::kInvalidArgument,
                    prefix + "extensions.troupe.flow: expected a string (the flow YAML), got " + flow->type_name(),
                    prefix + "extensions.troupe.flow");
    }
    character.flow = flow->get<std::string>();
    troupe->erase("flow");
    if (troupe->empty()) extensions.erase("troupe");
  }
  character.extensions_json = extensions.dump();
  return Status::Ok();
}

Result<store::Character> ReadData(const json& data, const std::string& prefix, bool v3) {
  if (!data.is_object()) {
    return Status(StatusCode::kInvalidArgument, prefix + ": expected an object, got " + std::string(data.type_name()),
                  prefix);
  }
  store::Character character;
  CardReader reader(data, prefix);
  const json* name = reader.Find("name");
  if (name == nullptr) return Status(StatusCode::kInvalidArgument, reader.Path("name") + ": is required", reader.Path("name"));
  TROUPE_RETURN_IF_ERROR(reader.Text("name", character.name));
  if (character.name.empty()) {
    return Status(StatusCode::kInvalidArgument, reader.Path("name") + ": must not be empty", reader.Path("name"));
  }
  TROUPE_RETURN_IF_ERROR(reader.Text("description", character.description));
  TROUPE_RETURN_IF_ERROR(reader.Text("personality", character.personality));
  TROUPE_RETURN_IF_ERROR(reader.Text("scenario", character.scenario));
  TROUPE_RETURN_IF_ERROR(reader.Text("first_mes", character.first_mes));
  TROUPE_RETURN_IF_ERROR(reader.Text("mes_example", character.mes_example));
  TROUPE_RETURN_IF_ERROR(reader.Text("creator_notes", character.creator_notes));
  TROUPE_RETURN_IF_ERROR(reader.Text("system_prompt", character.system_prompt));
  TROUPE_RETURN_IF_ERROR(reader.Text("post_history_instructions", character.post_history_instructions));
  TROUPE_RETURN_IF_ERROR(reader.Texts("alternate_greetings", character.alternate_greetings));
  TROUPE_RETURN_IF_ERROR(reader.JsonText("character_book", character.character_book_json, true));
  TROUPE_RETURN_IF_ERROR(reader.Texts("tags", character.tags));
  TROUPE_RETURN_IF_ERROR(reader.Text("creator", character.creator));
  TROUPE_RETURN_IF_ERROR(reader.Text("character_version", character.character_version));
  std::string extensions;
  TROUPE_RETURN_IF_ERROR(reader.JsonText("extensions", extensions, true));
  character.extensions_json = extensions.empty() ? "{}" : extensions;
  if (v3) {
    TROUPE_RETURN_IF_ERROR(reader.Text("nickname", character.nickname));
    TROUPE_RETURN_IF_ERROR(reader.JsonText("creator_notes_multilingual", character.creator_notes_multilingual_json, true));
    TROUPE_RETURN_IF_ERROR(reader.Texts("source", character.source));
    TROUPE_RETURN_IF_ERROR(reader.Texts("group_only_greetings", character.group_only_greetings));
    TROUPE_RETURN_IF_ERROR(reader.JsonText("assets", character.assets_json, false));
    TROUPE_RETURN_IF_ERROR(reader.Date("creation_date", character.creation_date));
    TROUPE_RETURN_IF_ERROR(reader.Date("modification_date", character.modification_date));
  }
  TROUPE_RETURN_IF_ERROR(TakeTroupeExtensions(character, prefix + "."));
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
  return ReadData(data, "", false);
}

}  // namespace

bool LooksLikeCardJson(std::string_view json_text) {
  const json value = json::parse(json_text, nullptr, false);
  if (!value.is_object()) return false;
  if (value.contains("spec")) return true;
  return value.contains("char_name") || (value.contains("first_mes") && value.contains("mes_example") &&
                                         !value.contains("flow") && !value.contains("published"));
}

Result<ImportedCard> ParseCardJson(std::string_view json_text) {
  json card = json::parse(json_text, nullptr, false);
  if (card.is_discarded()) return Status(StatusCode::kInvalidArgument, "the card is not valid JSON", "card");
  if (!card.is_object()) {
    return Status(StatusCode::kInvalidArgument, std::string("the card must be a JSON object, got ") + card.type_name(),
                  "card");
  }
  ImportedCard imported;
  auto spec = card.find("spec");
  if (spec == card.end()) {
    imported.spec = CardSpec::kV1;
    TROUPE_ASSIGN_OR_RETURN(imported.character, ReadV1(card));
    return imported;
  }
  if (!spec->is_string()) {
    return Status(StatusCode::kInvalidArgument, std::string("spec: expected a string, got ") + spec->type_name(), "spec");
  }
  const std::string name = spec->get<std::string>();
  if (name != "chara_card_v2" && name != "chara_card_v3") {
    return Status(StatusCode::kInvalidArgument,
                  "spec: '" + name + "' is not a card this version reads (chara_card_v2, chara_card_v3)", "spec");
  }
  imported.spec = name == "chara_card_v3" ? CardSpec::kV3 : CardSpec::kV2;
  auto data = card.find("data");
  if (data == card.end()) return Status(StatusCode::kInvalidArgument, "data: is required", "data");
  TROUPE_ASSIGN_OR_RETURN(imported.character, ReadData(*data, "data", imported.spec == CardSpec::kV3));
  return imported;
}

std::string CardJson(const store::Character& character, CardSpec spec) {
  auto json_or = [](const std::string& text, json fallback) {
    if (text.empty()) return fallback;
    json value = json::parse(text, nullptr, false);
    return value.is_discarded() ? fallback : value;
  };
  json extensions = json_or(character.extensions_json, json::object());
  if (!extensions.is_object()) extensions = json::object();
  if (!character.flow.empty()) extensions["troupe"]["flow"] = character.flow;
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
  if (!character.character_book_json.empty()) data["character_book"] = json_or(character.character_book_json, nullptr);
  if (spec == CardSpec::kV3) {
    data["nickname"] = character.nickname;
    data["creator_notes_multilingual"] = json_or(character.creator_notes_multilingual_json, json::object());
    data["source"] = character.source;
    data["group_only_greetings"] = character.group_only_greetings;
    data["assets"] = json_or(character.assets_json,
                             json::array({{{"type", "icon"}, {"uri", "ccdefault:"}, {"name", "main"}, {"ext", "png"}}}));
    if (character.creation_date) data["creation_date"] = *character.creation_date;
    if (character.modification_date) data["modification_date"] = *character.modification_date;
    return json{{"spec", "chara_card_v3"}, {"spec_version", "3.0"}, {"data", data}}.dump();
  }
  return json{{"spec", "chara_card_v2"}, {"spec_version", "2.0"}, {"data", data}}.dump();
}

}  // namespace troupe::chat
