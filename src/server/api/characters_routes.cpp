// /api/v1/characters: Troupe's character records. Create and update take the record's own fields;
// POST also imports a Character Card: a V1/V2/V3 card JSON (told apart from a record by its
// "spec" field or V1 shape) or a card PNG (Content-Type: image/png, or any body that starts with
// PNG's signature), whose image is kept as the avatar under ApiOptions::data_dir. Every write
// checks the flow, including the safety gate for characters whose card marks them as minors, and
// the lorebook (a World Info file given as character_book is stored as a card's book). GET
// .../card and .../card.png export the card, the PNG over the stored avatar.
#include <strings.h>

#include <charconv>

#include <nlohmann/json.hpp>

#include "chat/card.h"
#include "chat/card_png.h"
#include "chat/card_store.h"
#include "chat/flow.h"
#include "chat/intents/intent_catalog.h"
#include "chat/tools/card_tools.h"
#include "chat/lorebook.h"
#include "server/api/api_call.h"
#include "server/api/json_io.h"
#include "studio/avatar.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

// Reads the record fields present in `body` into `character`; absent fields keep their value,
// so the same reader serves create (over defaults) and update (over the stored record).
void ReadCharacterFields(JsonObjectReader& reader, const json& body, store::Character& character) {
  auto text = [&](std::string_view name, std::string& field) {
    if (auto value = reader.OptionalString(name)) field = std::move(*value);
  };
  auto list = [&](std::string_view name, std::vector<std::string>& field) {
    if (auto value = OptionalStringArray(reader, name)) field = std::move(*value);
  };
  // JSON-valued fields; an explicit null clears them.
  auto json_text = [&](std::string_view name, std::string& field, JsonShape shape,
                       std::string cleared) {
    if (auto value = OptionalJsonText(reader, name, shape)) {
      field = std::move(*value);
    } else if (auto it = body.find(name); it != body.end() && it->is_null()) {
      field = std::move(cleared);
    }
  };
  auto date = [&](std::string_view name, std::optional<int64_t>& field) {
    if (auto value = reader.OptionalInt(name)) {
      field = *value;
    } else if (auto it = body.find(name); it != body.end() && it->is_null()) {
      field.reset();
    }
  };

  text("slug", character.slug);
  text("name", character.name);
  text("description", character.description);
  text("personality", character.personality);
  text("scenario", character.scenario);
  text("first_mes", character.first_mes);
  text("mes_example", character.mes_example);
  text("creator_notes", character.creator_notes);
  text("system_prompt", character.system_prompt);
  text("post_history_instructions", character.post_history_instructions);
  list("alternate_greetings", character.alternate_greetings);
  json_text("character_book", character.character_book_json, JsonShape::kObject, "");
  list("tags", character.tags);
  text("creator", character.creator);
  text("character_version", character.character_version);
  json_text("extensions", character.extensions_json, JsonShape::kObject, "{}");
  text("nickname", character.nickname);
  json_text("creator_notes_multilingual", character.creator_notes_multilingual_json,
            JsonShape::kObject, "");
  list("source", character.source);
  list("group_only_greetings", character.group_only_greetings);
  json_text("assets", character.assets_json, JsonShape::kArray, "");
  date("creation_date", character.creation_date);
  date("modification_date", character.modification_date);
  text("flow", character.flow);
  // The server names the avatar file (import, PUT .../avatar): a value from a client could point at
  // another character's picture. Sending back the value read is harmless and allowed.
  if (auto avatar = reader.OptionalString("avatar"); avatar && *avatar != character.avatar) {
    reader.Fail("avatar", "is set by the server: upload a picture with PUT /api/v1/characters/{id}/avatar or "
                          "import a card PNG");
  }
  if (auto published = reader.OptionalBool("published")) character.published = *published;
}

// The character, if this caller may see it: client calls see published characters only, and an
// unpublished one answers 404 as if it did not exist.
Result<store::Character> VisibleCharacter(ApiCall& call, int64_t id) {
  Result<store::Character> character = call.store.characters().Get(id);
  if (character.ok() && call.as_client() && !character->published) {
    return NotFound("character " + std::to_string(id) + " not found");
  }
  return character;
}

