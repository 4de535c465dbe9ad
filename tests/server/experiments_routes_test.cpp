// Experiments over a real socket on both backends: created with errors that name their field (a
// plan turned into trials per variant), started (one per character), conversations created through
// the API while it runs are assigned variants, the report counts them and measures their outcome,
// stop and delete follow the life the store enforces, and only studio and admin keys may call.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/api_fixture.h"
#include "studio/experiment_stats.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

class ExperimentRoutesTest : public ::testing::TestWithParam<Backend> {
 protected:
  ExperimentRoutesTest() {
    ApiOptions options = UnlimitedOptions();
    options.clock = &clock_;
    api_ = std::make_unique<ApiServer>(GetParam(), options);
  }

  void SetUp() override {
    ASSERT_TRUE(api_->ok());
    studio_ = api_->MintKey({"studio"}).key;
    lily_ = api_->MakeCharacter("Lily", true).id;
  }

  json Experiment(int64_t character_id) {
    return {{"character_id", character_id},
            {"name", "warmer prompt"},
            {"kind", "prompt"},
            {"metric", "length"},
            {"variants", json::array({{{"name", "control"}}, {{"name", "warm"}, {"system_prompt", "Be warm."}}})}};
  }

  // A conversation created through the API for a new end user; its id.
  int64_t StartConversation(int index) {
    const int64_t user = api_->MakeUser("user-" + std::to_string(index)).id;
    json created = CallExpecting(*api_, studio_, "POST", "/api/v1/conversations",
                                 {{"character_id", lily_}, {"user_id", user}}, 201);
    return created.value("id", int64_t{0});
  }

  ManualClock clock_{1'790'000'000'000};
  std::unique_ptr<ApiServer> api_;
  std::string studio_;
  int64_t lily_ = 0;
};

TEST_P(ExperimentRoutesTest, ErrorsNameTheirFieldAndAPlanBecomesTrialsPerVariant) {
  json bad = Experiment(lily_);
  bad["variants"][1] = {{"name", "warm"}, {"flow", "start: x"}};
  ExpectApiError(api_->Call("POST", "/api/v1/studio/experiments", studio_, bad.dump()), 400, "invalid_argument",
                 "variants[1].flow");
  bad = Experiment(lily_);
  bad["metric"] = "joy";
  ExpectApiError(api_->Call("POST", "/api/v1/studio/experiments", studio_, bad.dump()), 400, "invalid_argument",
                 "metric");
  bad = Experiment(424242);
  ExpectApiError(api_->Call("POST", "/api/v1/studio/experiments", studio_, bad.dump()), 404, "not_found",
                 "character_id");
  bad = Experiment(lily_);
  bad["plan"] = {{"baseline_rate", 0.3}, {"minimum_effect", 2}};
  ExpectApiError(api_->Call("POST", "/api/v1/studio/experiments", studio_, bad.dump()), 400, "invalid_argument");

  json planned = Experiment(lily_);
  planned["metric"] = "return";
  planned["plan"] = {{"baseline_rate", 0.3}, {"minimum_effect", 0.05}};
  json created = CallExpecting(*api_, studio_, "POST", "/api/v1/studio/experiments", planned, 201);
  EXPECT_EQ(created["status"], "draft");
  EXPECT_EQ(created["planned_trials"], studio::RequiredTrialsPerVariant(0.3, 0.05, 0.05, 0.8).value());
  EXPECT_EQ(created["variants"][1]["system_prompt"], "Be warm.");

  const std::string client = api_->MintKey({"client"}, api_->MakeUser("someone").id).key;
  EXPECT_EQ(api_->Call("GET", "/api/v1/studio/experiments", client).status, 403);
  EXPECT_EQ(api_->Call("POST", "/api/v1/studio/experiments", client, Experiment(lily_).dump()).status, 403);
}

TEST_P(ExperimentRoutesTest, ARunningExperimentAssignsNewConversationsAndReportsThem) {
  const int64_t unassigned = StartConversation(0);
  json created = CallExpecting(*api_, studio_, "POST", "/api/v1/studio/experiments", Experiment(lily_), 201);
  const std::string base = "/api/v1/studio/experiments/" + std::to_string(created["id"].get<int64_t>());
  json other = CallExpecting(*api_, studio_, "POST", "/api/v1/studio/experiments", Experiment(lily_), 201);
  json started = CallExpecting(*api_, studio_, "POST", base + "/start", json::object(), 200);
  EXPECT_EQ(started["status"], "running");
  ExpectApiError(api_->Call("POST", "/api/v1/studio/experiments/" + std::to_string(other["id"].get<int64_t>()) + "/start",
                            studio_, "{}"),
                 412, "failed_precondition");
  ExpectApiError(api_->Call("DELETE", base, studio_), 412, "failed_precondition");

  constexpr int kConversations = 40;
  for (int i = 1; i <= kConversations; ++i) {
    const int64_t conversation = StartConversation(i);
    for (int m = 0; m < i % 5; ++m) api_->MakeMessage(conversation, "message " + std::to_string(m));
  }
  clock_.Advance(2 * 60 * 60 * 1000);  // every conversation has settled

  json report = CallExpecting(*api_, studio_, "GET", base + "/report", json(), 200);
  EXPECT_EQ(report["metric"], "length");
  EXPECT_EQ(report["experiment"]["status"], "running");
  ASSERT_EQ(report["variants"].size(), 2u);
  const int64_t control = report["variants"][0]["assigned"].get<int64_t>();
  const int64_t warm = report["variants"][1]["assigned"].get<int64_t>();
  EXPECT_EQ(control + warm, kConversations);  // the conversation from before the start is not in it
  EXPECT_GT(control, 5);
  EXPECT_GT(warm, 5);
  EXPECT_EQ(report["variants"][0]["measured"], control);
  EXPECT_FALSE(report["variants"][1]["estimate"].is_null());
  EXPECT_EQ(report["variants"][1]["against_control"]["test"], "Mann-Whitney U");
  EXPECT_TRUE(report["variants"][1]["decision"].is_null());
  ASSERT_EQ(report["days"].size(), 1u);
  EXPECT_EQ(report["days"][0]["counts"][0], control);
  EXPECT_EQ(api_->store().experiments().AssignmentOf(unassigned).value().has_value(), false);

  json stopped = CallExpecting(*api_, studio_, "POST", base + "/stop", json::object(), 200);
  EXPECT_EQ(stopped["status"], "stopped");
  StartConversation(kConversations + 1);
  report = CallExpecting(*api_, studio_, "GET", base + "/report", json(), 200);
  EXPECT_EQ(report["variants"][0]["assigned"].get<int64_t>() + report["variants"][1]["assigned"].get<int64_t>(),
            kConversations);

  json listed = CallExpecting(*api_, studio_, "GET", "/api/v1/studio/experiments?character_id=" + std::to_string(lily_),
                              json(), 200);
  EXPECT_EQ(listed["data"].size(), 2u);
  EXPECT_EQ(api_->Call("DELETE", base, studio_).status, 204);
  ExpectApiError(api_->Call("GET", base, studio_), 404, "not_found", "id");
  ExpectApiError(api_->Call("GET", "/api/v1/studio/experiments?character_id=x", studio_), 400, "invalid_argument",
                 "character_id");
}

INSTANTIATE_TEST_SUITE_P(Backends, ExperimentRoutesTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::server::testing
