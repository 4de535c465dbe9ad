// A character's tools: `troupe.tools` of its card's extensions, a JSON array of tool definitions
// (http_tool.h). With an intent catalog beside them, every tool an intent names must be defined.
#pragma once

#include <string_view>
#include <vector>

#include "base/status.h"
#include "chat/intents/intent_catalog.h"
#include "chat/tools/http_tool.h"

namespace troupe::chat::tools {

// The card's tools (none when it defines none). kInvalidArgument with field
// "extensions.troupe.tools" when a definition is wrong, or "extensions.troupe.intents" when an
// intent names a tool the card does not define.
Result<std::vector<HttpTool>> ToolsFromExtensions(std::string_view extensions_json);

// kInvalidArgument (field `catalog_field`, which also starts the message) when an intent of
// `catalog` names a tool `tools` does not define.
Status CheckIntentTools(const intents::IntentCatalog& catalog, const std::vector<HttpTool>& tools,
                        std::string_view catalog_field);

}  // namespace troupe::chat::tools
