// Response templates: their two written forms in a catalog, the facts they carry (listed and found
// in the text), rendering with values, the check that a reply keeps every fact and value, where
// values come from, and which template answers a message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "chat/intents/intent_catalog.h"
#include "chat/templates/response_template.h"
#include "chat/templates/template_match.h"
#include "chat/templates/template_values.h"

namespace troupe::chat::templates {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

ResponseTemplate ParsedTemplate(const std::string& text, std::vector<std::string> facts = {}) {
  Result<ResponseTemplate> parsed = ParseTemplate("t", text, std::move(facts), "test");
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : ResponseTemplate{};
}

TEST(ResponseTemplateTest, SlotsAreListedOnceInOrderAndNumbersAmountsAndUrlsAreFacts) {
  const ResponseTemplate parsed = ParsedTemplate(
      "Hi {name}! {plan} costs €15.99 a month, 20GB and 10% off for {months} months; "
      "see https://brightwave.example/plans. Call 0800 123 456, {name}.");
  EXPECT_THAT(parsed.slots, ElementsAre("name", "plan", "months"));
  EXPECT_THAT(parsed.facts, ElementsAre("€15.99", "20GB", "10%", "https://brightwave.example/plans", "0800", "123",
                                        "456"));
}

TEST(ResponseTemplateTest, ListedFactsComeFirstAndMustBeInTheTextOutsideSlots) {
  const ResponseTemplate parsed = ParsedTemplate("Roaming in {country} costs 2 EUR a day with the day pass.", {"day pass"});
  EXPECT_THAT(parsed.facts, ElementsAre("day pass", "2"));
  Result<ResponseTemplate> missing = ParseTemplate("t", "Pay {amount} by {date}.", {"direct debit"}, "juno: pay[0]");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("juno: pay[0].facts: 'direct debit' is not in the template"));
  // A fact inside a slot's name is not in the text: slots are not literal.
  EXPECT_FALSE(ParseTemplate("t", "Your {amount} is due.", {"amount"}, "x").ok());
}

TEST(ResponseTemplateTest, BadBracesAreErrorsThatSayWhere) {
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"Your balance is {balance.", "'{' at offset 16 is never closed"},
           {"Your balance is balance}.", "'}' at offset 23 closes no slot"},
           {"Hi {}!", "'{}' at offset 3 is not a slot"},
           {"Hi {first name}!", "'{first name}' at offset 3 is not a slot"},
           {"Hi {1st}!", "'{1st}' at offset 3 is not a slot"},
           {"   ", "the template's text is empty"}}) {
    Result<ResponseTemplate> parsed = ParseTemplate("t", text, {}, "cat.yml:4: greet.templates[0]");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_THAT(parsed.status().message(), HasSubstr("cat.yml:4: greet.templates[0]: " + expected)) << text;
  }
}

TEST(ResponseTemplateTest, RenderFillsSlotsWithValuesAndLeavesTheRestVisible) {
  const ResponseTemplate parsed = ParsedTemplate("Your balance is {balance}; {data_left} left until {renewal_date}.");
  const SlotValues values = {{"balance", "12.50 EUR"}, {"data_left", ""}, {"unused", "x"}};
  EXPECT_EQ(Render(parsed, values), "Your balance is 12.50 EUR; {data_left} left until {renewal_date}.");
  EXPECT_THAT(UnfilledSlots(parsed, values), ElementsAre("data_left", "renewal_date"));
  EXPECT_THAT(UnfilledSlots(parsed, {{"balance", "1"}, {"data_left", "2"}, {"renewal_date", "3"}}), IsEmpty());
}

TEST(ResponseTemplateTest, CheckPassesWhenEveryFactAndValueSurvivesWhateverTheTone) {
  const ResponseTemplate parsed =
      ParsedTemplate("Your last bill was {amount}, due on {due_date}. Pay at https://brightwave.example/pay.", {"due"});
  const SlotValues values = {{"amount", "42.10 EUR"}, {"due_date", "3 March"}};
  const FactCheck kept = CheckFacts(
      parsed, values,
      "Hi Kim! Your last bill came to 42.10   EUR and it's DUE on 3\nMarch - you can pay at "
      "https://brightwave.example/pay whenever suits you.");
  EXPECT_TRUE(kept.kept);
  EXPECT_THAT(kept.missing, IsEmpty());
}

