// The KPIs over a real socket: conversations made through the API (a csat rating, a handoff and an
// agent's reply, a close by an agent, a routing review), GET /api/v1/kpis per day, intent and
// character with exact figures, its errors naming the parameter; and the Prometheus gauges over the
// trailing 24 hours, recomputed at most once a minute.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/api_fixture.h"
#include "server/services/kpi_metrics.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

constexpr int64_t kMarch1 = 1'772'323'200'000;  // 2026-03-01T00:00:00Z

class KpiRoutesTest : public ::testing::Test {
 protected:
  KpiRoutesTest() {
    ApiOptions options = UnlimitedOptions();
    options.clock = &clock_;
    api_ = std::make_unique<ApiServer>(Backend::kSqlite, options);
  }

  void SetUp() override {
    ASSERT_TRUE(api_->ok());
    admin_ = api_->MintKey({"admin"}).key;
    agent_ = api_->MintKey({"agent"});
    studio_ = api_->MintKey({"studio"}).key;
    user_ = api_->MakeUser("alice").id;
    juno_ = api_->MakeCharacter("Juno", true);
  }

  store::Message Say(int64_t conversation_id, store::MessageRole role, int64_t at, const std::string& intent = "") {
    clock_.Set(at);
    store::Message message;
    message.conversation_id = conversation_id;
    message.role = role;
    message.content = "text";
    if (!intent.empty()) message.metadata_json = json{{"routing", {{"intent", intent}}}}.dump();
    Result<store::Message> appended = api_->store().messages().Append(message);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended.ok() ? *appended : store::Message{};
  }

  std::string ConversationPath(int64_t id) { return "/api/v1/conversations/" + std::to_string(id); }

