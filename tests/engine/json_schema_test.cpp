// JSON Schema for constrained decoding: which texts a schema's grammar accepts (valid values in
// compact and indented form; wrong types, missing required properties, extra properties, bad
// lengths refused), refused keywords and malformed schemas named with their place, and the
// validator's verdicts.
#include "engine/json_schema.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "engine/error.h"

namespace troupe::engine {
namespace {

using Json = nlohmann::ordered_json;

bool Matches(const Grammar& grammar, std::string_view text) { return grammar.Check(text) == Grammar::Match::kWhole; }

std::string Error(const Json& schema, EngineError::Kind kind) {
  try {
    JsonSchemaGrammar(schema);
  } catch (const EngineError& error) {
    EXPECT_EQ(error.kind(), kind) << error.what();
    return error.what();
  }
  return "compiled";
}

const Json kPerson = Json::parse(R"({
  "type": "object",
  "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 12},
    "age": {"type": "integer"},
    "mood": {"enum": ["happy", "sad", 3, null]},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    "address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "score": {"type": ["number", "null"]},
    "kind": {"const": "person"},
    "extra": {}
  },
  "required": ["name", "age"]
})");

TEST(JsonSchemaTest, ValidValuesMatchCompactAndIndented) {
  const Grammar grammar = JsonSchemaGrammar(kPerson);
  const Json values[] = {
      Json::parse(R"({"name": "Ann", "age": 31})"),
      Json::parse(R"({"name": "Bob", "age": -4, "mood": null, "tags": ["a", "b\"c"], "score": 1.5e3})"),
      Json::parse(R"({"name": "Zoë ✓", "age": 0, "mood": 3, "tags": [], "address": {"city": "Bern"}, "score": null,
                      "kind": "person", "extra": {"any": [1, {"x": false}]}})"),
  };
  for (const Json& value : values) {
    EXPECT_TRUE(Matches(grammar, value.dump())) << value.dump();
    EXPECT_TRUE(Matches(grammar, value.dump(2))) << value.dump(2);
    EXPECT_EQ(JsonSchemaViolation(kPerson, value), std::nullopt) << value.dump();
  }
}

TEST(JsonSchemaTest, InvalidValuesDoNotMatch) {
  const Grammar grammar = JsonSchemaGrammar(kPerson);
  for (std::string_view text : {
           R"({"age": 31})",                                   // name is required
           R"({"name": "Ann"})",                               // age is required
           R"({"name": "", "age": 1})",                        // minLength
           R"({"name": "Ann Ann Ann Ann", "age": 1})",         // maxLength
           R"({"name": "Ann", "age": 1.5})",                   // not an integer
           R"({"name": "Ann", "age": 01})",                    // not JSON
           R"({"name": "Ann", "age": 1, "mood": "glad"})",     // enum
           R"({"name": "Ann", "age": 1, "tags": ["a","b","c","d"]})",  // maxItems
           R"({"name": "Ann", "age": 1, "address": {}})",      // nested required
           R"({"name": "Ann", "age": 1, "other": 2})",         // not a listed property
           R"({"age": 1, "name": "Ann"})",                     // properties come in the schema's order
           R"({"name": "Ann", "age": 1,})",                    // trailing comma
           R"({"name": "A\ud800", "age": 1})",                 // a lone surrogate escape
           R"({"name": "Ann", "age": 12345678901234567})",     // more than 16 digits
       }) {
    EXPECT_FALSE(Matches(grammar, text)) << text;
  }
}

TEST(JsonSchemaTest, ArraysMapsRefsAndAnyOf) {
  const Json schema = Json::parse(R"({
    "$defs": {"node": {"type": "object", "properties": {"v": {"type": "integer"},
                                                       "next": {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]}},
                       "required": ["v", "next"]}},
    "type": "object",
    "properties": {
      "list": {"$ref": "#/$defs/node"},
      "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
      "pair": {"type": "array", "items": {"type": "boolean"}, "minItems": 2, "maxItems": 2},
      "empty": {"type": "object", "additionalProperties": false}
    },
    "required": ["list", "counts", "pair", "empty"]
  })");
  const Grammar grammar = JsonSchemaGrammar(schema);
  const Json good = Json::parse(R"({"list": {"v": 1, "next": {"v": 2, "next": null}}, "counts": {"a": 1, "b": 2},
                                     "pair": [true, false], "empty": {}})");
  EXPECT_TRUE(Matches(grammar, good.dump()));
  EXPECT_EQ(JsonSchemaViolation(schema, good), std::nullopt);
  EXPECT_FALSE(Matches(grammar, R"({"list": {"v": 1, "next": 3}, "counts": {}, "pair": [true, false], "empty": {}})"));
  EXPECT_FALSE(Matches(grammar, R"({"list": {"v": 1, "next": null}, "counts": {"a": "x"}, "pair": [true, false], "empty": {}})"));
  EXPECT_FALSE(Matches(grammar, R"({"list": {"v": 1, "next": null}, "counts": {}, "pair": [true], "empty": {}})"));
  EXPECT_FALSE(Matches(grammar, R"({"list": {"v": 1, "next": null}, "counts": {}, "pair": [true, true], "empty": {"a": 1}})"));
}

TEST(JsonSchemaTest, EnumValuesKeepOnlyWhatTheRestAllows) {
  const Json schema = Json::parse(R"({"type": "string", "maxLength": 3, "enum": ["ab", "abcd", 7, null]})");
  const Grammar grammar = JsonSchemaGrammar(schema);
  EXPECT_TRUE(Matches(grammar, "\"ab\""));
  for (std::string_view text : {"\"abcd\"", "7", "null"}) EXPECT_FALSE(Matches(grammar, text)) << text;
}

