// A tool bound to an HTTP endpoint of the operator's backend: the function the model sees (name,
// description, JSON-Schema parameters) and the request that carries out a call of it. Defined as
// JSON (a card's `extensions.troupe.tools`, or a catalog file's `tools:`):
//   {"name": "get_balance",
//    "description": "The customer's balance and remaining allowance.",
//    "parameters": {"type": "object", "properties": {"customer_id": {"type": "string"}},
//                   "required": ["customer_id"]},
//    "http": {"method": "GET",
//             "url": "https://api.example.com/v1/customers/{customer_id}/balance",
//             "headers": {"Authorization": "Bearer ${secret:BACKEND_TOKEN}"},
//             "timeout_ms": 5000, "retries": 2,
//             "allowed_hosts": ["api.example.com"], "allow_private": false},
//    "confirm": false,
//    "result": {"pointer": "/data", "fields": ["balance", "currency"]}}
// `{caller.user_id}` (the end user's external id) and `{caller.conversation_id}` in the URL or a
// header are filled in by the runtime, never by the model.
// `{name}` in the URL takes the argument of that name (percent-encoded); the other arguments go
// in the query string (GET, DELETE) or as the JSON body (POST, PUT, PATCH). `${secret:NAME}` in
// a header takes the configured secret NAME; secrets never appear in arguments, logs or audits.
// `allowed_hosts` defaults to the URL's own host; `allow_private` lets the tool reach loopback,
// private and link-local addresses (refused otherwise, whatever the name resolves to). `confirm`:
// the tool changes something, so the user is asked before it runs. `result` narrows what of a JSON
// answer the model sees (result_shape.h). A definition with "preset" is a ready-made tool that needs
// only a URL (tool_presets.h: web_search over SearXNG, rest_lookup).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "chat/tools/result_shape.h"

namespace troupe::chat::tools {

struct HttpTool {
  std::string name;
  std::string description;
  std::string parameters_json = R"({"type":"object","properties":{}})";
  std::string method = "GET";
  std::string url;
  std::map<std::string, std::string> headers;
  int64_t timeout_ms = 10'000;
  int retries = 1;  // extra attempts after a connection failure, a 429 or a 5xx (idempotent methods only)
  std::vector<std::string> allowed_hosts;  // lowercased; never empty once parsed
  bool allow_private = false;
  bool confirm = false;
  ResultShape result;  // what of the answer the model sees (result_shape.h)

  bool idempotent() const { return method == "GET" || method == "PUT" || method == "DELETE"; }
  bool sends_body() const { return method == "POST" || method == "PUT" || method == "PATCH"; }
};

// One tool from its JSON definition; errors name `where` and the field ("tools[2].http.method:
// expected GET, POST, PUT, PATCH or DELETE").
Result<HttpTool> ParseHttpTool(const nlohmann::json& definition, const std::string& where);
// A JSON array of definitions (names must be unique), from text.
Result<std::vector<HttpTool>> ParseHttpTools(std::string_view json_text, const std::string& where);

}  // namespace troupe::chat::tools
