// JsonSchemaGrammar: a schema of the subset in engine/json_schema.h compiled into grammar rules,
// one rule per schema (named after where it is), sharing the rules for JSON's primitives.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>

#include "engine/error.h"
#include "engine/grammar/json_schema_subset.h"
#include "engine/grammar/rules.h"
#include "engine/json_schema.h"

namespace troupe::engine {
namespace {

using grammar::CharRange;
using grammar::Json;
using grammar::RulesBuilder;
using grammar::Sequence;
using grammar::Symbol;

class SchemaCompiler {
 public:
  explicit SchemaCompiler(const Json& root) : root_(root) {}

  grammar::Rules Run() {
    const uint32_t start = builder_.Named("root");
    // No whitespace around the value: generation ends right after its last character.
    builder_.Define(start, {{Compile(root_, "#", "value")}});
    return builder_.Finish("root");
  }

 private:
  // A symbol for the JSON texts `schema` accepts (no whitespace around it).
  Symbol Compile(const Json& schema, const std::string& where, const std::string& name) {
    grammar::CheckSchema(schema, where);
    if (schema.is_boolean() || schema.empty()) return Symbol::Rule(Value());
    if (schema.contains("$ref")) return Symbol::Rule(Ref(schema["$ref"].get<std::string>(), where));
    if (schema.contains("const") || schema.contains("enum")) {
      // Only the listed values that the rest of the schema (its type, lengths...) also allows.
      const Json listed = schema.contains("const") ? Json::array({schema["const"]}) : schema["enum"];
      std::vector<Sequence> alternatives;
      for (const Json& value : listed) {
        if (!grammar::FindViolation(root_, schema, where, value)) alternatives.push_back({Literal(value)});
      }
      if (alternatives.empty()) {
        ThrowUnsupported("JSON schema " + where + ": no value of " + (schema.contains("const") ? "const" : "enum") +
                         " satisfies the rest of the schema");
      }
      return builder_.Group(std::move(alternatives), name);
    }
    if (schema.contains("anyOf")) {
      std::vector<Sequence> alternatives;
      for (size_t i = 0; i < schema["anyOf"].size(); ++i) {
        alternatives.push_back(
            {Compile(schema["anyOf"][i], where + "/anyOf/" + std::to_string(i), name + "-" + std::to_string(i))});
      }
      return builder_.Group(std::move(alternatives), name);
    }
    std::vector<std::string> types = grammar::SchemaTypes(schema, where);
    if (types.empty()) {
      if (schema.contains("properties") || schema.contains("additionalProperties") || schema.contains("required")) {
        types = {"object"};
      } else if (schema.contains("items") || schema.contains("minItems") || schema.contains("maxItems")) {
        types = {"array"};
      } else if (schema.contains("minLength") || schema.contains("maxLength")) {
        types = {"string"};
      } else {
        return Symbol::Rule(Value());
      }
    }
    std::vector<Sequence> alternatives;
    for (const std::string& type : types) alternatives.push_back({Typed(schema, type, where, name)});
    return builder_.Group(std::move(alternatives), name);
  }

  Symbol Typed(const Json& schema, const std::string& type, const std::string& where, const std::string& name) {
    if (type == "string") {
      const int64_t min = grammar::CountKeyword(schema, "minLength", 0, where);
      const int64_t max = grammar::CountKeyword(schema, "maxLength", -1, where);
      if (min == 0 && max < 0) return Symbol::Rule(String());
      return StringOf(min, max, where, name);
    }
    if (type == "number") return Symbol::Rule(Number());
    if (type == "integer") return Symbol::Rule(Integer());
    if (type == "boolean") return Symbol::Rule(Primitive("boolean", {Words("true"), Words("false")}));
    if (type == "null") return Symbol::Rule(Primitive("null", {Words("null")}));
    if (type == "array") return Array(schema, where, name);
    return Object(schema, where, name);
  }

  Symbol StringOf(int64_t min, int64_t max, const std::string& where, const std::string& name) {
    if (max >= 0 && max < min) ThrowInvalid("JSON schema " + where + ": maxLength is below minLength");
    Sequence sequence{Symbol::CodePoint('"')};
    Sequence repeated = builder_.Repeat(Symbol::Rule(Char()), static_cast<int>(Bounded(min, where)),
                                        max < 0 ? -1 : static_cast<int>(Bounded(max, where)), name + "-char");
    sequence.insert(sequence.end(), repeated.begin(), repeated.end());
    sequence.push_back(Symbol::CodePoint('"'));
    return builder_.Group({std::move(sequence)}, name);
  }

