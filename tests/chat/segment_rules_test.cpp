// Segment rules: parsing names the place of every mistake; evaluation compares numbers, text and
// booleans as the header promises, over activity and profile fields, with "monetary" resolved.
#include <gtest/gtest.h>

#include "chat/customers/customer_fields.h"
#include "chat/customers/segment_rules.h"

namespace troupe::chat::customers {
namespace {

using nlohmann::json;

constexpr int64_t kDay = int64_t{24} * 60 * 60 * 1000;
constexpr int64_t kNow = 1'800'000'000'000;

store::Customer MakeCustomer(json profile, int64_t messages_30d, std::optional<int64_t> last_active_at) {
  store::Customer customer;
  customer.user.id = 1;
  customer.profile.profile_json = profile.dump();
  customer.activity.first_seen = kNow - 400 * kDay;
  customer.activity.messages_30d = messages_30d;
  customer.activity.messages_sent = messages_30d + 3;
  customer.activity.last_active_at = last_active_at;
  return customer;
}

SegmentRules Parse(const json& rules) {
  Result<SegmentRules> parsed = ParseSegmentRules(rules);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : SegmentRules{};
}

TEST(SegmentRulesTest, RfmThresholdsOverActivityAndMonetaryProfileField) {
  const SegmentRules champions = Parse({{"all",
                                         {{{"field", "recency_days"}, {"op", "<="}, {"value", 7}},
                                          {{"field", "frequency_30d"}, {"op", ">="}, {"value", 10}},
                                          {{"field", "monetary"}, {"op", ">"}, {"value", 500}}}},
                                        {"monetary_field", "total_spent"}});
  const store::Customer active_big = MakeCustomer({{"total_spent", 900.5}}, 12, kNow - 2 * kDay);
  const store::Customer active_small = MakeCustomer({{"total_spent", 100}}, 12, kNow - 2 * kDay);
  const store::Customer lapsed_big = MakeCustomer({{"total_spent", 900}}, 12, kNow - 8 * kDay);
  const store::Customer no_spend = MakeCustomer(json::object(), 12, kNow - 2 * kDay);
  EXPECT_TRUE(MatchesRules(champions, active_big, kNow));
  EXPECT_FALSE(MatchesRules(champions, active_small, kNow));
  EXPECT_FALSE(MatchesRules(champions, lapsed_big, kNow));
  EXPECT_FALSE(MatchesRules(champions, no_spend, kNow)) << "a missing field never matches";
}

TEST(SegmentRulesTest, RecencyOfAUserWhoNeverWroteCountsFromFirstSeen) {
  const store::Customer silent = MakeCustomer(json::object(), 0, std::nullopt);
  EXPECT_EQ(CustomerField(silent, "recency_days", kNow), 400);
  EXPECT_TRUE(CustomerField(silent, "last_active_at", kNow).is_null());
  EXPECT_TRUE(MatchesRules(Parse({{"all", {{{"field", "recency_days"}, {"op", ">"}, {"value", 90}}}}}), silent, kNow));
}

TEST(SegmentRulesTest, TextDatesBooleansAndAny) {
  const store::Customer customer =
      MakeCustomer({{"city", "Oslo"}, {"joined", "2025-03-01"}, {"vip", true}}, 0, std::nullopt);
  EXPECT_TRUE(MatchesRules(Parse({{"all", {{{"field", "joined"}, {"op", "<"}, {"value", "2025-06-01"}}}}}), customer, kNow));
  EXPECT_FALSE(MatchesRules(Parse({{"all", {{{"field", "joined"}, {"op", ">="}, {"value", "2025-03-02"}}}}}), customer, kNow));
  EXPECT_TRUE(MatchesRules(Parse({{"all", {{{"field", "profile.vip"}, {"op", "="}, {"value", true}}}}}), customer, kNow));
  EXPECT_FALSE(MatchesRules(Parse({{"all", {{{"field", "vip"}, {"op", "!="}, {"value", true}}}}}), customer, kNow));
  // A type mismatch does not hold, whatever the operator.
  EXPECT_FALSE(MatchesRules(Parse({{"all", {{{"field", "city"}, {"op", "!="}, {"value", 3}}}}}), customer, kNow));
  const SegmentRules either = Parse({{"any",
                                      {{{"field", "city"}, {"op", "="}, {"value", "Bergen"}},
                                       {{"field", "city"}, {"op", "="}, {"value", "Oslo"}}}}});
  EXPECT_TRUE(MatchesRules(either, customer, kNow));
  const SegmentRules neither = Parse({{"any", {{{"field", "city"}, {"op", "="}, {"value", "Bergen"}}}}});
  EXPECT_FALSE(MatchesRules(neither, customer, kNow));
}

TEST(SegmentRulesTest, MistakesNameTheirPlace) {
  const auto field_of = [](const json& rules) { return ParseSegmentRules(rules).status().field(); };
  EXPECT_EQ(field_of(json::array()), "rules");
  EXPECT_EQ(field_of(json::object()), "rules");
  EXPECT_EQ(field_of({{"every", json::array()}}), "rules.every");
  EXPECT_EQ(field_of({{"all", {{{"field", "age"}, {"op", "~"}, {"value", 3}}}}}), "rules.all[0].op");
  EXPECT_EQ(field_of({{"all", {{{"field", "age"}, {"op", ">"}, {"value", 3}}, {{"op", ">"}, {"value", 3}}}}}),
            "rules.all[1].field");
  EXPECT_EQ(field_of({{"all", {{{"field", "recency_days"}, {"op", "<"}, {"value", "7"}}}}}), "rules.all[0].value");
  EXPECT_EQ(field_of({{"all", {{{"field", "vip"}, {"op", ">"}, {"value", true}}}}}), "rules.all[0].op");
  EXPECT_EQ(field_of({{"all", {{{"field", "monetary"}, {"op", ">"}, {"value", 1}}}}}), "rules.all[0].field");
  EXPECT_EQ(field_of({{"any", {{{"field", "a"}, {"op", "="}, {"value", json::array()}}}}}), "rules.any[0].value");
}

TEST(SegmentRulesTest, RulesRoundTripThroughJson) {
  const json rules = {{"all", {{{"field", "messages"}, {"op", ">="}, {"value", 2}}}},
                      {"any", {{{"field", "city"}, {"op", "=="}, {"value", "Oslo"}}}},
                      {"monetary_field", "spend"}};
  const SegmentRules parsed = Parse(rules);
  const SegmentRules again = Parse(SegmentRulesJson(parsed));
  EXPECT_EQ(SegmentRulesJson(again), SegmentRulesJson(parsed));
  EXPECT_EQ(again.monetary_field, "spend");
  ASSERT_EQ(again.any.size(), 1u);
  EXPECT_EQ(again.any[0].op, RuleOp::kEqual);
}

}  // namespace
}  // namespace troupe::chat::customers
