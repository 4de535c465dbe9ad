// One end user's data on both backends: the export holds everything of theirs and nothing of
// anyone else's; the deletion removes exactly that, takes the messages out of the full-text index
// (indexed ones and ones the batched SQLite index had not reached yet), settles the jobs that name
// them, and a second deletion finds nobody.
#include <sqlite3.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "store/campaign_repository.h"
#include "store/customer_repository.h"
#include "store/repo/message_index.h"
#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

using nlohmann::json;

// What Populate made for one user, by id.
struct Made {
  User user;
  std::vector<int64_t> conversations;
  std::vector<int64_t> messages;
  std::vector<int64_t> memories;
  std::vector<int64_t> feedback;
  std::vector<int64_t> tool_calls;
  ApiKey key;
  std::vector<int64_t> jobs;  // queued, naming the user
  int64_t campaign_message = 0;
};

class UserDataTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    character_ = MakeCharacter("Juno");
  }

  Message Say(int64_t conversation_id, const std::string& content) {
    Message message;
    message.conversation_id = conversation_id;
    message.content = content;
    Result<Message> appended = store_->messages().Append(message);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended.ok() ? *appended : Message{};
  }

  std::vector<int64_t> Find(int64_t conversation_id, const std::string& text) {
    Result<std::vector<Message>> found = store_->messages().Search(conversation_id, text, 500);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    std::vector<int64_t> ids;
    if (found.ok()) {
      for (const Message& message : *found) ids.push_back(message.id);
    }
    return ids;
  }

  // Two conversations of a new user, each with messages holding `word` (some indexed by a search
  // before the rest were written), a pinned note and a summary, feedback, a tool call; a key bound
  // to the user; a summary job and a webhook event naming them.
  Made Populate(const std::string& external_id, const std::string& word) {
    Made made;
    made.user = MakeUser(external_id);
    for (int c = 0; c < 2; ++c) {
      const Conversation conversation = MakeConversation(made.user.id, character_.id);
      made.conversations.push_back(conversation.id);
      for (int i = 0; i < 3; ++i) made.messages.push_back(Say(conversation.id, word + " early " + std::to_string(i)).id);
      EXPECT_EQ(Find(conversation.id, word).size(), 3u);  // the search indexes them
      for (int i = 0; i < 2; ++i) made.messages.push_back(Say(conversation.id, word + " late " + std::to_string(i)).id);

      Memory pinned;
      pinned.conversation_id = conversation.id;
      pinned.content = word + " likes tea";
      Memory summary = pinned;
      summary.kind = MemoryKind::kSummary;
      summary.content = "they talked about " + word;
      summary.covers_until_message_id = made.messages.back();
      for (const Memory& memory : {pinned, summary}) {
        Result<Memory> created = store_->memories().Create(memory);
        EXPECT_TRUE(created.ok()) << created.status().ToString();
        made.memories.push_back(created.ok() ? created->id : 0);
      }

      FeedbackEvent rating;
      rating.conversation_id = conversation.id;
      rating.message_id = made.messages.back();
      rating.user_id = made.user.id;
      rating.kind = "rating";
      rating.rating = 1;
      Result<FeedbackEvent> rated = store_->feedback().Record(rating);
      EXPECT_TRUE(rated.ok()) << rated.status().ToString();
      made.feedback.push_back(rated.ok() ? rated->id : 0);

      ToolCallRecord call;
      call.conversation_id = conversation.id;
      call.message_id = made.messages.back();
      call.tool = "lookup_order";
      call.outcome = "ok";
      call.arguments_json = R"({"order":"***"})";
      Result<ToolCallRecord> recorded = store_->tool_calls().Record(call);
      EXPECT_TRUE(recorded.ok()) << recorded.status().ToString();
      made.tool_calls.push_back(recorded.ok() ? recorded->id : 0);
    }
    ApiKey key;
    key.name = external_id + "'s app";
    key.prefix = external_id + "key";
    key.secret_hash = "0123abcd";
    key.scopes = {"client"};
    key.user_id = made.user.id;
    Result<ApiKey> created = store_->api_keys().Create(key);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    if (created.ok()) made.key = *created;

    EXPECT_OK(store_->customers().PutProfile(made.user.id, json{{"city", word}}.dump()).status());
    Campaign campaign;
    campaign.name = "winback for " + external_id;
    campaign.character_id = character_.id;
    campaign.segment = "lapsed";
    Result<Campaign> created_campaign = store_->campaigns().Create(campaign);
    EXPECT_TRUE(created_campaign.ok()) << created_campaign.status().ToString();
    if (created_campaign.ok()) {
      Result<CampaignMessage> draft = store_->campaigns().AddDraft(created_campaign->id, made.user.id, word + " offer");
      EXPECT_TRUE(draft.ok()) << draft.status().ToString();
      if (draft.ok()) made.campaign_message = draft->id;
    }

    made.jobs.push_back(Enqueue("chat.summarize", json{{"conversation_id", made.conversations[0]}}));
    made.jobs.push_back(Enqueue("webhook", json{{"type", "message.proactive"},
                                                {"data", {{"user_id", made.user.id}, {"conversation_id", 0}}}}));
    return made;
  }

  int64_t Enqueue(const std::string& kind, const json& payload, int priority = 0) {
    NewJob job;
    job.kind = kind;
    job.payload_json = payload.dump();
    job.priority = priority;
    Result<Job> queued = store_->jobs().Enqueue(job);
    EXPECT_TRUE(queued.ok()) << queued.status().ToString();
    return queued.ok() ? queued->id : 0;
  }

  // Runs `statement` on the SQLite file directly; "" on success, else the error.
  std::string ExecSqlite(const std::string& statement, int* rows = nullptr) {
    sqlite3* db = nullptr;
    if (sqlite3_open((dir_.path() / "troupe.db").c_str(), &db) != SQLITE_OK) return "cannot open";
    char* error = nullptr;
    auto count = [](void* counter, int, char**, char**) {
      ++*static_cast<int*>(counter);
      return 0;
    };
    int ignored = 0;
    const int code = sqlite3_exec(db, statement.c_str(), count, rows != nullptr ? rows : &ignored, &error);
    std::string message = code == SQLITE_OK ? "" : statement + ": " + (error != nullptr ? error : "?");
    sqlite3_free(error);
    sqlite3_close(db);
    return message;
  }

  Character character_;
};