Response ListCharacters(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  Result<std::optional<bool>> published = BoolQuery(call.request, "published");
  if (!published.ok()) return Response::Error(published.status());
  store::CharacterQuery query;
  query.page = *page;
  query.search = call.request.QueryParam("search").value_or("");
  query.tag = call.request.QueryParam("tag").value_or("");
  query.published = *published;
  if (call.as_client()) {
    if (query.published == false) {
      return Response::Error(InvalidArgument("client keys see published characters only", "published"));
    }
    query.published = true;
  }
  Result<store::Page<store::Character>> found = call.store.characters().List(query);
  if (!found.ok()) return Response::Error(found.status());
  // The same document PageJson would build, assembled from cached per-character text.
  Response response;
  response.content_type = "application/json";
  response.body = "{\"data\":[";
  for (size_t i = 0; i < found->items.size(); ++i) {
    if (i > 0) response.body += ',';
    response.body += call.character_json.Get(found->items[i]);
  }
  response.body += "],\"next_cursor\":";
  response.body += found->next_cursor.empty() ? "null" : json(found->next_cursor).dump();
  response.body += '}';
  return response;
}

// The flow (with the safety gate) and the lorebook of a record about to be written; a lorebook in
// another shape (World Info, lorebook_v3) is stored as a card's character_book.
Status CheckCharacter(store::Character& character) {
  if (!character.character_book_json.empty()) {
    TROUPE_ASSIGN_OR_RETURN(character.character_book_json, chat::CharacterBookJson(character.character_book_json));
  }
  TROUPE_RETURN_IF_ERROR(chat::CheckCharacterFlow(character.flow, character.extensions_json));
  TROUPE_RETURN_IF_ERROR(chat::intents::CatalogFromExtensions(character.extensions_json).status());
  return chat::tools::ToolsFromExtensions(character.extensions_json).status();
}

Response StoreImported(ApiCall& call, Result<chat::ImportedCard> card) {
  if (!card.ok()) return Response::Error(card.status());
  const chat::CardSpec spec = card->spec;
  const bool with_image = !card->avatar_png.empty();
  chat::CardImportOptions options;
  options.data_dir = call.options.data_dir;
  Result<store::Character> created = chat::StoreImportedCard(call.store, std::move(card).value(), options);
  if (!created.ok()) return Response::Error(created.status());
  call.Audit("character.import", "character", created->id,
             {{"slug", created->slug}, {"spec", chat::CardSpecName(spec)}, {"png", with_image}});
  return Response::Json(ToJson(*created), 201);
}

bool IsPngContentType(std::string_view content_type) {
  const std::string_view media = content_type.substr(0, content_type.find(';'));
  return media.size() == 9 && strncasecmp(media.data(), "image/png", 9) == 0;
}

Response CreateCharacter(ApiCall& call) {
  const std::string content_type(call.request.Header("Content-Type").value_or(""));
  if (IsPngContentType(content_type) || chat::IsPng(call.request.body)) {
    return StoreImported(call, chat::ParseCardPng(call.request.body));
  }
  // A card JSON passes the same checks as any JSON body first (content type, nesting, repeated keys).
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  if (chat::LooksLikeCardJson(call.request.body)) return StoreImported(call, chat::ParseCardJson(call.request.body));
  JsonObjectReader reader(*body);
  store::Character character;
  // Required, so an empty object is not a silent nameless character.
  character.name = reader.RequireString("name");
  ReadCharacterFields(reader, *body, character);
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  if (character.name.empty()) return Response::Error(InvalidArgument("name must not be empty", "name"));
  if (Status checked = CheckCharacter(character); !checked.ok()) return Response::Error(checked);
  Result<store::Character> created = call.store.characters().Create(std::move(character));
  if (!created.ok()) return Response::Error(created.status());
  call.Audit("character.create", "character", created->id, {{"slug", created->slug}});
  return Response::Json(ToJson(*created), 201);
}

Response GetCharacter(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "character_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<store::Character> character = VisibleCharacter(call, *id);
  if (!character.ok()) return Response::Error(character.status());
  return Response::Json(ToJson(*character));
}

Response UpdateCharacter(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "character_id");
  if (!id.ok()) return Response::Error(id.status());
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  const int64_t version = reader.RequireInt("version", 1);
  if (!reader.ok()) return Response::Error(reader.Finish());
  Result<store::Character> current = call.store.characters().Get(*id);
  if (!current.ok()) return Response::Error(current.status());
  store::Character character = std::move(current).value();
  ReadCharacterFields(reader, *body, character);
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  if (character.name.empty()) return Response::Error(InvalidArgument("name must not be empty", "name"));
  if (Status checked = CheckCharacter(character); !checked.ok()) return Response::Error(checked);
  if (character.version != version) {
    return Response::Error(Conflict("character " + std::to_string(*id) + " is at version " +
                                    std::to_string(character.version) + ", not " +
                                    std::to_string(version) + ": read it again and reapply"));
  }
  // The store checks the version again inside its UPDATE, which closes the read-modify-write race.
  Result<store::Character> updated = call.store.characters().Update(std::move(character));
  if (!updated.ok()) return Response::Error(updated.status());
  call.Audit("character.update", "character", updated->id, {{"version", updated->version}});
  return Response::Json(ToJson(*updated));
}

