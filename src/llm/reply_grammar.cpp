#include "llm/reply_grammar_internal.h"

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/json_schema.h"
#include "llm/engine_status_internal.h"

namespace troupe::llm {
namespace {

using SchemaJson = nlohmann::ordered_json;

constexpr std::string_view kCallOpen = "<tool_call>";

Status Refused(const engine::EngineError& error, const std::string& field) {
  const Status status = StatusFromEngineError(error);
  return Status(status.code(), field + ": " + status.message(), field);
}

Result<std::optional<ReplyGrammar>> FormatGrammar(const ResponseFormat& format) {
  try {
    switch (format.kind) {
      case ResponseFormat::Kind::kText:
        return std::optional<ReplyGrammar>();
      case ResponseFormat::Kind::kJsonObject:
        return std::optional<ReplyGrammar>(ReplyGrammar{engine::JsonSchemaGrammar(SchemaJson{{"type", "object"}}), ""});
      case ResponseFormat::Kind::kJsonSchema:
        return std::optional<ReplyGrammar>(ReplyGrammar{engine::JsonSchemaGrammar(std::string_view(format.schema_json)), ""});
      case ResponseFormat::Kind::kGrammar:
        return std::optional<ReplyGrammar>(ReplyGrammar{engine::Grammar::Parse(format.grammar), ""});
    }
  } catch (const engine::EngineError& error) {
    return Refused(error, "response_format");
  }
  return std::optional<ReplyGrammar>();
}

// {"name": <the tool>, "arguments": <its parameters>} for each tool the reply may call, as one
// schema; the tools' own $defs move to the top, where their "#/$defs/..." references now point.
Result<SchemaJson> CallSchema(const ChatRequest& request) {
  SchemaJson calls = SchemaJson::array();
  SchemaJson defs = SchemaJson::object();
  for (size_t i = 0; i < request.tools.size(); ++i) {
    const ToolDefinition& tool = request.tools[i];
    if (request.tool_choice != "auto" && request.tool_choice != "required" && !request.tool_choice.empty() &&
        request.tool_choice != tool.name) {
      continue;
    }
    const std::string field = "tools[" + std::to_string(i) + "].parameters";
    SchemaJson parameters = SchemaJson::parse(tool.parameters_json, nullptr, /*allow_exceptions=*/false);
    if (parameters.is_discarded() || !parameters.is_object()) {
      return InvalidArgument(field + ": the parameters are not a JSON object", field);
    }
    for (const char* container : {"$defs", "definitions"}) {
      if (!parameters.contains(container)) continue;
      for (const auto& [name, schema] : parameters[container].items()) {
        if (defs.contains(name) && defs[name] != schema) {
          return InvalidArgument(field + ": two tools define '" + name + "' differently", field);
        }
        defs[name] = schema;
      }
      parameters.erase(container);
    }
    calls.push_back({{"type", "object"},
                     {"properties", {{"name", {{"const", tool.name}}}, {"arguments", std::move(parameters)}}},
                     {"required", {"name", "arguments"}}});
  }
  SchemaJson schema = calls.size() == 1 ? calls.front() : SchemaJson{{"anyOf", std::move(calls)}};
  // Both spellings resolve: the tools may have used either.
  if (!defs.empty()) {
    schema["$defs"] = defs;
    schema["definitions"] = defs;
  }
  return schema;
}

Result<std::optional<ReplyGrammar>> ToolGrammar(const ChatRequest& request) {
  TROUPE_ASSIGN_OR_RETURN(SchemaJson schema, CallSchema(request));
  try {
    const engine::Grammar body = engine::JsonSchemaGrammar(schema);
    if (request.tool_choice.empty() || request.tool_choice == "auto") {
      return std::optional<ReplyGrammar>(ReplyGrammar{
          engine::Grammar::Parse(R"(root ::= "\n"? body "\n"? "</tool_call>")", "root", {{"body", body}}),
          std::string(kCallOpen)});
    }
    return std::optional<ReplyGrammar>(ReplyGrammar{
        engine::Grammar::Parse(R"(root ::= call ("\n" call)*
                                  call ::= "<tool_call>\n" body "\n</tool_call>")",
                               "root", {{"body", body}}),
        ""});
  } catch (const engine::EngineError& error) {
    return Refused(error, "tools");
  }
}

}  // namespace

Result<std::optional<ReplyGrammar>> ReplyGrammarFor(const ChatRequest& request) {
  const bool with_tools = !request.tools.empty() && request.tool_choice != "none";
  const bool call_required = with_tools && !request.tool_choice.empty() && request.tool_choice != "auto";
  if (call_required) return ToolGrammar(request);
  if (with_tools && request.response_format.kind == ResponseFormat::Kind::kText) {
    // Free text may still call a tool: check the call when the tools' schemas allow it, and
    // otherwise leave it unchecked rather than refuse a reply that may not call anything.
    Result<std::optional<ReplyGrammar>> calls = ToolGrammar(request);
    return calls.ok() ? std::move(calls) : std::optional<ReplyGrammar>();
  }
  return FormatGrammar(request.response_format);
}

}  // namespace troupe::llm
