// Rule segments: parsing with errors that name their place, and evaluation per customer.
#include "chat/customers/segment_rules.h"

#include <algorithm>
#include <utility>

#include "chat/customers/customer_fields.h"

namespace troupe::chat::customers {
namespace {

constexpr std::pair<std::string_view, RuleOp> kRuleOps[] = {
    {"=", RuleOp::kEqual},         {"==", RuleOp::kEqual}, {"!=", RuleOp::kNotEqual},    {">", RuleOp::kGreater},
    {">=", RuleOp::kGreaterOrEqual}, {"<", RuleOp::kLess},   {"<=", RuleOp::kLessOrEqual}};

std::string_view RuleOpName(RuleOp op) {
  for (const auto& [name, value] : kRuleOps) {
    if (value == op) return name;
  }
  return "=";
}

Result<RuleCondition> ParseCondition(const nlohmann::json& item, const std::string& where,
                                     const std::string& monetary_field) {
  if (!item.is_object()) return InvalidArgument("a condition must be an object {field, op, value}", where);
  for (const auto& [key, unused] : item.items()) {
    if (key != "field" && key != "op" && key != "value") {
      return InvalidArgument("unknown key '" + key + "' (a condition has field, op and value)", where + "." + key);
    }
  }
  RuleCondition condition;
  auto field = item.find("field");
  if (field == item.end() || !field->is_string() || field->get<std::string>().empty()) {
    return InvalidArgument("field must be a non-empty string", where + ".field");
  }
  condition.field = field->get<std::string>();
  auto op = item.find("op");
  if (op == item.end() || !op->is_string()) return InvalidArgument("op must be a string", where + ".op");
  const auto known = std::find_if(std::begin(kRuleOps), std::end(kRuleOps),
                                  [&](const auto& entry) { return entry.first == op->get<std::string>(); });
  if (known == std::end(kRuleOps)) {
    return InvalidArgument("unknown op '" + op->get<std::string>() + "' (use =, !=, >, >=, <, <=)", where + ".op");
  }
  condition.op = known->second;
  auto value = item.find("value");
  if (value == item.end() || !(value->is_string() || value->is_number() || value->is_boolean())) {
    return InvalidArgument("value must be a string, number or boolean", where + ".value");
  }
  condition.value = *value;
  const bool numeric_field = IsActivityField(condition.field) || condition.field == "monetary";
  if (numeric_field && !value->is_number()) {
    return InvalidArgument("field '" + condition.field + "' is a number: value must be a number", where + ".value");
  }
  if (value->is_boolean() && condition.op != RuleOp::kEqual && condition.op != RuleOp::kNotEqual) {
    return InvalidArgument("a boolean compares only with = or !=", where + ".op");
  }
  if (condition.field == "monetary" && monetary_field.empty()) {
    return InvalidArgument("field 'monetary' needs rules.monetary_field (the profile field holding it)",
                           where + ".field");
  }
  return condition;
}

Result<std::vector<RuleCondition>> ParseConditions(const nlohmann::json& rules, const std::string& key,
                                                   const std::string& monetary_field) {
  std::vector<RuleCondition> conditions;
  auto list = rules.find(key);
  if (list == rules.end()) return conditions;
  const std::string where = "rules." + key;
  if (!list->is_array()) return InvalidArgument(key + " must be an array of conditions", where);
  for (size_t i = 0; i < list->size(); ++i) {
    TROUPE_ASSIGN_OR_RETURN(RuleCondition condition,
                            ParseCondition((*list)[i], where + "[" + std::to_string(i) + "]", monetary_field));
    conditions.push_back(std::move(condition));
  }
  return conditions;
}

template <typename T>
bool CompareRuleValues(const T& left, RuleOp op, const T& right) {
  switch (op) {
    case RuleOp::kEqual: return left == right;
    case RuleOp::kNotEqual: return left != right;
    case RuleOp::kGreater: return left > right;
    case RuleOp::kGreaterOrEqual: return left >= right;
    case RuleOp::kLess: return left < right;
    case RuleOp::kLessOrEqual: return left <= right;
  }
  return false;
}

bool ConditionHolds(const RuleCondition& condition, const nlohmann::json& actual) {
  if (actual.is_number() && condition.value.is_number()) {
    return CompareRuleValues(actual.get<double>(), condition.op, condition.value.get<double>());
  }
  if (actual.is_string() && condition.value.is_string()) {
    return CompareRuleValues(actual.get<std::string>(), condition.op, condition.value.get<std::string>());
  }
  if (actual.is_boolean() && condition.value.is_boolean()) {
    return CompareRuleValues(actual.get<bool>(), condition.op, condition.value.get<bool>());
  }
  return false;
}

nlohmann::json ConditionsJson(const std::vector<RuleCondition>& conditions) {
  nlohmann::json list = nlohmann::json::array();
  for (const RuleCondition& condition : conditions) {
    list.push_back({{"field", condition.field}, {"op", RuleOpName(condition.op)}, {"value", condition.value}});
  }
  return list;
}

}  // namespace

Result<SegmentRules> ParseSegmentRules(const nlohmann::json& rules) {
  if (!rules.is_object()) return InvalidArgument("rules must be an object {all: [...], any: [...]}", "rules");
  for (const auto& [key, unused] : rules.items()) {
    if (key != "all" && key != "any" && key != "monetary_field") {
      return InvalidArgument("unknown key '" + key + "' (rules have all, any and monetary_field)", "rules." + key);
    }
  }
  SegmentRules parsed;
  if (auto monetary = rules.find("monetary_field"); monetary != rules.end()) {
    if (!monetary->is_string()) return InvalidArgument("monetary_field must be a string", "rules.monetary_field");
    parsed.monetary_field = monetary->get<std::string>();
  }
  TROUPE_ASSIGN_OR_RETURN(parsed.all, ParseConditions(rules, "all", parsed.monetary_field));
  TROUPE_ASSIGN_OR_RETURN(parsed.any, ParseConditions(rules, "any", parsed.monetary_field));
  if (parsed.all.empty() && parsed.any.empty()) {
    return InvalidArgument("rules need at least one condition in all or any", "rules");
  }
  return parsed;
}

nlohmann::json SegmentRulesJson(const SegmentRules& rules) {
  nlohmann::json json = {{"all", ConditionsJson(rules.all)}};
  if (!rules.any.empty()) json["any"] = ConditionsJson(rules.any);
  if (!rules.monetary_field.empty()) json["monetary_field"] = rules.monetary_field;
  return json;
}

bool MatchesRules(const SegmentRules& rules, const store::Customer& customer, int64_t now) {
  const auto holds = [&](const RuleCondition& condition) {
    return ConditionHolds(condition, CustomerField(customer, condition.field, now, rules.monetary_field));
  };
  if (!std::all_of(rules.all.begin(), rules.all.end(), holds)) return false;
  return rules.any.empty() || std::any_of(rules.any.begin(), rules.any.end(), holds);
}

}  // namespace troupe::chat::customers