  // 1: billing, answered after 1.5 s, reviewed by an agent as refund, rated 4, closed by an agent.
  // 2: billing, handed to an agent who answers after 2.5 s; still with the agent.
  void MakeConversations() {
    clock_.Set(kMarch1 + 1000);
    const int64_t first = api_->MakeConversation(user_, juno_.id).id;
    const store::Message asked = Say(first, store::MessageRole::kUser, kMarch1 + 2000, "billing");
    Say(first, store::MessageRole::kAssistant, kMarch1 + 3500);
    ClientResponse reviewed =
        api_->Call("PUT", ConversationPath(first) + "/messages/" + std::to_string(asked.id) + "/routing-review",
                   agent_.key, R"({"intent":"refund"})");
    ASSERT_EQ(reviewed.status, 200) << reviewed.body;
    EXPECT_EQ(reviewed.Json()["metadata"]["routing"]["review"]["intent"], "refund");
    EXPECT_EQ(reviewed.Json()["metadata"]["routing"]["review"]["by"], agent_.record.prefix);
    EXPECT_EQ(reviewed.Json()["metadata"]["routing"]["intent"], "billing");
    ClientResponse rated = api_->Call("POST", ConversationPath(first) + "/feedback", studio_,
                                      R"({"kind":"csat","rating":4})");
    ASSERT_EQ(rated.status, 201) << rated.body;
    ClientResponse closed = api_->Call("POST", ConversationPath(first) + "/close", agent_.key);
    ASSERT_EQ(closed.status, 200) << closed.body;

    clock_.Set(kMarch1 + 10'000);
    const int64_t second = api_->MakeConversation(user_, juno_.id).id;
    Say(second, store::MessageRole::kUser, kMarch1 + 11'000, "billing");
    ASSERT_EQ(api_->Call("POST", ConversationPath(second) + "/handoff", agent_.key).status, 200);
    clock_.Set(kMarch1 + 13'500);
    ClientResponse answered =
        api_->Call("POST", ConversationPath(second) + "/agent-messages", agent_.key, R"({"content":"here"})");
    ASSERT_EQ(answered.status, 201) << answered.body;
  }

  json Kpis(const std::string& query, const std::string& key) {
    ClientResponse response = api_->Call("GET", "/api/v1/kpis" + query, key);
    EXPECT_EQ(response.status, 200) << response.body;
    return response.Json();
  }

  ManualClock clock_{kMarch1};
  std::unique_ptr<ApiServer> api_;
  std::string admin_;
  MintedTestKey agent_;
  std::string studio_;
  int64_t user_ = 0;
  store::Character juno_;
};

TEST_F(KpiRoutesTest, TotalsAndDaysAreExact) {
  MakeConversations();
  const json report = Kpis("?from=2026-03-01&to=2026-03-02&group_by=day", agent_.key);
  EXPECT_EQ(report["from"], "2026-03-01");
  EXPECT_EQ(report["to"], "2026-03-02");
  EXPECT_EQ(report["group_by"], "day");
  const json& totals = report["totals"];
  EXPECT_EQ(totals["conversations"], 2);
  EXPECT_DOUBLE_EQ(totals["first_response_ms"].get<double>(), 2000.0);  // 1500 and 2500
  EXPECT_EQ(totals["first_responses"], 2);
  EXPECT_DOUBLE_EQ(totals["resolution_rate"].get<double>(), 0.5);
  EXPECT_EQ(totals["resolved"], 1);
  EXPECT_DOUBLE_EQ(totals["handoff_rate"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(totals["agent_load_reduction"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(totals["csat"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(totals["csat_mean"].get<double>(), 4.0);
  EXPECT_EQ(totals["routing_reviews"], 1);
  EXPECT_DOUBLE_EQ(totals["routing_accuracy"].get<double>(), 0.0);
  EXPECT_TRUE(totals["campaign_reply_rate"].is_null());
  ASSERT_EQ(report["groups"].size(), 2u);
  EXPECT_EQ(report["groups"][0]["key"], "2026-03-01");
  EXPECT_EQ(report["groups"][0]["conversations"], 2);
  EXPECT_EQ(report["groups"][1]["key"], "2026-03-02");
  EXPECT_EQ(report["groups"][1]["conversations"], 0);
  EXPECT_TRUE(report["groups"][1]["resolution_rate"].is_null());
}

TEST_F(KpiRoutesTest, PerIntentAndPerCharacter) {
  MakeConversations();
  const json intents = Kpis("?from=2026-03-01&to=2026-03-01&group_by=intent", studio_);
  ASSERT_EQ(intents["groups"].size(), 1u) << intents;
  EXPECT_EQ(intents["groups"][0]["key"], "billing");
  EXPECT_EQ(intents["groups"][0]["conversations"], 2);
  EXPECT_EQ(intents["groups"][0]["routing_reviews"], 1);

  const json characters = Kpis("?from=2026-03-01&to=2026-03-01&group_by=character", admin_);
  ASSERT_EQ(characters["groups"].size(), 1u) << characters;
  EXPECT_EQ(characters["groups"][0]["key"], std::to_string(juno_.id));
  EXPECT_EQ(characters["groups"][0]["character_id"], juno_.id);
  EXPECT_EQ(characters["groups"][0]["character_slug"], juno_.slug);
  EXPECT_EQ(characters["groups"][0]["character_name"], "Juno");
}

TEST_F(KpiRoutesTest, DefaultsToTheLast30DaysPerDay) {
  clock_.Set(kMarch1 + 40 * 86'400'000LL + 5000);
  const json report = Kpis("", agent_.key);
  EXPECT_EQ(report["group_by"], "day");
  EXPECT_EQ(report["to"], "2026-04-10");
  EXPECT_EQ(report["from"], "2026-03-12");
  EXPECT_EQ(report["groups"].size(), 30u);
}

TEST_F(KpiRoutesTest, BadParametersAreNamed) {
  ExpectApiError(api_->Call("GET", "/api/v1/kpis?from=2026-02-30", agent_.key), 400, "invalid_argument", "from");
  ExpectApiError(api_->Call("GET", "/api/v1/kpis?to=yesterday", agent_.key), 400, "invalid_argument", "to");
  ExpectApiError(api_->Call("GET", "/api/v1/kpis?from=2026-03-02&to=2026-03-01", agent_.key), 400,
                 "invalid_argument", "to");
  ExpectApiError(api_->Call("GET", "/api/v1/kpis?group_by=week", agent_.key), 400, "invalid_argument", "group_by");
  ExpectApiError(api_->Call("GET", "/api/v1/kpis?group_by=none", agent_.key), 400, "invalid_argument", "group_by");
  const std::string client = api_->MintKey({"client"}).key;
  EXPECT_EQ(api_->Call("GET", "/api/v1/kpis", client, "", {{"X-Troupe-User", "alice"}}).status, 403);
}

TEST_F(KpiRoutesTest, CsatAndRoutingReviewsCheckTheirInput) {
  const int64_t id = api_->MakeConversation(user_, juno_.id).id;
  const store::Message unrouted = Say(id, store::MessageRole::kUser, kMarch1 + 1);
  const store::Message routed = Say(id, store::MessageRole::kUser, kMarch1 + 2, "billing");
  const std::string path = ConversationPath(id);
  ExpectApiError(api_->Call("POST", path + "/feedback", studio_, R"({"kind":"csat","rating":6})"), 400,
                 "invalid_argument", "rating");
  ExpectApiError(api_->Call("POST", path + "/feedback", studio_, R"({"kind":"csat","rating":0})"), 400,
                 "invalid_argument", "rating");
  ExpectApiError(api_->Call("POST", path + "/feedback", studio_, R"({"kind":"csat"})"), 400, "invalid_argument",
                 "rating");
  ExpectApiError(api_->Call("POST", path + "/feedback", studio_,
                            json{{"kind", "csat"}, {"rating", 5}, {"message_id", routed.id}}.dump()),
                 400, "invalid_argument", "message_id");
  ExpectApiError(api_->Call("POST", path + "/feedback", studio_,
                            json{{"kind", "rating"}, {"rating", 3}, {"message_id", routed.id}}.dump()),
                 400, "invalid_argument", "rating");

  const std::string review = path + "/messages/" + std::to_string(routed.id) + "/routing-review";
  ExpectApiError(api_->Call("PUT", review, agent_.key, R"({"intent":" "})"), 400, "invalid_argument", "intent");
  ExpectApiError(api_->Call("PUT", review, agent_.key, R"({"intent":7})"), 400, "invalid_argument", "intent");
  ExpectApiError(api_->Call("PUT", review, agent_.key, "{}"), 400, "invalid_argument", "intent");
  ExpectApiError(api_->Call("PUT", path + "/messages/" + std::to_string(unrouted.id) + "/routing-review", agent_.key,
                            R"({"intent":"billing"})"),
                 412, "failed_precondition");
  const int64_t other = api_->MakeConversation(user_, juno_.id).id;
  ExpectApiError(api_->Call("PUT", ConversationPath(other) + "/messages/" + std::to_string(routed.id) +
                                       "/routing-review",
                            agent_.key, R"({"intent":"billing"})"),
                 404, "not_found");
  EXPECT_EQ(api_->Call("PUT", review, studio_, R"({"intent":"billing"})").status, 403);
  ASSERT_EQ(api_->Call("PUT", review, agent_.key, R"({"intent":"billing"})").status, 200);
  Result<store::Message> stored = api_->store().messages().Get(routed.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(json::parse(stored->metadata_json)["routing"]["review"]["intent"], "billing");
}

// The sample line of `name` for `character`, or "" when the scrape has none.
std::string Sample(const std::string& scrape, const std::string& name, const std::string& character) {
  const std::string prefix = name + "{character=\"" + character + "\"} ";
  size_t at = scrape.find(prefix);
  if (at == std::string::npos) return "";
  return scrape.substr(at + prefix.size(), scrape.find('\n', at) - at - prefix.size());
}

TEST_F(KpiRoutesTest, PrometheusGaugesPerCharacterCachedForAMinute) {
  MakeConversations();
  clock_.Set(kMarch1 + 3'600'000);
  MetricsRegistry registry;
  KpiMetrics metrics(registry, api_->store(), clock_);
  std::string scrape = registry.Render();
  EXPECT_NE(scrape.find("# HELP troupe_kpi_first_response_seconds "), std::string::npos) << scrape;
  EXPECT_NE(scrape.find("# TYPE troupe_kpi_first_response_seconds gauge"), std::string::npos) << scrape;
  EXPECT_EQ(Sample(scrape, "troupe_kpi_conversations", juno_.slug), "2") << scrape;
  EXPECT_EQ(Sample(scrape, "troupe_kpi_first_response_seconds", juno_.slug), "2") << scrape;
  EXPECT_EQ(Sample(scrape, "troupe_kpi_resolution_ratio", juno_.slug), "0.5");
  EXPECT_EQ(Sample(scrape, "troupe_kpi_handoff_ratio", juno_.slug), "0.5");
  EXPECT_EQ(Sample(scrape, "troupe_kpi_agent_load_reduction_ratio", juno_.slug), "1");
  EXPECT_EQ(Sample(scrape, "troupe_kpi_csat_ratio", juno_.slug), "1");
  EXPECT_EQ(Sample(scrape, "troupe_kpi_routing_accuracy_ratio", juno_.slug), "0");
  EXPECT_EQ(Sample(scrape, "troupe_kpi_routing_reviews", juno_.slug), "1");
  EXPECT_EQ(Sample(scrape, "troupe_kpi_campaign_reply_ratio", juno_.slug), "");  // nothing to measure

  // A conversation started now shows at the first scrape a minute after the last computation.
  api_->MakeConversation(user_, juno_.id);
  clock_.Advance(59'999);
  EXPECT_EQ(Sample(registry.Render(), "troupe_kpi_conversations", juno_.slug), "2");
  clock_.Advance(1);
  EXPECT_EQ(Sample(registry.Render(), "troupe_kpi_conversations", juno_.slug), "3");

  // A day later nothing is left in the window.
  clock_.Advance(25 * 3'600'000LL);
  scrape = registry.Render();
  EXPECT_EQ(Sample(scrape, "troupe_kpi_conversations", juno_.slug), "") << scrape;
  EXPECT_NE(scrape.find("# TYPE troupe_kpi_conversations gauge"), std::string::npos);
}

}  // namespace
}  // namespace troupe::server::testing