// ?spec=v2|v3 (default v3).
Response ExportCard(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "character_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<store::Character> character = VisibleCharacter(call, *id);
  if (!character.ok()) return Response::Error(character.status());
  const std::string spec = call.request.QueryParam("spec").value_or("v3");
  if (spec != "v2" && spec != "v3") return Response::Error(InvalidArgument("spec must be v2 or v3", "spec"));
  Response response;
  response.content_type = "application/json";
  response.body = chat::CardJson(*character, spec == "v2" ? chat::CardSpec::kV2 : chat::CardSpec::kV3);
  return response;
}

// The card in a PNG (both chunks) over the character's stored avatar, or a generated image.
Response ExportCardPng(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "character_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<store::Character> character = VisibleCharacter(call, *id);
  if (!character.ok()) return Response::Error(character.status());
  Result<std::string> png = chat::StoredCardPng(*character, call.options.data_dir);
  if (!png.ok()) return Response::Error(png.status());
  Response response;
  response.content_type = "image/png";
  response.body = std::move(*png);
  response.WithHeader("Content-Disposition", "attachment; filename=\"" + character->slug + ".png\"");
  return response;
}

// `?size=` of a generated avatar: 64 to 1,024 pixels, 256 when not given.
Result<int> AvatarSize(const Request& request) {
  const std::optional<std::string> text = request.QueryParam("size");
  if (!text) return 256;
  int size = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), size);
  if (error != std::errc() || end != text->data() + text->size() || size < 64 || size > 1024) {
    return InvalidArgument("size must be a whole number of pixels from 64 to 1024", "size");
  }
  return size;
}

// The picture Troupe keeps for the character, or one the studio renders from its traits (the
// gallery never shows a hole, and characters without a picture still look like themselves).
Response GetAvatar(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "character_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<int> size = AvatarSize(call.request);
  if (!size.ok()) return Response::Error(size.status());
  Result<store::Character> character = VisibleCharacter(call, *id);
  if (!character.ok()) return Response::Error(character.status());
  std::string png = chat::StoredAvatarPng(*character, call.options.data_dir);
  if (png.empty()) {
    Result<std::string> generated = studio::RenderAvatarPng(studio::TraitsOf(*character), *size);
    if (!generated.ok()) return Response::Error(generated.status());
    png = std::move(*generated);
  }
  Response response;
  response.content_type = "image/png";
  response.body = std::move(png);
  response.WithHeader("Cache-Control", "private, no-cache");
  return response;
}

// An image/png body becomes the character's avatar (a new version of the character).
Response PutAvatar(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "character_id");
  if (!id.ok()) return Response::Error(id.status());
  if (!IsPngContentType(call.request.Header("Content-Type").value_or(""))) {
    return Response::Error(InvalidArgument("send the avatar as Content-Type: image/png", "Content-Type"));
  }
  Result<store::Character> character = call.store.characters().Get(*id);
  if (!character.ok()) return Response::Error(character.status());
  Result<store::Character> updated =
      chat::ReplaceAvatar(call.store, *character, call.request.body, call.options.data_dir);
  if (!updated.ok()) return Response::Error(updated.status());
  call.Audit("character.avatar", "character", *id, {{"bytes", call.request.body.size()}});
  return Response::Json(ToJson(*updated));
}

