#include "chat/tools/card_tools.h"

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "chat/intents/intent_catalog.h"

namespace troupe::chat::tools {

Result<std::vector<HttpTool>> ToolsFromExtensions(std::string_view extensions_json) {
  constexpr std::string_view kField = "extensions.troupe.tools";
  const nlohmann::json extensions = nlohmann::json::parse(extensions_json, nullptr, /*allow_exceptions=*/false);
  std::vector<HttpTool> tools;
  if (extensions.is_object()) {
    const auto troupe = extensions.find("troupe");
    if (troupe != extensions.end() && troupe->is_object()) {
      const auto definitions = troupe->find("tools");
      if (definitions != troupe->end() && !definitions->is_null()) {
        Result<std::vector<HttpTool>> parsed = ParseHttpTools(definitions->dump(), std::string(kField));
        if (!parsed.ok()) return Status(StatusCode::kInvalidArgument, parsed.status().message(), std::string(kField));
        tools = std::move(parsed).value();
      }
    }
  }
  // A catalog that does not load is the catalog's own error (CatalogFromExtensions says it).
  Result<std::optional<intents::IntentCatalog>> catalog = intents::CatalogFromExtensions(extensions_json);
  if (!catalog.ok() || !catalog->has_value()) return tools;
  TROUPE_RETURN_IF_ERROR(CheckIntentTools(**catalog, tools, "extensions.troupe.intents"));
  return tools;
}

Status CheckIntentTools(const intents::IntentCatalog& catalog, const std::vector<HttpTool>& tools,
                        std::string_view catalog_field) {
  std::set<std::string> defined;
  for (const HttpTool& tool : tools) defined.insert(tool.name);
  for (const intents::Intent& intent : catalog.intents) {
    for (const std::string& name : intent.tools) {
      if (defined.count(name) == 0) {
        return Status(StatusCode::kInvalidArgument,
                      std::string(catalog_field) + ": the intent '" + intent.name + "' uses the tool '" + name +
                          "', which extensions.troupe.tools does not define",
                      std::string(catalog_field));
      }
    }
  }
  return Status::Ok();
}

}  // namespace troupe::chat::tools