  Symbol Array(const Json& schema, const std::string& where, const std::string& name) {
    const int64_t min = grammar::CountKeyword(schema, "minItems", 0, where);
    const int64_t max = grammar::CountKeyword(schema, "maxItems", -1, where);
    if (max >= 0 && max < min) ThrowInvalid("JSON schema " + where + ": maxItems is below minItems");
    const Symbol item = schema.contains("items") ? Compile(schema["items"], where + "/items", name + "-item")
                                                 : Symbol::Rule(Value());
    const uint32_t item_rule = builder_.Fresh(name + "-element");
    builder_.Define(item_rule, {{item, Symbol::Rule(Ws())}});
    const uint32_t more_rule = builder_.Fresh(name + "-more");
    builder_.Define(more_rule, {{Symbol::CodePoint(','), Symbol::Rule(Ws()), Symbol::Rule(item_rule)}});
    Sequence sequence{Symbol::CodePoint('['), Symbol::Rule(Ws())};
    if (max != 0) {
      Sequence items{Symbol::Rule(item_rule)};
      Sequence more = builder_.Repeat(Symbol::Rule(more_rule), static_cast<int>(Bounded(std::max<int64_t>(min - 1, 0), where)),
                                      max < 0 ? -1 : static_cast<int>(Bounded(max - 1, where)), name + "-more");
      items.insert(items.end(), more.begin(), more.end());
      if (min == 0) {
        sequence.push_back(builder_.Group({std::move(items), {}}, name + "-items"));
      } else {
        sequence.insert(sequence.end(), items.begin(), items.end());
      }
    }
    sequence.push_back(Symbol::CodePoint(']'));
    return builder_.Group({std::move(sequence)}, name);
  }

  Symbol Object(const Json& schema, const std::string& where, const std::string& name) {
    const bool listed = schema.contains("properties") && !schema["properties"].empty();
    std::vector<std::string> required;
    if (schema.contains("required")) required = schema["required"].get<std::vector<std::string>>();
    for (const std::string& key : required) {
      if (!listed || !schema["properties"].contains(key)) {
        ThrowUnsupported("JSON schema " + where + "/required: '" + key + "' is required but not in properties");
      }
    }
    if (!listed) {
      const Json& extra = schema.contains("additionalProperties") ? schema["additionalProperties"] : Json::object();
      if (extra.is_boolean() && !extra.get<bool>()) return Literal(Json::object());
      const Symbol value = Compile(extra, where + "/additionalProperties", name + "-value");
      return Map(value, name);
    }
    // The members in order: first[i] starts the object's members from property i on, rest[i]
    // continues after one has been written. An optional property may be skipped in either.
    struct Member {
      Symbol pair;
      bool optional;
    };
    std::vector<Member> members;
    for (const auto& [key, property] : schema["properties"].items()) {
      const std::string at = where + "/properties" + grammar::PointerStep(key);
      Sequence pair = builder_.Literal(Json(key).dump());
      pair.insert(pair.end(), {Symbol::Rule(Ws()), Symbol::CodePoint(':'), Symbol::Rule(Ws()),
                               Compile(property, at, name + "-" + SafeName(key)), Symbol::Rule(Ws())});
      const bool optional = std::find(required.begin(), required.end(), key) == required.end();
      members.push_back({builder_.Group({std::move(pair)}, name + "-" + SafeName(key) + "-kv"), optional});
    }
    std::vector<uint32_t> rest(members.size() + 1);
    std::vector<uint32_t> first(members.size() + 1);
    rest[members.size()] = first[members.size()] = builder_.Fresh(name + "-end");
    builder_.Define(rest[members.size()], {{}});
    for (size_t i = members.size(); i-- > 0;) {
      rest[i] = builder_.Fresh(name + "-rest");
      first[i] = builder_.Fresh(name + "-first");
      const Sequence continued{Symbol::CodePoint(','), Symbol::Rule(Ws()), members[i].pair, Symbol::Rule(rest[i + 1])};
      const Sequence started{members[i].pair, Symbol::Rule(rest[i + 1])};
      if (members[i].optional) {
        builder_.Define(rest[i], {continued, {Symbol::Rule(rest[i + 1])}});
        builder_.Define(first[i], {started, {Symbol::Rule(first[i + 1])}});
      } else {
        builder_.Define(rest[i], {continued});
        builder_.Define(first[i], {started});
      }
    }
    return builder_.Group({{Symbol::CodePoint('{'), Symbol::Rule(Ws()), Symbol::Rule(first[0]), Symbol::CodePoint('}')}}, name);
  }

