// Customer profiles, activity and segments on both backends: profiles kept as typed JSON and
// checked, activity figures counted from conversations, messages and feedback as of a moment, and
// segment membership living in users.segment (Assign, Members, Delete).
#include <nlohmann/json.hpp>

#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

constexpr int64_t kCustomerDay = int64_t{24} * 60 * 60 * 1000;

class CustomersTest : public StoreTest {
 protected:
  Message Write(int64_t conversation_id, MessageRole role) {
    Message message;
    message.conversation_id = conversation_id;
    message.role = role;
    message.content = "hello";
    Result<Message> appended = store_->messages().Append(message);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended.ok() ? *appended : message;
  }

  std::vector<int64_t> MemberIds(const std::string& name) {
    std::vector<int64_t> ids;
    PageRequest page{"", 2};
    while (true) {
      Result<Page<User>> members = store_->segments().Members(name, page);
      EXPECT_TRUE(members.ok()) << members.status().ToString();
      if (!members.ok()) return ids;
      for (const User& user : members->items) ids.push_back(user.id);
      if (members->next_cursor.empty()) return ids;
      page.cursor = members->next_cursor;
    }
  }
};

TEST_P(CustomersTest, ProfileStartsEmptyAndIsReplacedWhole) {
  User user = MakeUser();
  ASSERT_OK_AND_ASSIGN(UserProfile empty, store_->customers().GetProfile(user.id));
  EXPECT_EQ(empty.profile_json, "{}");
  EXPECT_EQ(empty.updated_at, 0);

  ASSERT_OK(store_->customers().PutProfile(user.id, R"({"age": 34, "vip": true, "joined": "2025-01-02"})").status());
  clock_.Advance(1000);
  ASSERT_OK(store_->customers().PutProfile(user.id, R"({"age": 35, "city": "Oslo"})").status());
  ASSERT_OK_AND_ASSIGN(UserProfile profile, store_->customers().GetProfile(user.id));
  EXPECT_EQ(nlohmann::json::parse(profile.profile_json), nlohmann::json({{"age", 35}, {"city", "Oslo"}}));
  EXPECT_EQ(profile.updated_at, clock_.NowMillis());
}

TEST_P(CustomersTest, ProfileRejectsNestedValuesAndUnknownUsers) {
  User user = MakeUser();
  Result<UserProfile> nested = store_->customers().PutProfile(user.id, R"({"address": {"city": "Oslo"}})");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(nested.status().field(), "profile");
  Result<UserProfile> array = store_->customers().PutProfile(user.id, "[1]");
  EXPECT_EQ(array.status().code(), StatusCode::kInvalidArgument);
  Result<UserProfile> unknown = store_->customers().PutProfile(user.id + 100, "{}");
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->customers().GetProfile(user.id + 100).status().code(), StatusCode::kNotFound);
}

TEST_P(CustomersTest, ActivityCountsTheUsersOwnRecordsAsOfNow) {
  const int64_t created = clock_.NowMillis();
  User user = MakeUser("ann");
  User other = MakeUser("bob");
  Character character = MakeCharacter();
  Conversation first = MakeConversation(user.id, character.id);
  Conversation second = MakeConversation(user.id, character.id);
  MakeConversation(other.id, character.id);

  Write(first.id, MessageRole::kUser);  // 40 days before `now` below
  Write(first.id, MessageRole::kAssistant);
  clock_.Advance(35 * kCustomerDay);
  Write(second.id, MessageRole::kUser);
  Message latest = Write(second.id, MessageRole::kUser);
  ASSERT_OK(store_->conversations().SetStatus(second.id, ConversationStatus::kHandedOff));
  FeedbackEvent rating;
  rating.conversation_id = first.id;
  rating.user_id = user.id;
  rating.kind = "rating";
  rating.rating = 1;
  ASSERT_OK(store_->feedback().Record(rating).status());
  const int64_t now = clock_.NowMillis() + 5 * kCustomerDay;

  ASSERT_OK_AND_ASSIGN(UserActivity activity, store_->customers().Activity(user.id, now));
  EXPECT_EQ(activity.conversations, 2);
  EXPECT_EQ(activity.messages_sent, 3);
  EXPECT_EQ(activity.messages_30d, 2);
  EXPECT_EQ(activity.first_seen, created);
  EXPECT_EQ(activity.last_active_at, latest.created_at);
  EXPECT_EQ(activity.ratings_given, 1);
  EXPECT_EQ(activity.handoffs, 1);

  ASSERT_OK_AND_ASSIGN(UserActivity quiet, store_->customers().Activity(other.id, now));
  EXPECT_EQ(quiet.conversations, 1);
  EXPECT_EQ(quiet.messages_sent, 0);
  EXPECT_FALSE(quiet.last_active_at.has_value());
  EXPECT_EQ(store_->customers().Activity(other.id + 100, now).status().code(), StatusCode::kNotFound);
}

