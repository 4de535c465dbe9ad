// Agent presence and handoff assignments on both backends: presence kept and replaced, the load
// counting only handed-off conversations, the least busy fresh available agent chosen, the
// assignment recorded in the conversation's metadata, and the waiting conversations in handoff
// order.
#include <nlohmann/json.hpp>

#include "store/api_keys.h"
#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

class AgentTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    user_id_ = MakeUser().id;
    character_id_ = MakeCharacter().id;
  }

  ApiKey MakeAgentKey(const std::string& name) {
    Result<MintedKey> minted = MintApiKey();
    EXPECT_TRUE(minted.ok());
    ApiKey key;
    key.name = name;
    key.prefix = minted.ok() ? minted->prefix : name;
    key.secret_hash = minted.ok() ? minted->secret_hash : "";
    key.scopes = {"agent"};
    Result<ApiKey> created = store_->api_keys().Create(key);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : ApiKey{};
  }

  // A handed-off conversation whose metadata says it was handed off at `at`.
  int64_t HandedOff(int64_t at) {
    Conversation conversation = MakeConversation(user_id_, character_id_);
    conversation.metadata_json = nlohmann::json{{"handoff", {{"at", at}, {"reason", "asked"}}}}.dump();
    EXPECT_TRUE(store_->conversations().UpdateState(conversation).ok());
    EXPECT_OK(store_->conversations().SetStatus(conversation.id, ConversationStatus::kHandedOff));
    return conversation.id;
  }

  nlohmann::json HandoffOf(int64_t conversation_id) {
    Result<Conversation> conversation = store_->conversations().Get(conversation_id);
    EXPECT_TRUE(conversation.ok());
    return conversation.ok() ? nlohmann::json::parse(conversation->metadata_json)["handoff"] : nlohmann::json();
  }

  int64_t user_id_ = 0;
  int64_t character_id_ = 0;
};

TEST_P(AgentTest, PresenceIsStoredWithWhenTheAgentWasSeen) {
  const ApiKey key = MakeAgentKey("ana");
  ASSERT_OK_AND_ASSIGN(AgentPresence first, store_->agents().SetPresence(key.id, AgentStatus::kAvailable, 2));
  EXPECT_EQ(first.key_prefix, key.prefix);
  EXPECT_EQ(first.status, AgentStatus::kAvailable);
  EXPECT_EQ(first.max_conversations, 2);
  EXPECT_EQ(first.last_seen_at, clock_.NowMillis());
  EXPECT_EQ(first.assigned, 0);

  clock_.Advance(5000);
  // An omitted max keeps the one stored.
  ASSERT_OK_AND_ASSIGN(AgentPresence away, store_->agents().SetPresence(key.id, AgentStatus::kAway, std::nullopt));
  EXPECT_EQ(away.status, AgentStatus::kAway);
  EXPECT_EQ(away.max_conversations, 2);
  EXPECT_EQ(away.last_seen_at, clock_.NowMillis());
  ASSERT_OK_AND_ASSIGN(AgentPresence read, store_->agents().GetPresence(key.id));
  EXPECT_EQ(read.status, AgentStatus::kAway);

  ASSERT_OK_AND_ASSIGN(std::vector<AgentPresence> all, store_->agents().List());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].key_id, key.id);
}

TEST_P(AgentTest, BadPresenceIsRefusedNamingTheField) {
  const ApiKey key = MakeAgentKey("ana");
  Status too_many = store_->agents().SetPresence(key.id, AgentStatus::kAvailable, 0).status();
  EXPECT_EQ(too_many.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(too_many.field(), "max_conversations");
  Status unknown = store_->agents().SetPresence(key.id + 100, AgentStatus::kAvailable, 1).status();
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  EXPECT_EQ(unknown.field(), "key_id");
  EXPECT_EQ(store_->agents().GetPresence(key.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ParseAgentStatus("busy"), std::nullopt);
  EXPECT_EQ(ParseAgentStatus("away"), AgentStatus::kAway);
}

TEST_P(AgentTest, AssigningRecordsTheAgentInTheConversation) {
  const ApiKey key = MakeAgentKey("ana");
  const int64_t conversation = HandedOff(1000);
  clock_.Advance(250);
  ASSERT_OK_AND_ASSIGN(HandoffAssignment assignment, store_->agents().Assign(conversation, key.id));
  EXPECT_EQ(assignment.key_prefix, key.prefix);
  EXPECT_EQ(assignment.assigned_at, clock_.NowMillis());
  const nlohmann::json handoff = HandoffOf(conversation);
  EXPECT_EQ(handoff["assigned_to"], key.prefix);
  EXPECT_EQ(handoff["assigned_at"], clock_.NowMillis());
  EXPECT_EQ(handoff["reason"], "asked");  // the rest of the record is kept

  ASSERT_OK_AND_ASSIGN(std::optional<HandoffAssignment> read, store_->agents().GetAssignment(conversation));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->key_id, key.id);
  ASSERT_OK(store_->agents().Unassign(conversation));
  ASSERT_OK(store_->agents().Unassign(conversation));  // idempotent
  ASSERT_OK_AND_ASSIGN(std::optional<HandoffAssignment> gone, store_->agents().GetAssignment(conversation));
  EXPECT_FALSE(gone.has_value());

  Status missing = store_->agents().Assign(conversation + 100, key.id).status();
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.field(), "conversation_id");
  EXPECT_EQ(store_->agents().Assign(conversation, key.id + 100).status().field(), "key_id");
}

