// Tools an operator only points at a URL. A definition with "preset" is expanded into a whole tool
// definition (http_tool.h) before it is parsed:
//
//   {"preset": "web_search", "url": "https://searx.example.org/search"}
//     A web search over a SearXNG-compatible JSON API (GET url?format=json&q=...), so a character
//     can decide to look something up; the model sees the first `max_results` (5) results' title,
//     url and content. Optional: name ("web_search"), description, language, max_results,
//     headers, timeout_ms, allowed_hosts, allow_private.
//
//   {"preset": "rest_lookup", "name": "order_status", "description": "An order's status.",
//    "url": "https://shop.example/api/orders/{id}"}
//     A GET of one record by a key the model supplies ("parameter", default "id", described by
//     "parameter_description"); optional "fields" and "pointer" narrow what the model sees, and
//     headers, timeout_ms, retries, allowed_hosts, allow_private as for any tool.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"

namespace troupe::chat::tools {

// The full definition of a preset; errors name `where` and the key ("tools[1].preset: unknown
// preset 'search'; expected web_search or rest_lookup").
Result<nlohmann::json> ExpandPreset(const nlohmann::json& definition, const std::string& where);

}  // namespace troupe::chat::tools