TEST_P(CustomersTest, ListCustomersPagesEveryUserWithProfileAndActivity) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(MakeUser("user-" + std::to_string(i)).id);
  ASSERT_OK(store_->customers().PutProfile(ids[3], R"({"spend": 120.5})").status());
  std::vector<Customer> seen;
  PageRequest page{"", 2};
  while (true) {
    ASSERT_OK_AND_ASSIGN(Page<Customer> batch, store_->customers().ListCustomers(page, clock_.NowMillis()));
    EXPECT_LE(batch.items.size(), 2u);
    for (Customer& customer : batch.items) seen.push_back(std::move(customer));
    if (batch.next_cursor.empty()) break;
    page.cursor = batch.next_cursor;
  }
  ASSERT_EQ(seen.size(), 5u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].user.id, ids[i]);
    EXPECT_EQ(seen[i].activity.user_id, ids[i]);
  }
  EXPECT_EQ(nlohmann::json::parse(seen[3].profile.profile_json)["spend"], 120.5);
  EXPECT_EQ(seen[2].profile.profile_json, "{}");
}

TEST_P(CustomersTest, SegmentsAreUniqueByNameAndCountTheirMembers) {
  Segment segment;
  segment.name = "loyal";
  segment.description = "bought often";
  segment.definition_json = R"({"rules": {"all": []}})";
  ASSERT_OK_AND_ASSIGN(Segment created, store_->segments().Create(segment));
  EXPECT_GT(created.id, 0);
  Result<Segment> again = store_->segments().Create(segment);
  EXPECT_EQ(again.status().code(), StatusCode::kConflict);
  EXPECT_EQ(again.status().field(), "name");
  segment.name = "bad name!";
  EXPECT_EQ(store_->segments().Create(segment).status().field(), "name");

  User ann = MakeUser("ann");
  ann.segment = "loyal";
  ASSERT_OK(store_->users().Update(ann).status());
  ASSERT_OK_AND_ASSIGN(Segment read, store_->segments().Get("loyal"));
  EXPECT_EQ(read.member_count, 1);
  EXPECT_EQ(read.description, "bought often");
  EXPECT_EQ(store_->segments().Get("nobody").status().code(), StatusCode::kNotFound);
}

TEST_P(CustomersTest, AssignMakesExactlyTheListedUsersMembers) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(MakeUser("user-" + std::to_string(i)).id);
  ASSERT_OK_AND_ASSIGN(SegmentAssignment first, store_->segments().Assign({{"a", {ids[0], ids[1], ids[2]}}}));
  EXPECT_EQ(first.members, 3);
  EXPECT_EQ(first.added, 3);
  EXPECT_EQ(first.removed, 0);

  ASSERT_OK_AND_ASSIGN(SegmentAssignment second,
                       store_->segments().Assign({{"a", {ids[2], ids[3]}}, {"b", {ids[0]}}}));
  EXPECT_EQ(second.members, 3);
  EXPECT_EQ(second.added, 2);    // ids[3] into a, ids[0] into b
  EXPECT_EQ(second.removed, 2);  // ids[0] and ids[1] out of a
  EXPECT_EQ(MemberIds("a"), (std::vector<int64_t>{ids[2], ids[3]}));
  EXPECT_EQ(MemberIds("b"), (std::vector<int64_t>{ids[0]}));
  ASSERT_OK_AND_ASSIGN(User left, store_->users().Get(ids[1]));
  EXPECT_EQ(left.segment, "");
}

TEST_P(CustomersTest, DeletingAKMeansSegmentRemovesItsClustersAndEmptiesTheirMembers) {
  Segment parent;
  parent.name = "spend";
  parent.kind = "kmeans";
  Segment cluster;
  cluster.name = "spend-1";
  cluster.kind = "cluster";
  cluster.parent = "spend";
  ASSERT_OK(store_->segments().CreateAll({parent, cluster}));
  // All or none: a taken name leaves nothing behind.
  Segment other = cluster;
  other.name = "other";
  EXPECT_EQ(store_->segments().CreateAll({other, cluster}).code(), StatusCode::kConflict);
  EXPECT_EQ(store_->segments().Get("other").status().code(), StatusCode::kNotFound);

  User ann = MakeUser("ann");
  ASSERT_OK(store_->segments().Assign({{"spend-1", {ann.id}}}).status());
  ASSERT_OK_AND_ASSIGN(int64_t emptied, store_->segments().Delete("spend"));
  EXPECT_EQ(emptied, 1);
  EXPECT_EQ(store_->segments().Get("spend-1").status().code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(User after, store_->users().Get(ann.id));
  EXPECT_EQ(after.segment, "");
  EXPECT_EQ(store_->segments().Delete("spend").status().code(), StatusCode::kNotFound);
}

TEST_P(CustomersTest, AProfileGoesWithItsUser) {
  User user = MakeUser();
  ASSERT_OK(store_->customers().PutProfile(user.id, R"({"age": 3})").status());
  ASSERT_OK(store_->user_data().DeleteUser(user.id).status());
  User again = MakeUser();
  ASSERT_OK_AND_ASSIGN(UserProfile profile, store_->customers().GetProfile(again.id));
  EXPECT_EQ(profile.profile_json, "{}");
}

INSTANTIATE_TEST_SUITE_P(Backends, CustomersTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::store::testing
