// JSON Schemas from API callers (`response_format`, tools' parameters): the input is the schema's
// text. When it compiles, a few fixed values are checked both ways, and a walk of the grammar's
// byte automaton over the input's bytes ends without crashing. Invariants: only EngineError
// escapes, its message begins with "JSON schema" or "grammar", and a fixed value whose compact
// text the grammar matches is one the validator accepts (what the grammar generates validates).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/error.h"
#include "engine/json_schema.h"

namespace {

using troupe::engine::EngineError;
using troupe::engine::Grammar;
using Json = nlohmann::ordered_json;

void CheckMessage(const EngineError& error) {
  const std::string_view message(error.what());
  if (message.rfind("JSON schema", 0) != 0 && message.rfind("grammar", 0) != 0) std::abort();
}

bool Matches(const Grammar& grammar, std::string_view text) { return grammar.Check(text) == Grammar::Match::kWhole; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const Json schema = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded()) return 0;
  static const Json values[] = {Json(nullptr), Json(true), Json(0), Json(-2.5), Json("ab"), Json::array({1, "x"}),
                                Json::object(), Json::parse(R"({"a": 1, "b": [true]})")};
  try {
    const Grammar grammar = troupe::engine::JsonSchemaGrammar(schema);
    for (const Json& value : values) {
      const bool valid = !troupe::engine::JsonSchemaViolation(schema, value).has_value();
      // What the grammar generates must validate: a compact text it matches is a valid value.
      if (Matches(grammar, value.dump()) && !valid) std::abort();
    }
    Matches(grammar, text);
  } catch (const EngineError& error) {
    CheckMessage(error);
  }
  return 0;
}
