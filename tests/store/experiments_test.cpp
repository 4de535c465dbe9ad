// Experiments on both backends: a draft stored and read back, its life (draft -> running ->
// stopped) with one running experiment per character, assignments written once per conversation
// and only while running, and the facts each assigned conversation's outcome is measured from.
#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

class ExperimentTest : public StoreTest {
 protected:
  ExperimentRecord DraftFor(int64_t character_id, std::string name = "warmer greeting") {
    ExperimentRecord experiment;
    experiment.character_id = character_id;
    experiment.name = std::move(name);
    experiment.kind = "prompt";
    experiment.metric = "length";
    experiment.planned_trials = 200;
    experiment.variants_json = R"([{"name":"control"},{"name":"warm","system_prompt":"Be warm."}])";
    return experiment;
  }

  Message UserMessage(int64_t conversation_id, std::string text) {
    Message message;
    message.conversation_id = conversation_id;
    message.role = MessageRole::kUser;
    message.content = std::move(text);
    return message;
  }
};

TEST_P(ExperimentTest, StoresADraftAndReadsItBack) {
  const int64_t character_id = MakeCharacter().id;
  ASSERT_OK_AND_ASSIGN(ExperimentRecord created, store_->experiments().Create(DraftFor(character_id)));
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.status, ExperimentStatus::kDraft);
  ASSERT_OK_AND_ASSIGN(ExperimentRecord read, store_->experiments().Get(created.id));
  EXPECT_EQ(read.name, "warmer greeting");
  EXPECT_EQ(read.kind, "prompt");
  EXPECT_EQ(read.metric, "length");
  EXPECT_EQ(read.return_days, 7);
  EXPECT_EQ(read.planned_trials, 200);
  EXPECT_EQ(read.variants_json, R"([{"name":"control"},{"name":"warm","system_prompt":"Be warm."}])");
  EXPECT_FALSE(read.started_at.has_value());
  EXPECT_EQ(read.created_at, clock_.NowMillis());

  ExperimentRecord bad = DraftFor(character_id);
  bad.variants_json = R"({"name":"control"})";
  EXPECT_EQ(store_->experiments().Create(bad).status().field(), "variants_json");
  bad = DraftFor(424242);
  EXPECT_EQ(store_->experiments().Create(bad).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->experiments().Get(424242).status().code(), StatusCode::kNotFound);
}

TEST_P(ExperimentTest, OneRunningExperimentPerCharacter) {
  const int64_t character_id = MakeCharacter().id;
  ASSERT_OK_AND_ASSIGN(ExperimentRecord first, store_->experiments().Create(DraftFor(character_id, "first")));
  ASSERT_OK_AND_ASSIGN(ExperimentRecord second, store_->experiments().Create(DraftFor(character_id, "second")));
  clock_.Advance(1000);
  ASSERT_OK_AND_ASSIGN(ExperimentRecord started, store_->experiments().Start(first.id));
  EXPECT_EQ(started.status, ExperimentStatus::kRunning);
  EXPECT_EQ(started.started_at, clock_.NowMillis());

  Result<ExperimentRecord> refused = store_->experiments().Start(second.id);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->experiments().Start(first.id).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->experiments().Delete(first.id).code(), StatusCode::kFailedPrecondition);

  ASSERT_OK_AND_ASSIGN(std::optional<ExperimentRecord> running, store_->experiments().Running(character_id));
  ASSERT_TRUE(running.has_value());
  EXPECT_EQ(running->id, first.id);

  ASSERT_OK_AND_ASSIGN(ExperimentRecord stopped, store_->experiments().Stop(first.id));
  EXPECT_EQ(stopped.status, ExperimentStatus::kStopped);
  EXPECT_EQ(store_->experiments().Stop(first.id).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_OK(store_->experiments().Start(second.id).status());

  ASSERT_OK_AND_ASSIGN(Page<ExperimentRecord> listed, store_->experiments().List(character_id, PageRequest{}));
  ASSERT_EQ(listed.items.size(), 2u);
  EXPECT_EQ(listed.items[0].id, first.id);
  ASSERT_OK(store_->experiments().Delete(first.id));
  EXPECT_EQ(store_->experiments().Get(first.id).status().code(), StatusCode::kNotFound);
}