TEST_P(AgentTest, TheLeastBusyFreshAvailableAgentTakesTheNextConversation) {
  const ApiKey ana = MakeAgentKey("ana");
  const ApiKey ben = MakeAgentKey("ben");
  const ApiKey cleo = MakeAgentKey("cleo");
  ASSERT_OK(store_->agents().SetPresence(ana.id, AgentStatus::kAvailable, 2).status());
  ASSERT_OK(store_->agents().SetPresence(ben.id, AgentStatus::kAvailable, 1).status());
  ASSERT_OK(store_->agents().SetPresence(cleo.id, AgentStatus::kAway, 5).status());
  const int64_t seen_since = clock_.NowMillis();

  ASSERT_OK(store_->agents().Assign(HandedOff(1), ana.id).status());
  // Ben has none: he gets it although Ana has room.
  const int64_t second = HandedOff(2);
  ASSERT_OK_AND_ASSIGN(std::optional<HandoffAssignment> to_ben, store_->agents().AssignLeastBusy(second, seen_since));
  ASSERT_TRUE(to_ben.has_value());
  EXPECT_EQ(to_ben->key_id, ben.id);
  EXPECT_EQ(HandoffOf(second)["assigned_to"], ben.prefix);
  // Already assigned: left alone.
  ASSERT_OK_AND_ASSIGN(std::optional<HandoffAssignment> again, store_->agents().AssignLeastBusy(second, seen_since));
  EXPECT_FALSE(again.has_value());
  // Ben is full (1 of 1); Ana has one of two.
  ASSERT_OK_AND_ASSIGN(std::optional<HandoffAssignment> to_ana, store_->agents().AssignLeastBusy(HandedOff(3), seen_since));
  ASSERT_TRUE(to_ana.has_value());
  EXPECT_EQ(to_ana->key_id, ana.id);
  // Everyone available is full; Cleo is away.
  const int64_t fourth = HandedOff(4);
  ASSERT_OK_AND_ASSIGN(std::optional<HandoffAssignment> nobody, store_->agents().AssignLeastBusy(fourth, seen_since));
  EXPECT_FALSE(nobody.has_value());

  // A conversation handed back stops counting: Ben has room again, unless he is no longer fresh.
  ASSERT_OK(store_->conversations().SetStatus(second, ConversationStatus::kActive));
  ASSERT_OK_AND_ASSIGN(std::optional<HandoffAssignment> stale,
                       store_->agents().AssignLeastBusy(fourth, seen_since + 1));
  EXPECT_FALSE(stale.has_value());
  ASSERT_OK_AND_ASSIGN(std::optional<HandoffAssignment> freed, store_->agents().AssignLeastBusy(fourth, seen_since));
  ASSERT_TRUE(freed.has_value());
  EXPECT_EQ(freed->key_id, ben.id);

  ASSERT_OK_AND_ASSIGN(std::vector<AgentPresence> all, store_->agents().List());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].assigned, 2);  // ana
  EXPECT_EQ(all[1].assigned, 1);  // ben: the handed-back one no longer counts
  EXPECT_EQ(all[2].assigned, 0);
}

TEST_P(AgentTest, WaitingConversationsComeOldestHandoffFirst) {
  const ApiKey ana = MakeAgentKey("ana");
  const int64_t later = HandedOff(3000);
  const int64_t earliest = HandedOff(1000);
  const int64_t middle = HandedOff(2000);
  const int64_t assigned = HandedOff(500);
  ASSERT_OK(store_->agents().Assign(assigned, ana.id).status());
  MakeConversation(user_id_, character_id_);  // active: not waiting
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> waiting, store_->agents().ListUnassigned(10));
  EXPECT_EQ(waiting, (std::vector<int64_t>{earliest, middle, later}));
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> first, store_->agents().ListUnassigned(1));
  EXPECT_EQ(first, std::vector<int64_t>{earliest});
}

INSTANTIATE_TEST_SUITE_P(Backends, AgentTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::store::testing
