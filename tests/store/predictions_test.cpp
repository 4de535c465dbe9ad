// Outcome models and predictions on both backends: a model stored with its trees and report, the
// newest per outcome in use, summaries listed newest first without trees; a conversation's
// prediction written, replaced (created_at kept) and refused for an unknown model or a
// probability outside 0..1; both gone with the conversation.
#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

class PredictionTest : public StoreTest {
 protected:
  OutcomeModelRecord Model(const std::string& outcome) {
    OutcomeModelRecord model;
    model.outcome = outcome;
    model.first_messages = 6;
    model.features = 17;
    model.examples = 420;
    model.model_json = R"({"learner":{}})";
    model.report_json = R"({"auc":0.81})";
    return model;
  }
};

TEST_P(PredictionTest, TheNewestModelOfAnOutcomeIsInUse) {
  ASSERT_OK_AND_ASSIGN(OutcomeModelRecord first, store_->predictions().SaveModel(Model("handoff")));
  clock_.Advance(1000);
  ASSERT_OK_AND_ASSIGN(OutcomeModelRecord second, store_->predictions().SaveModel(Model("handoff")));
  ASSERT_OK(store_->predictions().SaveModel(Model("return")).status());
  ASSERT_OK_AND_ASSIGN(std::optional<OutcomeModelRecord> latest, store_->predictions().LatestModel("handoff"));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->id, second.id);
  EXPECT_EQ(latest->model_json, R"({"learner":{}})");
  EXPECT_EQ(latest->features, 17);
  EXPECT_EQ(latest->created_at, clock_.NowMillis());
  ASSERT_OK_AND_ASSIGN(std::optional<OutcomeModelRecord> none, store_->predictions().LatestModel("good_end"));
  EXPECT_FALSE(none.has_value());

  ASSERT_OK_AND_ASSIGN(Page<OutcomeModelRecord> listed, store_->predictions().ListModels("handoff", {"", 1}));
  ASSERT_EQ(listed.items.size(), 1u);
  EXPECT_EQ(listed.items[0].id, second.id);
  EXPECT_TRUE(listed.items[0].model_json.empty());
  EXPECT_EQ(listed.items[0].report_json, R"({"auc":0.81})");
  ASSERT_OK_AND_ASSIGN(Page<OutcomeModelRecord> rest, store_->predictions().ListModels("handoff", {listed.next_cursor, 5}));
  ASSERT_EQ(rest.items.size(), 1u);
  EXPECT_EQ(rest.items[0].id, first.id);
  ASSERT_OK_AND_ASSIGN(Page<OutcomeModelRecord> all, store_->predictions().ListModels(std::nullopt, {}));
  EXPECT_EQ(all.items.size(), 3u);

  OutcomeModelRecord bad = Model("handoff");
  bad.report_json = "[]";
  EXPECT_EQ(store_->predictions().SaveModel(bad).status().field(), "report_json");
  EXPECT_EQ(store_->predictions().GetModel(424242).status().code(), StatusCode::kNotFound);
}

TEST_P(PredictionTest, APredictionIsWrittenReplacedAndGoesWithItsConversation) {
  const int64_t user = MakeUser().id;
  const int64_t conversation = MakeConversation(user, MakeCharacter().id).id;
  ASSERT_OK_AND_ASSIGN(OutcomeModelRecord model, store_->predictions().SaveModel(Model("handoff")));
  ASSERT_OK(store_->predictions().Put({conversation, "handoff", model.id, 0.25, 2, 0, 0}));
  const int64_t first_at = clock_.NowMillis();
  clock_.Advance(5000);
  ASSERT_OK(store_->predictions().Put({conversation, "handoff", model.id, 0.75, 4, 0, 0}));
  ASSERT_OK_AND_ASSIGN(std::vector<OutcomePrediction> read, store_->predictions().ForConversation(conversation));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_DOUBLE_EQ(read[0].probability, 0.75);
  EXPECT_EQ(read[0].messages_seen, 4);
  EXPECT_EQ(read[0].created_at, first_at);
  EXPECT_EQ(read[0].updated_at, clock_.NowMillis());

  EXPECT_EQ(store_->predictions().Put({conversation, "handoff", model.id, 1.5, 4, 0, 0}).field(), "probability");
  EXPECT_EQ(store_->predictions().Put({conversation, "handoff", 424242, 0.5, 4, 0, 0}).field(), "model_id");
  EXPECT_EQ(store_->predictions().Put({424242, "handoff", model.id, 0.5, 4, 0, 0}).field(), "conversation_id");

  ASSERT_OK(store_->user_data().DeleteUser(user).status());  // takes its conversations with it
  ASSERT_OK_AND_ASSIGN(std::vector<OutcomePrediction> gone, store_->predictions().ForConversation(conversation));
  EXPECT_TRUE(gone.empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, PredictionTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::store::testing