TEST_P(ExperimentTest, AssignsEachConversationOnceWhileRunning) {
  const User user = MakeUser();
  const int64_t character_id = MakeCharacter().id;
  const int64_t conversation_id = MakeConversation(user.id, character_id).id;
  ASSERT_OK_AND_ASSIGN(ExperimentRecord experiment, store_->experiments().Create(DraftFor(character_id)));
  ExperimentAssignment assignment{conversation_id, experiment.id, 1, 0};
  EXPECT_EQ(store_->experiments().Assign(assignment).code(), StatusCode::kFailedPrecondition);  // a draft
  ASSERT_OK(store_->experiments().Start(experiment.id).status());
  ASSERT_OK(store_->experiments().Assign(assignment));
  EXPECT_EQ(store_->experiments().Assign(assignment).code(), StatusCode::kConflict);
  EXPECT_EQ(store_->experiments().Assign({424242, experiment.id, 0, 0}).code(), StatusCode::kNotFound);

  ASSERT_OK_AND_ASSIGN(std::optional<ExperimentAssignment> read, store_->experiments().AssignmentOf(conversation_id));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->experiment_id, experiment.id);
  EXPECT_EQ(read->variant, 1);
  EXPECT_EQ(read->assigned_at, clock_.NowMillis());
  ASSERT_OK_AND_ASSIGN(std::optional<ExperimentAssignment> none,
                       store_->experiments().AssignmentOf(conversation_id + 1000));
  EXPECT_FALSE(none.has_value());

  // Deleting the stopped experiment takes its assignments with it.
  ASSERT_OK(store_->experiments().Stop(experiment.id).status());
  ASSERT_OK(store_->experiments().Delete(experiment.id));
  ASSERT_OK_AND_ASSIGN(std::optional<ExperimentAssignment> gone, store_->experiments().AssignmentOf(conversation_id));
  EXPECT_FALSE(gone.has_value());
}

TEST_P(ExperimentTest, ObservationsCarryTheFactsOutcomesAreMeasuredFrom) {
  const User user = MakeUser();
  const int64_t character_id = MakeCharacter().id;
  ASSERT_OK_AND_ASSIGN(ExperimentRecord experiment, store_->experiments().Create(DraftFor(character_id)));
  ASSERT_OK(store_->experiments().Start(experiment.id).status());

  const int64_t talked = MakeConversation(user.id, character_id).id;
  ASSERT_OK(store_->experiments().Assign({talked, experiment.id, 0, 0}));
  ASSERT_OK(store_->messages().Append(UserMessage(talked, "hello")).status());
  ASSERT_OK(store_->messages().Append(UserMessage(talked, "again")).status());
  FeedbackEvent csat;
  csat.conversation_id = talked;
  csat.kind = "csat";
  csat.rating = 2;
  ASSERT_OK(store_->feedback().Record(csat).status());
  clock_.Advance(10);
  csat.rating = 5;  // the latest rating is the one that counts
  ASSERT_OK(store_->feedback().Record(csat).status());

  clock_.Advance(60'000);
  const int64_t silent = MakeConversation(user.id, character_id).id;
  ASSERT_OK(store_->experiments().Assign({silent, experiment.id, 1, 0}));

  ASSERT_OK_AND_ASSIGN(std::vector<ExperimentObservation> observed,
                       store_->experiments().Observations(experiment.id));
  ASSERT_EQ(observed.size(), 2u);
  EXPECT_EQ(observed[0].conversation_id, talked);
  EXPECT_EQ(observed[0].variant, 0);
  EXPECT_EQ(observed[0].user_id, user.id);
  EXPECT_EQ(observed[0].user_messages, 2);
  EXPECT_EQ(observed[0].agent_messages, 0);
  EXPECT_EQ(observed[0].csat, 5);
  ASSERT_TRUE(observed[0].next_start.has_value());
  EXPECT_EQ(*observed[0].next_start, observed[1].created_at);
  EXPECT_EQ(observed[1].variant, 1);
  EXPECT_EQ(observed[1].user_messages, 0);
  EXPECT_FALSE(observed[1].csat.has_value());
  EXPECT_FALSE(observed[1].next_start.has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, ExperimentTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::store::testing