TEST(ResponseTemplateTest, CheckFailsNamingEveryFactOrValueTheReplyChanged) {
  const ResponseTemplate parsed =
      ParsedTemplate("Your last bill was {amount}, due on {due_date}. Pay at https://brightwave.example/pay.", {"due"});
  const SlotValues values = {{"amount", "42.10 EUR"}, {"due_date", "3 March"}};
  const FactCheck changed =
      CheckFacts(parsed, values, "Your last bill was 41.10 EUR, payable on 3 March at brightwave.example.");
  EXPECT_FALSE(changed.kept);
  EXPECT_THAT(changed.missing, ElementsAre("due", "https://brightwave.example/pay", "42.10 EUR"));
  EXPECT_FALSE(CheckFacts(parsed, values, "").kept);
}

TEST(ResponseTemplateTest, ValuesComeFromToolResultsThenTheProfile) {
  const ResponseTemplate parsed = ParsedTemplate("{name}: {balance}, {data_left}, {segment}, {tier}, {plan.price}, {eta}");
  SlotValues values = {{"eta", "already"}};
  FillFromToolResults(parsed,
                      {R"({"balance":"1 EUR","nested":{"data_left":3.5}})", "not json",
                       R"({"balance":"12.50 EUR","plan":{"price":"15 EUR"},"eta":"later"})"},
                      values);
  store::User user;
  user.display_name = "Kim";
  user.segment = "vip";
  user.metadata_json = R"({"tier":"gold","balance":"from profile"})";
  FillFromProfile(parsed, user, values);
  EXPECT_EQ(values.at("balance"), "12.50 EUR");  // the newer result wins; tools before the profile
  EXPECT_EQ(values.at("data_left"), "3.5");
  EXPECT_EQ(values.at("plan.price"), "15 EUR");
  EXPECT_EQ(values.at("eta"), "already");  // a value already known is kept
  EXPECT_EQ(values.at("name"), "Kim");
  EXPECT_EQ(values.at("segment"), "vip");
  EXPECT_EQ(values.at("tier"), "gold");
}

TEST(ResponseTemplateTest, TheModelIsAskedForExactlyTheUnfilledSlotsUnderASchema) {
  const ResponseTemplate parsed = ParsedTemplate("Back by {eta} around {postcode}.");
  const llm::ChatRequest request = FillRequest(parsed, {"eta"}, {{"user", "is the network down?", "", {}, ""}});
  EXPECT_EQ(request.response_format.kind, llm::ResponseFormat::Kind::kJsonSchema);
  const nlohmann::json schema = nlohmann::json::parse(request.response_format.schema_json);
  EXPECT_EQ(schema["required"], nlohmann::json::array({"eta"}));
  EXPECT_EQ(schema["properties"].size(), 1u);
  EXPECT_EQ(schema["additionalProperties"], false);
  ASSERT_EQ(request.messages.size(), 2u);
  EXPECT_THAT(request.messages.back().content, HasSubstr("Back by {eta} around {postcode}."));
  SlotValues values;
  AddModelValues(R"({"eta":"  6pm ","postcode":"ignored"})", {"eta"}, values);
  EXPECT_EQ(values, (SlotValues{{"eta", "6pm"}}));
  AddModelValues("nonsense", {"eta"}, values);
  AddModelValues(R"({"eta":"   "})", {"eta"}, values);
  EXPECT_EQ(values.at("eta"), "6pm");
}

constexpr const char* kTemplateCatalog = R"(
routing:
  template_similarity: 0.3
intents:
  - name: check_balance
    examples: ["what's my balance", "how much credit do I have left"]
    templates:
      - "Your balance is {balance}."
      - name: low_credit
        text: "You have {balance} left. Top up from 5 EUR at https://brightwave.example/top-up."
        facts: ["Top up"]
  - name: outage_check
    examples: ["is the network down", "no signal since this morning"]
  - name: roaming_prices
    examples: ["how much does roaming cost in France", "roaming prices abroad"]
    templates: [{name: rates, text: "In {country} roaming data costs {data_price} per MB."}]
  - name: greeting
    chit_chat: true
    examples: [hi, hello]
    templates: ["Hello!"]
)";

