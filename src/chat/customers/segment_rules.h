// Rule segments: RFM-style thresholds on customer fields (customer_fields.h).
//
//   {"all": [{"field": "recency_days", "op": "<=", "value": 30}, ...],
//    "any": [...],
//    "monetary_field": "total_spent"}
//
// A customer matches when every "all" condition holds and, if "any" is given, at least one of its
// conditions does. Operators: = (or ==), !=, >, >=, <, <=. Numbers compare as numbers, strings as
// text (so ISO dates compare in time order), booleans only with = and !=. A condition on a field
// the customer lacks, or whose value is of another type than `value`, does not hold.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/customer_repository.h"

namespace troupe::chat::customers {

enum class RuleOp { kEqual, kNotEqual, kGreater, kGreaterOrEqual, kLess, kLessOrEqual };

struct RuleCondition {
  std::string field;
  RuleOp op = RuleOp::kEqual;
  nlohmann::json value;  // a string, number or boolean
};

struct SegmentRules {
  std::vector<RuleCondition> all;
  std::vector<RuleCondition> any;
  std::string monetary_field;  // the profile field "monetary" stands for ("" = none)
};

// Reads the rules object. kInvalidArgument naming the offending place ("rules.all[1].op") for an
// unknown key, an unknown operator, a missing or mistyped field or value, a non-number threshold
// on an activity field, "monetary" without monetary_field, or no condition at all.
Result<SegmentRules> ParseSegmentRules(const nlohmann::json& rules);

// The rules back as JSON, in the shape ParseSegmentRules reads.
nlohmann::json SegmentRulesJson(const SegmentRules& rules);

bool MatchesRules(const SegmentRules& rules, const store::Customer& customer, int64_t now);

}  // namespace troupe::chat::customers