  // {"key": value, ...} with any keys.
  Symbol Map(const Symbol& value, const std::string& name) {
    const uint32_t pair = builder_.Fresh(name + "-pair");
    builder_.Define(pair, {{Symbol::Rule(String()), Symbol::Rule(Ws()), Symbol::CodePoint(':'), Symbol::Rule(Ws()), value,
                            Symbol::Rule(Ws())}});
    const uint32_t more = builder_.Fresh(name + "-more");
    builder_.Define(more, {{Symbol::CodePoint(','), Symbol::Rule(Ws()), Symbol::Rule(pair)}});
    Sequence members{Symbol::Rule(pair)};
    Sequence repeated = builder_.Repeat(Symbol::Rule(more), 0, -1, name + "-more");
    members.insert(members.end(), repeated.begin(), repeated.end());
    return builder_.Group(
        {{Symbol::CodePoint('{'), Symbol::Rule(Ws()), builder_.Group({std::move(members), {}}, name + "-members"),
          Symbol::CodePoint('}')}},
        name);
  }

  uint32_t Ref(const std::string& ref, const std::string& where) {
    if (auto found = refs_.find(ref); found != refs_.end()) return found->second;
    const Json& target = grammar::ResolveRef(root_, ref, where);
    const std::string name = ref == "#" ? "ref-root" : "ref-" + SafeName(ref.substr(ref.rfind('/') + 1));
    uint32_t rule = builder_.Named(name);
    if (builder_.defined(rule) || taken_.contains(rule)) rule = builder_.Fresh(name);
    taken_.insert(rule);
    refs_.emplace(ref, rule);  // before compiling: the target may refer to itself
    builder_.Define(rule, {{Compile(target, ref, name)}});
    return rule;
  }

  Symbol Literal(const Json& value) { return builder_.Group({builder_.Literal(value.dump())}, "literal"); }

  static Sequence Words(std::string_view text) { return RulesBuilder::Literal(text); }

  static int64_t Bounded(int64_t count, const std::string& where) {
    if (count > grammar::kMaxRepetition) {
      ThrowUnsupported("JSON schema " + where + ": length bounds above " + std::to_string(grammar::kMaxRepetition) +
                       " are not supported");
    }
    return count;
  }