TEST(TemplateCatalogTest, BothFormsParseWithNamesSlotsAndFacts) {
  Result<intents::IntentCatalog> catalog = intents::ParseIntentCatalog(kTemplateCatalog, "juno.yml");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_DOUBLE_EQ(catalog->routing.template_similarity, 0.3);
  const intents::Intent& balance = *catalog->Find("check_balance");
  ASSERT_EQ(balance.templates.size(), 2u);
  EXPECT_EQ(balance.templates[0].name, "template_1");
  EXPECT_EQ(balance.templates[1].name, "low_credit");
  EXPECT_THAT(balance.templates[1].facts, ElementsAre("Top up", "5", "https://brightwave.example/top-up"));
  EXPECT_THAT(catalog->Find("roaming_prices")->templates[0].slots, ElementsAre("country", "data_price"));
}

TEST(TemplateCatalogTest, ErrorsNameTheFileLineIntentAndTemplate) {
  for (const auto& [templates, expected] : std::vector<std::pair<std::string, std::string>>{
           {R"(["Your {balance"])", "juno.yml:5: check_balance.templates[0]: '{' at offset 5 is never closed"},
           {R"([{name: a, text: "x"}, {name: a, text: "y"}])", "check_balance.templates: the template 'a' is defined twice"},
           {R"([{name: a}])", "check_balance.templates[0]: a template needs a text"},
           {R"([{text: "x", tone: warm}])", "check_balance.templates[0]: unknown key 'tone'"},
           {R"([{text: "x {a}", facts: ["a"]}])", "check_balance.templates[0].facts: 'a' is not in the template"},
           {R"({a: 1})", "check_balance.templates: expected a list of templates"}}) {
    const std::string catalog = "intents:\n  - name: check_balance\n    examples: [balance]\n    templates:\n      " +
                                templates + "\n";
    Result<intents::IntentCatalog> parsed = intents::ParseIntentCatalog(catalog, "juno.yml");
    ASSERT_FALSE(parsed.ok()) << templates;
    EXPECT_THAT(parsed.status().message(), HasSubstr(expected)) << templates;
  }
}

TEST(TemplateMatchTest, TheRoutedIntentsTemplateMostLikeTheMessageAnswers) {
  Result<intents::IntentCatalog> catalog = intents::ParseIntentCatalog(kTemplateCatalog, "juno.yml");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  const TemplateMatcher matcher(*catalog);
  std::optional<TemplateMatch> match = matcher.Match("check_balance", 0.8, "I need to top up, how much is left?");
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->intent->name, "check_balance");
  EXPECT_EQ(match->response->name, "low_credit");
  EXPECT_EQ(match->matched_by, "intent");
  EXPECT_DOUBLE_EQ(match->score, 0.8);
  // Chit-chat is the character's own, never a template.
  EXPECT_FALSE(matcher.Match("greeting", 0.9, "hello").has_value());
}

TEST(TemplateMatchTest, WithoutATemplatedIntentTheMostSimilarTemplateAboveTheThresholdAnswers) {
  Result<intents::IntentCatalog> catalog = intents::ParseIntentCatalog(kTemplateCatalog, "juno.yml");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  const TemplateMatcher matcher(*catalog);
  std::optional<TemplateMatch> match = matcher.Match("outage_check", 0.4, "what do roaming prices abroad cost");
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->response->name, "rates");
  EXPECT_EQ(match->matched_by, "similarity");
  EXPECT_GE(match->score, 0.3);
  EXPECT_LE(match->score, 1.0);
  EXPECT_DOUBLE_EQ(match->score, matcher.Similarity(*match->intent, *match->response,
                                                    "what do roaming prices abroad cost"));
  EXPECT_FALSE(matcher.Match("outage_check", 0.4, "no signal since this morning").has_value());
  EXPECT_FALSE(matcher.Match("", 0, "zzz qqq").has_value());
}

}  // namespace
}  // namespace troupe::chat::templates