void Append(std::vector<int64_t>& to, const std::vector<int64_t>& more) { to.insert(to.end(), more.begin(), more.end()); }

template <typename Record>
std::vector<int64_t> IdsOf(const std::vector<Record>& records) {
  std::vector<int64_t> ids;
  for (const Record& record : records) ids.push_back(record.id);
  return ids;
}

TEST_P(UserDataTest, ExportHoldsEverythingOfTheUserAndNothingOfAnother) {
  const Made alice = Populate("alice", "zeppelin");
  const Made bob = Populate("bob", "submarine");
  // Alice's word on Bob's conversation is hers too; Bob's word on hers goes with her conversation.
  FeedbackEvent remark;
  remark.conversation_id = bob.conversations[0];
  remark.user_id = alice.user.id;
  remark.kind = "comment";
  remark.comment = "nice chat, bob";
  ASSERT_OK_AND_ASSIGN(FeedbackEvent elsewhere, store_->feedback().Record(remark));

  ASSERT_OK_AND_ASSIGN(UserArchive archive, store_->user_data().Export(alice.user.id));
  EXPECT_EQ(archive.user.external_id, "alice");
  ASSERT_EQ(archive.conversations.size(), 2u);
  std::vector<int64_t> conversations, messages, memories, feedback, tool_calls;
  for (const ConversationArchive& entry : archive.conversations) {
    EXPECT_EQ(entry.conversation.user_id, alice.user.id);
    EXPECT_EQ(entry.character_name, "Juno");
    conversations.push_back(entry.conversation.id);
    for (const Message& message : entry.messages) {
      EXPECT_EQ(message.conversation_id, entry.conversation.id);
      EXPECT_NE(message.content.find("zeppelin"), std::string::npos) << message.content;
      messages.push_back(message.id);
    }
    Append(memories, IdsOf(entry.memories));
    Append(feedback, IdsOf(entry.feedback));
    Append(tool_calls, IdsOf(entry.tool_calls));
  }
  EXPECT_EQ(conversations, alice.conversations);
  EXPECT_EQ(messages, alice.messages);  // oldest first within each conversation, conversations oldest first
  EXPECT_EQ(memories, alice.memories);
  EXPECT_EQ(feedback, alice.feedback);
  EXPECT_EQ(tool_calls, alice.tool_calls);
  EXPECT_EQ(json::parse(archive.conversations[0].tool_calls[0].arguments_json), json({{"order", "***"}}));
  EXPECT_EQ(IdsOf(archive.feedback_elsewhere), std::vector<int64_t>{elsewhere.id});
  ASSERT_EQ(archive.api_keys.size(), 1u);
  EXPECT_EQ(archive.api_keys[0].id, alice.key.id);
  EXPECT_EQ(archive.api_keys[0].prefix, "alicekey");
  EXPECT_EQ(archive.api_keys[0].secret_hash, "");  // a credential, not the user's data
  EXPECT_EQ(json::parse(archive.profile_json), json({{"city", "zeppelin"}}));
  ASSERT_EQ(archive.campaign_messages.size(), 1u);
  EXPECT_EQ(archive.campaign_messages[0].id, alice.campaign_message);
  EXPECT_EQ(archive.campaign_messages[0].text, "zeppelin offer");

  // Bob's export: his own, with Alice's remark on his conversation among its feedback.
  ASSERT_OK_AND_ASSIGN(UserArchive bobs, store_->user_data().Export(bob.user.id));
  ASSERT_EQ(bobs.conversations.size(), 2u);
  EXPECT_EQ(bobs.conversations[0].feedback.size(), 2u);
  EXPECT_TRUE(bobs.feedback_elsewhere.empty());

  Result<UserArchive> unknown = store_->user_data().Export(999999);
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().field(), "user_id");
}