  static std::string SafeName(std::string_view key) {
    std::string out;
    for (char c : key) out += (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-') ? c : '-';
    return out.empty() ? "key" : out.substr(0, 40);
  }

  // --- JSON's primitives, each one rule made on first use -------------------------------------
  uint32_t Primitive(const std::string& name, std::vector<Sequence> alternatives) {
    if (auto found = primitives_.find(name); found != primitives_.end()) return found->second;
    const uint32_t rule = builder_.Named(name);
    primitives_.emplace(name, rule);
    builder_.Define(rule, std::move(alternatives));
    return rule;
  }

  uint32_t Ws() {
    return Primitive("ws", {{}, {Symbol::CodePoint(' ')},
                            [&] {
                              Sequence s{Symbol::CodePoint('\n')};
                              Sequence indent = builder_.Repeat(Symbol::Chars({{' ', ' '}, {'\t', '\t'}}), 0, 20, "ws-indent");
                              s.insert(s.end(), indent.begin(), indent.end());
                              return s;
                            }()});
  }

  uint32_t Char() {
    const Symbol hex = Symbol::Chars({{'0', '9'}, {'a', 'f'}, {'A', 'F'}});
    // \u escapes of every code unit but the surrogates (D800-DFFF), so the text always decodes.
    Sequence unit_low{Symbol::Chars({{'0', '9'}, {'a', 'c'}, {'A', 'C'}, {'e', 'f'}, {'E', 'F'}}), hex, hex, hex};
    Sequence unit_d{Symbol::Chars({{'d', 'd'}, {'D', 'D'}}), Symbol::Chars({{'0', '7'}}), hex, hex};
    return Primitive("char", {{Symbol::Chars({{'"', '"'}, {'\\', '\\'}, {0, 0x1F}}, /*negated=*/true)},
                              {Symbol::CodePoint('\\'), Symbol::Chars({{'"', '"'}, {'\\', '\\'}, {'/', '/'}, {'b', 'b'},
                                                                        {'f', 'f'}, {'n', 'n'}, {'r', 'r'}, {'t', 't'}})},
                              [&] {
                                Sequence s{Symbol::CodePoint('\\'), Symbol::CodePoint('u')};
                                s.push_back(builder_.Group({unit_low, unit_d}, "char-unit"));
                                return s;
                              }()});
  }

  uint32_t String() {
    return Primitive("string", {[&] {
                       Sequence s{Symbol::CodePoint('"')};
                       Sequence chars = builder_.Repeat(Symbol::Rule(Char()), 0, -1, "string-chars");
                       s.insert(s.end(), chars.begin(), chars.end());
                       s.push_back(Symbol::CodePoint('"'));
                       return s;
                     }()});
  }

  uint32_t Integer() {
    return Primitive("integer", {[&] {
                       Sequence s = builder_.Repeat(Symbol::CodePoint('-'), 0, 1, "integer-sign");
                       Sequence nonzero{Symbol::Chars({{'1', '9'}})};
                       Sequence digits = builder_.Repeat(Symbol::Chars({{'0', '9'}}), 0, 15, "integer-digits");
                       nonzero.insert(nonzero.end(), digits.begin(), digits.end());
                       s.push_back(builder_.Group({{Symbol::CodePoint('0')}, nonzero}, "integer-magnitude"));
                       return s;
                     }()});
  }

  uint32_t Number() {
    return Primitive("number", {[&] {
                       Sequence s{Symbol::Rule(Integer())};
                       Sequence fraction{Symbol::CodePoint('.')};
                       Sequence digits = builder_.Repeat(Symbol::Chars({{'0', '9'}}), 1, 16, "number-fraction");
                       fraction.insert(fraction.end(), digits.begin(), digits.end());
                       Sequence exponent{Symbol::Chars({{'e', 'e'}, {'E', 'E'}})};
                       Sequence sign = builder_.Repeat(Symbol::Chars({{'-', '-'}, {'+', '+'}}), 0, 1, "number-sign");
                       Sequence power = builder_.Repeat(Symbol::Chars({{'0', '9'}}), 1, 2, "number-exponent");
                       exponent.insert(exponent.end(), sign.begin(), sign.end());
                       exponent.insert(exponent.end(), power.begin(), power.end());
                       s.push_back(builder_.Group({fraction, {}}, "number-fraction"));
                       s.push_back(builder_.Group({exponent, {}}, "number-exponent"));
                       return s;
                     }()});
  }

  // Any JSON value (a schema that says nothing).
  uint32_t Value() {
    if (auto found = primitives_.find("value"); found != primitives_.end()) return found->second;
    const uint32_t value = builder_.Named("value");
    primitives_.emplace("value", value);
    const uint32_t element = builder_.Named("value-element");
    builder_.Define(element, {{Symbol::Rule(value), Symbol::Rule(Ws())}});
    const uint32_t more = builder_.Named("value-more");
    builder_.Define(more, {{Symbol::CodePoint(','), Symbol::Rule(Ws()), Symbol::Rule(element)}});
    Sequence elements{Symbol::Rule(element)};
    Sequence repeated = builder_.Repeat(Symbol::Rule(more), 0, -1, "value-more");
    elements.insert(elements.end(), repeated.begin(), repeated.end());
    const Symbol array = builder_.Group(
        {{Symbol::CodePoint('['), Symbol::Rule(Ws()), builder_.Group({elements, {}}, "value-elements"), Symbol::CodePoint(']')}},
        "value-array");
    const Symbol object = Map(Symbol::Rule(value), "value-object");
    builder_.Define(value, {{object},
                            {array},
                            {Symbol::Rule(String())},
                            {Symbol::Rule(Number())},
                            {Symbol::Rule(Primitive("boolean", {Words("true"), Words("false")}))},
                            {Symbol::Rule(Primitive("null", {Words("null")}))}});
    return value;
  }

  const Json& root_;
  RulesBuilder builder_;
  std::map<std::string, uint32_t> primitives_;
  std::map<std::string, uint32_t> refs_;
  std::set<uint32_t> taken_;  // ref rules named, maybe not defined yet
};

}  // namespace

Grammar JsonSchemaGrammar(const nlohmann::ordered_json& schema) {
  return Grammar(std::make_shared<const grammar::Rules>(SchemaCompiler(schema).Run()));
}

Grammar JsonSchemaGrammar(std::string_view schema_json) {
  nlohmann::ordered_json schema;
  try {
    schema = nlohmann::ordered_json::parse(schema_json);
  } catch (const nlohmann::json::exception& error) {
    ThrowInvalid(std::string("JSON schema: not JSON: ") + error.what());
  }
  return JsonSchemaGrammar(schema);
}

}  // namespace troupe::engine