TEST(JsonSchemaTest, AnEmptySchemaIsAnyJsonValue) {
  const Grammar grammar = JsonSchemaGrammar(Json::object());
  for (std::string_view text : {"1", "-0.5E+7", "\"x\"", "true", "null", "[1, [2, {}]]", "{\"a\": {\"b\": []}}", "[ ]"}) {
    EXPECT_TRUE(Matches(grammar, text)) << text;
  }
  for (std::string_view text : {"tru", "[1,]", "{a: 1}", "'x'", "1.", ".5", "+1", "[1] [2]", " 1", "1 "}) {
    EXPECT_FALSE(Matches(grammar, text)) << text;
  }
}

TEST(JsonSchemaTest, UnsupportedKeywordsAreNamedWithTheirPlace) {
  EXPECT_EQ(Error(Json::parse(R"({"type": "object", "properties": {"n": {"type": "integer", "minimum": 3}}})"),
                  EngineError::Kind::kUnsupported),
            "JSON schema #/properties/n: keyword 'minimum' is not supported");
  EXPECT_EQ(Error(Json::parse(R"({"type": "string", "pattern": "^a"})"), EngineError::Kind::kUnsupported),
            "JSON schema #: keyword 'pattern' is not supported");
  EXPECT_EQ(Error(Json::parse(R"({"oneOf": [{"type": "string"}]})"), EngineError::Kind::kUnsupported),
            "JSON schema #: keyword 'oneOf' is not supported");
  EXPECT_EQ(Error(Json::parse(R"({"$ref": "http://example.com/s.json"})"), EngineError::Kind::kUnsupported),
            "JSON schema #/$ref: only '#', '#/$defs/NAME' and '#/definitions/NAME' are supported, not "
            "'http://example.com/s.json'");
  EXPECT_EQ(Error(Json::parse(R"({"type": "object", "anyOf": [{"required": ["a"]}]})"), EngineError::Kind::kUnsupported),
            "JSON schema #: 'type' beside 'anyOf' is not supported");
  EXPECT_EQ(Error(Json::parse(R"({"required": ["a"]})"), EngineError::Kind::kUnsupported),
            "JSON schema #/required: 'a' is required but not in properties");
  EXPECT_EQ(Error(Json::parse(R"({"type": "string", "enum": [1, 2]})"), EngineError::Kind::kUnsupported),
            "JSON schema #: no value of enum satisfies the rest of the schema");
  EXPECT_EQ(Error(Json::parse(R"({"type": "string", "maxLength": 20000})"), EngineError::Kind::kUnsupported),
            "JSON schema #: length bounds above 10000 are not supported");
}

TEST(JsonSchemaTest, MalformedSchemasAreInvalidInput) {
  EXPECT_EQ(Error(Json::parse(R"({"type": "text"})"), EngineError::Kind::kInvalidInput),
            "JSON schema #/type: unknown type 'text'");
  EXPECT_EQ(Error(Json::parse(R"({"type": "string", "maxLength": -1})"), EngineError::Kind::kInvalidInput),
            "JSON schema #/maxLength: must be a non-negative integer");
  EXPECT_EQ(Error(Json::parse(R"({"properties": {"a": 3}})"), EngineError::Kind::kInvalidInput),
            "JSON schema #/properties/a: a schema must be an object or a boolean");
  EXPECT_EQ(Error(Json::parse(R"({"$ref": "#/$defs/missing"})"), EngineError::Kind::kInvalidInput),
            "JSON schema #/$ref: '#/$defs/missing' does not resolve");
  EXPECT_EQ(Error(Json::parse(R"({"$ref": "#"})"), EngineError::Kind::kInvalidInput),
            "grammar: rule 'ref-root' is left-recursive (ref-root -> ref-root)");
  try {
    JsonSchemaGrammar(std::string_view("{\"type\": "));
    FAIL();
  } catch (const EngineError& error) {
    EXPECT_NE(std::string(error.what()).find("JSON schema: not JSON"), std::string::npos) << error.what();
  }
}

TEST(JsonSchemaTest, ViolationsSayWhere) {
  EXPECT_EQ(JsonSchemaViolation(kPerson, Json::parse(R"({"name": "Ann"})")), "$: missing required property 'age'");
  EXPECT_EQ(JsonSchemaViolation(kPerson, Json::parse(R"({"name": "Ann", "age": "x"})")), "$.age: expected an integer");
  EXPECT_EQ(JsonSchemaViolation(kPerson, Json::parse(R"({"name": "Ann", "age": 2.0})")), std::nullopt);
  EXPECT_EQ(JsonSchemaViolation(kPerson, Json::parse(R"({"name": "Ann", "age": 1, "tags": ["a", 2]})")),
            "$.tags[1]: expected a string");
  EXPECT_EQ(JsonSchemaViolation(kPerson, Json::parse(R"({"name": "Ann", "age": 1, "address": {}})")),
            "$.address: missing required property 'city'");
  EXPECT_EQ(JsonSchemaViolation(kPerson, Json::parse(R"({"name": "Ann", "age": 1, "kind": "cat"})")),
            "$.kind: expected \"person\"");
  EXPECT_EQ(JsonSchemaViolation(kPerson, Json::parse(R"([1])")), "$: expected an object");
}

}  // namespace
}  // namespace troupe::engine