TEST_P(UserDataTest, DeleteRemovesEverythingOfTheUserAndNothingOfAnother) {
  const Made alice = Populate("alice", "zeppelin");
  // A running summary of Alice's first conversation: asked to stop, not pulled from under its worker.
  const int64_t running_alice = Enqueue("chat.summarize", json{{"conversation_id", alice.conversations[0]}}, 10);
  ASSERT_OK_AND_ASSIGN(std::optional<Job> claimed, store_->jobs().Claim("worker-1", {}));
  ASSERT_TRUE(claimed.has_value());
  ASSERT_EQ(claimed->id, running_alice);
  const Made bob = Populate("bob", "submarine");
  FeedbackEvent remark;
  remark.conversation_id = bob.conversations[0];
  remark.user_id = alice.user.id;
  remark.kind = "comment";
  remark.comment = "nice chat, bob";
  ASSERT_OK(store_->feedback().Record(remark).status());
  const int64_t unrelated = Enqueue("chat.summarize", json{{"conversation_id", bob.conversations[1]}});
  ASSERT_OK_AND_ASSIGN(UserArchive bob_before, store_->user_data().Export(bob.user.id));

  ASSERT_OK_AND_ASSIGN(DeletionReport report, store_->user_data().DeleteUser(alice.user.id));
  EXPECT_EQ(report.user_id, alice.user.id);
  EXPECT_EQ(report.conversations, 2);
  EXPECT_EQ(report.messages, 10);
  EXPECT_EQ(report.memories, 4);
  EXPECT_EQ(report.feedback_events, 3);  // two ratings in her conversations, her remark on Bob's
  EXPECT_EQ(report.tool_calls, 2);
  EXPECT_EQ(report.api_keys, 1);
  EXPECT_EQ(report.profiles, 1);
  EXPECT_EQ(report.campaign_messages, 1);
  EXPECT_EQ(report.jobs, 2);
  EXPECT_EQ(report.jobs_cancelled, 1);

  EXPECT_EQ(store_->users().Get(alice.user.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->users().GetByExternalId("alice").status().code(), StatusCode::kNotFound);
  for (int64_t id : alice.conversations) {
    EXPECT_EQ(store_->conversations().Get(id).status().code(), StatusCode::kNotFound);
    ASSERT_OK_AND_ASSIGN(Page<ToolCallRecord> calls, store_->tool_calls().ListForConversation(id, {}));
    EXPECT_TRUE(calls.items.empty());
    ASSERT_OK_AND_ASSIGN(Page<FeedbackEvent> events, store_->feedback().ListForConversation(id, {}));
    EXPECT_TRUE(events.items.empty());
  }
  for (int64_t id : alice.messages) EXPECT_EQ(store_->messages().Get(id).status().code(), StatusCode::kNotFound);
  for (int64_t id : alice.memories) EXPECT_EQ(store_->memories().Get(id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->api_keys().GetByPrefix("alicekey").status().code(), StatusCode::kNotFound);
  for (int64_t id : alice.jobs) EXPECT_EQ(store_->jobs().Get(id).status().code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(Job running, store_->jobs().Get(running_alice));
  EXPECT_EQ(running.status, JobStatus::kRunning);
  EXPECT_TRUE(running.cancel_requested);

  // Bob keeps everything but Alice's remark.
  ASSERT_OK_AND_ASSIGN(UserArchive bob_after, store_->user_data().Export(bob.user.id));
  ASSERT_EQ(bob_after.conversations.size(), 2u);
  for (size_t c = 0; c < 2; ++c) {
    const ConversationArchive& before = bob_before.conversations[c];
    const ConversationArchive& after = bob_after.conversations[c];
    EXPECT_EQ(IdsOf(after.messages), IdsOf(before.messages));
    EXPECT_EQ(IdsOf(after.memories), IdsOf(before.memories));
    EXPECT_EQ(IdsOf(after.tool_calls), IdsOf(before.tool_calls));
    EXPECT_EQ(after.feedback.size(), before.feedback.size() - (c == 0 ? 1 : 0));
  }
  EXPECT_EQ(IdsOf(bob_after.api_keys), std::vector<int64_t>{bob.key.id});
  EXPECT_EQ(json::parse(bob_after.profile_json), json({{"city", "submarine"}}));
  EXPECT_EQ(IdsOf(bob_after.campaign_messages), std::vector<int64_t>{bob.campaign_message});
  EXPECT_EQ(store_->customers().GetProfile(alice.user.id).status().code(), StatusCode::kNotFound);
  for (int64_t id : bob.jobs) EXPECT_OK(store_->jobs().Get(id).status());
  EXPECT_OK(store_->jobs().Get(unrelated).status());

  Result<DeletionReport> again = store_->user_data().DeleteUser(alice.user.id);
  EXPECT_EQ(again.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(again.status().field(), "user_id");
}

TEST_P(UserDataTest, DeletedMessagesLeaveTheSearchIndex) {
  const Made alice = Populate("alice", "zeppelin");
  const Made bob = Populate("bob", "submarine");
  ASSERT_EQ(Find(alice.conversations[0], "zeppelin").size(), 5u);
  ASSERT_OK(store_->user_data().DeleteUser(alice.user.id).status());

  for (int64_t id : alice.conversations) {
    EXPECT_EQ(Find(id, "zeppelin"), std::vector<int64_t>{});
    ASSERT_OK_AND_ASSIGN(std::vector<Memory> memories, store_->memories().Search(id, "zeppelin tea", 50));
    EXPECT_TRUE(memories.empty());
  }
  // Enough appends after the deletion that the batched index catches up past her late messages.
  for (int i = 0; i < repo::MessageIndex::kBatch + 1; ++i) Say(bob.conversations[1], "submarine again");
  EXPECT_EQ(Find(bob.conversations[0], "submarine").size(), 5u);
  EXPECT_EQ(Find(bob.conversations[1], "submarine").size(), 5u + repo::MessageIndex::kBatch + 1);

  if (GetParam() != Backend::kSqlite) return;  // PostgreSQL's tsvector is a column of the row itself
  // No posting of hers is left in the index itself, and SQLite's check of the index passes.
  int rows = 0;
  EXPECT_EQ(ExecSqlite("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'zeppelin'", &rows), "");
  EXPECT_EQ(rows, 0);
  EXPECT_EQ(ExecSqlite("SELECT rowid FROM memories_fts WHERE memories_fts MATCH 'zeppelin'", &rows), "");
  EXPECT_EQ(rows, 0);
  EXPECT_EQ(ExecSqlite("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'submarine'", &rows), "");
  EXPECT_EQ(rows, 10 + repo::MessageIndex::kBatch + 1);
  EXPECT_EQ(ExecSqlite("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"), "");
  EXPECT_EQ(ExecSqlite("INSERT INTO memories_fts (memories_fts, rank) VALUES ('integrity-check', 1)"), "");
}

INSTANTIATE_TEST_SUITE_P(Backends, UserDataTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::store::testing