// {"flow": YAML, "extensions": {...}}: whether the flow loads and passes validation (the minor
// safety gate included, from extensions.troupe) without storing anything, for editors to show the
// problem beside the field: {"valid", "stages": [...], "error": null or {"field", "message"}}.
Response CheckFlow(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  const json flow = body->value("flow", json());
  if (!flow.is_string()) return Response::Error(InvalidArgument("flow: expected YAML text", "flow"));
  const json extensions = body->value("extensions", json::object());
  if (!extensions.is_object()) return Response::Error(InvalidArgument("extensions: expected an object", "extensions"));
  const std::string yaml = flow.get<std::string>();
  Status status = chat::CheckCharacterFlow(yaml, extensions.dump());
  if (!status.ok()) {
    if (status.code() != StatusCode::kInvalidArgument) return Response::Error(status);
    return Response::Json({{"valid", false},
                           {"stages", json::array()},
                           {"error", {{"field", status.field()}, {"message", status.message()}}}});
  }
  json stages = json::array();
  const bool blank = yaml.find_first_not_of(" \t\r\n") == std::string::npos;
  Result<chat::Flow> parsed = blank ? Result<chat::Flow>(chat::DefaultFlow()) : chat::ParseFlow(yaml);
  if (parsed.ok()) {
    for (const chat::Stage& stage : parsed->stages) stages.push_back(stage.name);
  }
  return Response::Json({{"valid", true}, {"stages", stages}, {"error", nullptr}});
}

Response DeleteCharacter(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "character_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<store::Character> character = call.store.characters().Get(*id);
  if (!character.ok()) return Response::Error(character.status());
  if (Status status = call.store.characters().Delete(*id); !status.ok()) {
    return Response::Error(status);
  }
  chat::RemoveStoredAvatar(*character, call.options.data_dir);
  call.Audit("character.delete", "character", *id);
  return Response::Text("", 204, "");
}

}  // namespace

void AddCharacterRoutes(RouteTable& table) {
  const std::vector<std::string_view> readers = {kScopeStudio, kScopeAgent, kScopeClient};
  const std::vector<std::string_view> writers = {kScopeStudio};
  table.push_back({"GET", "/api/v1/characters", "listCharacters", "characters",
                   "List characters (client keys: published only), oldest first",
                   readers, false,
                   {{"search", "string", "case-insensitive substring of name, nickname, description or tags"},
                    {"tag", "string", "exact tag"},
                    {"published", "boolean", "only published (true) or unpublished (false)"}},
                   "", "Character", true, 200, ListCharacters});
  table.push_back({"POST", "/api/v1/characters", "createCharacter", "characters",
                   "Create a character from Troupe record fields, or import a Character Card (V1/V2/V3 "
                   "JSON, or a card PNG sent as image/png, whose image becomes the avatar)", writers, false, {},
                   "CharacterCreate", "Character", false, 201, CreateCharacter});
  table.push_back({"GET", "/api/v1/characters/{character_id}/card", "exportCard", "characters",
                   "The character as a Character Card JSON (?spec=v2|v3, default v3)", readers, false,
                   {{"spec", "string", "v2 or v3"}}, "", "CharacterCard", false, 200, ExportCard});
  table.push_back({"GET", "/api/v1/characters/{character_id}/card.png", "exportCardPng", "characters",
                   "The character as a Character Card PNG (chara and ccv3 chunks) over its avatar, or a "
                   "generated image", readers, false, {}, "", "",
                   false, 200, ExportCardPng});
  table.push_back({"GET", "/api/v1/characters/{character_id}/avatar", "getAvatar", "characters",
                   "The character's picture (PNG): the one kept, or an avatar rendered from its traits (?size=64..1024, 256 by default)", readers, false, {}, "", "",
                   false, 200, GetAvatar});
  table.push_back({"PUT", "/api/v1/characters/{character_id}/avatar", "putAvatar", "characters",
                   "Replace the character's picture with an image/png body", writers, false, {}, "",
                   "Character", false, 200, PutAvatar});
  table.push_back({"POST", "/api/v1/flows/check", "checkFlow", "characters",
                   "Check a flow YAML (and the safety gate for the card's extensions) without storing it",
                   writers, false, {}, "FlowCheck", "FlowCheckResult", false, 200, CheckFlow});
  table.push_back({"GET", "/api/v1/characters/{character_id}", "getCharacter", "characters",
                   "Get a character", readers, false, {}, "", "Character", false, 200, GetCharacter});
  table.push_back({"PATCH", "/api/v1/characters/{character_id}", "updateCharacter", "characters",
                   "Change some fields of a character; send the version you read (409 if it moved on)",
                   writers, false, {}, "CharacterUpdate", "Character", false, 200, UpdateCharacter});
  table.push_back({"DELETE", "/api/v1/characters/{character_id}", "deleteCharacter", "characters",
                   "Delete a character (409 while conversations use it)", writers, false, {}, "",
                   "", false, 204, DeleteCharacter});
}

}  // namespace troupe::server::api
