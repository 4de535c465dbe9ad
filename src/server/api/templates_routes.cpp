// Response templates (chat/templates/): a character's, listed for the agent console and the studio,
// and one rendered for a conversation so an agent can edit and send it.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "chat/intents/intent_catalog.h"
#include "chat/intents/standalone_catalog.h"
#include "server/api/api_call.h"
#include "server/api/json_io.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

Response ListCharacterTemplates(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "character_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<store::Character> character = call.store.characters().Get(*id);
  if (!character.ok()) return Response::Error(character.status());
  Result<std::optional<chat::intents::IntentCatalog>> catalog =
      chat::intents::CatalogFromExtensions(character->extensions_json);
  if (!catalog.ok()) return Response::Error(catalog.status());
  // A card without a catalog may have one beside the database, as its turns do.
  if (!*catalog && !call.options.data_dir.empty()) {
    Result<std::optional<chat::intents::StandaloneCatalog>> standalone = chat::intents::LoadStandaloneCatalog(
        std::filesystem::path(call.options.data_dir) / "intents", character->slug);
    if (!standalone.ok()) return Response::Error(standalone.status());
    if (*standalone) *catalog = std::move((*standalone)->catalog);
  }
  json data = json::array();
  if (*catalog) {
    for (const chat::intents::Intent& intent : (*catalog)->intents) {
      for (const chat::templates::ResponseTemplate& response : intent.templates) {
        data.push_back({{"intent", intent.name}, {"name", response.name}, {"text", response.text},
                        {"slots", response.slots}, {"facts", response.facts}});
      }
    }
  }
  return Response::Json({{"data", std::move(data)}});
}

Response RenderConversationTemplate(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  JsonObjectReader reader(*body);
  const std::string intent = reader.RequireString("intent");
  const std::string name = reader.RequireString("name");
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  if (call.options.runtime == nullptr) {
    return Response::Error(Status(StatusCode::kUnavailable, "the chat runtime is not running on this server"));
  }
  Result<chat::RenderedTemplate> rendered = call.options.runtime->RenderTemplate(conversation->id, intent, name);
  if (!rendered.ok()) return Response::Error(rendered.status());
  return Response::Json({{"text", rendered->text}, {"values", rendered->values}, {"unfilled", rendered->unfilled}});
}

}  // namespace

void AddTemplateRoutes(RouteTable& table) {
  table.push_back({"GET", "/api/v1/characters/{character_id}/templates", "listCharacterTemplates", "templates",
                   "Every response template of the character's intent catalog, with its slots and facts",
                   {kScopeAgent, kScopeStudio}, false, {}, "", "TemplateList", false, 200, ListCharacterTemplates});
  // Tagged chat: like the other routes that need the chat runtime, it answers 503 without one.
  table.push_back({"POST", "/api/v1/conversations/{conversation_id}/templates/render", "renderTemplate",
                   "chat",
                   "A template rendered for the conversation (the customer's profile, the latest tool results, "
                   "the model for the rest), for an agent to edit and send",
                   {kScopeAgent}, false, {}, "TemplateRenderRequest", "RenderedTemplate", false, 200,
                   RenderConversationTemplate});
}

}  // namespace troupe::server::api
