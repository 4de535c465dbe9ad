// Memories (pinned notes, summaries, facts) and the conversation-level additions that came with
// them: branches carry memories over, and conversations list across users. Both backends.
#include "store/migrator.h"
#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

Memory NewMemory(int64_t conversation_id, MemoryKind kind, std::string content,
                 std::optional<int64_t> covers = std::nullopt) {
  Memory memory;
  memory.conversation_id = conversation_id;
  memory.kind = kind;
  memory.content = std::move(content);
  memory.covers_until_message_id = covers;
  return memory;
}

class MemoryTest : public StoreTest {
 protected:
  Message Say(int64_t conversation_id, const std::string& content) {
    Message message;
    message.conversation_id = conversation_id;
    message.content = content;
    Result<Message> appended = store_->messages().Append(message);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended.ok() ? *appended : Message{};
  }
};

TEST_P(MemoryTest, CreateGetListUpdateDelete) {
  const Conversation conversation = MakeConversation(MakeUser().id, MakeCharacter().id);
  const Message first = Say(conversation.id, "I live in Lisbon");
  const Message second = Say(conversation.id, "My sister is called Ines");

  clock_.Advance(10);
  ASSERT_OK_AND_ASSIGN(Memory pinned,
                       store_->memories().Create(NewMemory(conversation.id, MemoryKind::kPinned, "Call me Ada")));
  EXPECT_GT(pinned.id, 0);
  EXPECT_EQ(pinned.created_at, clock_.NowMillis());
  EXPECT_EQ(pinned.updated_at, clock_.NowMillis());
  ASSERT_OK_AND_ASSIGN(Memory summary, store_->memories().Create(NewMemory(
                                           conversation.id, MemoryKind::kSummary, "Ada lives in Lisbon.", first.id)));
  ASSERT_OK_AND_ASSIGN(Memory fact, store_->memories().Create(NewMemory(conversation.id, MemoryKind::kFact,
                                                                        "Ada's sister is Ines", second.id)));

  ASSERT_OK_AND_ASSIGN(Memory stored, store_->memories().Get(summary.id));
  EXPECT_EQ(stored.conversation_id, conversation.id);
  EXPECT_EQ(stored.kind, MemoryKind::kSummary);
  EXPECT_EQ(stored.content, "Ada lives in Lisbon.");
  EXPECT_EQ(stored.covers_until_message_id, first.id);
  ASSERT_OK_AND_ASSIGN(stored, store_->memories().Get(pinned.id));
  EXPECT_FALSE(stored.covers_until_message_id.has_value());
  EXPECT_EQ(store_->memories().Get(9999).status().code(), StatusCode::kNotFound);

  ASSERT_OK_AND_ASSIGN(std::vector<Memory> all, store_->memories().ListForConversation(conversation.id));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, pinned.id);
  EXPECT_EQ(all[1].id, summary.id);
  EXPECT_EQ(all[2].id, fact.id);
  ASSERT_OK_AND_ASSIGN(std::vector<Memory> facts,
                       store_->memories().ListForConversation(conversation.id, MemoryKind::kFact));
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].content, "Ada's sister is Ines");
  ASSERT_OK_AND_ASSIGN(std::vector<Memory> none, store_->memories().ListForConversation(9999));
  EXPECT_TRUE(none.empty());

  // Update writes content and coverage; the kind and conversation the caller sends are ignored.
  clock_.Advance(10);
  Memory edit = summary;
  edit.content = "Ada lives in Lisbon; her sister is Ines.";
  edit.covers_until_message_id = second.id;
  edit.kind = MemoryKind::kPinned;
  edit.conversation_id = 9999;
  ASSERT_OK_AND_ASSIGN(Memory updated, store_->memories().Update(edit));
  EXPECT_EQ(updated.kind, MemoryKind::kSummary);
  EXPECT_EQ(updated.conversation_id, conversation.id);
  EXPECT_EQ(updated.covers_until_message_id, second.id);
  EXPECT_EQ(updated.updated_at, clock_.NowMillis());
  EXPECT_EQ(updated.created_at, summary.created_at);
  ASSERT_OK_AND_ASSIGN(stored, store_->memories().Get(summary.id));
  EXPECT_EQ(stored.content, "Ada lives in Lisbon; her sister is Ines.");
  EXPECT_EQ(stored.covers_until_message_id, second.id);

  Memory pinned_edit = pinned;
  pinned_edit.content = "Call me Ada, never Adaline";
  ASSERT_OK_AND_ASSIGN(updated, store_->memories().Update(pinned_edit));
  EXPECT_EQ(updated.content, "Call me Ada, never Adaline");
  pinned_edit.covers_until_message_id = first.id;
  EXPECT_EQ(store_->memories().Update(pinned_edit).status().field(), "covers_until_message_id");
  pinned_edit.covers_until_message_id.reset();
  pinned_edit.content = " \n ";
  EXPECT_EQ(store_->memories().Update(pinned_edit).status().field(), "content");
  pinned_edit.id = 9999;
  pinned_edit.content = "x";
  EXPECT_EQ(store_->memories().Update(pinned_edit).status().code(), StatusCode::kNotFound);

  ASSERT_OK(store_->memories().Delete(fact.id));
  EXPECT_EQ(store_->memories().Get(fact.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->memories().Delete(fact.id).code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(all, store_->memories().ListForConversation(conversation.id));
  EXPECT_EQ(all.size(), 2u);
}

TEST_P(MemoryTest, CreateNamesTheFieldItRefuses) {
  const Conversation conversation = MakeConversation(MakeUser().id, MakeCharacter().id);
  const Conversation other = MakeConversation(MakeUser("user-2").id, MakeCharacter("B").id);
  const Message elsewhere = Say(other.id, "not here");

  Status status = store_->memories().Create(NewMemory(9999, MemoryKind::kPinned, "x")).status();
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.field(), "conversation_id");

  status = store_->memories().Create(NewMemory(conversation.id, static_cast<MemoryKind>(7), "x")).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.field(), "kind");

  for (const std::string& content : {std::string(), std::string(" \t\r\n"),
                                     std::string(MemoryRepository::kMaxMemoryBytes + 1, 'a')}) {
    status = store_->memories().Create(NewMemory(conversation.id, MemoryKind::kPinned, content)).status();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << content.size();
    EXPECT_EQ(status.field(), "content");
  }
  EXPECT_OK(store_->memories()
                .Create(NewMemory(conversation.id, MemoryKind::kPinned,
                                  std::string(MemoryRepository::kMaxMemoryBytes, 'a')))
                .status());

  status = store_->memories().Create(NewMemory(conversation.id, MemoryKind::kPinned, "x", elsewhere.id)).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.field(), "covers_until_message_id");
  // A summary can only cover a message of its own conversation.
  status = store_->memories().Create(NewMemory(conversation.id, MemoryKind::kSummary, "x", elsewhere.id)).status();
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.field(), "covers_until_message_id");
  status = store_->memories().Create(NewMemory(conversation.id, MemoryKind::kFact, "x", 9999)).status();
  EXPECT_EQ(status.field(), "covers_until_message_id");

  ASSERT_OK_AND_ASSIGN(std::vector<Memory> all, store_->memories().ListForConversation(conversation.id));
  EXPECT_EQ(all.size(), 1u);  // only the one of exactly the maximum size
}

TEST_P(MemoryTest, LatestSummaryIsTheOneCoveringTheMostHistory) {
  const Conversation conversation = MakeConversation(MakeUser().id, MakeCharacter().id);
  EXPECT_EQ(store_->memories().LatestSummary(conversation.id).status().code(), StatusCode::kNotFound);
  ASSERT_OK(store_->memories().Create(NewMemory(conversation.id, MemoryKind::kPinned, "pinned")).status());
  EXPECT_EQ(store_->memories().LatestSummary(conversation.id).status().code(), StatusCode::kNotFound);

  const Message first = Say(conversation.id, "one");
  const Message second = Say(conversation.id, "two");
  ASSERT_OK_AND_ASSIGN(Memory by_hand,
                       store_->memories().Create(NewMemory(conversation.id, MemoryKind::kSummary, "by hand")));
  ASSERT_OK_AND_ASSIGN(Memory latest, store_->memories().LatestSummary(conversation.id));
  EXPECT_EQ(latest.id, by_hand.id);
  ASSERT_OK_AND_ASSIGN(Memory longer, store_->memories().Create(NewMemory(conversation.id, MemoryKind::kSummary,
                                                                          "up to two", second.id)));
  ASSERT_OK(store_->memories()
                .Create(NewMemory(conversation.id, MemoryKind::kSummary, "up to one, written later", first.id))
                .status());
  ASSERT_OK_AND_ASSIGN(latest, store_->memories().LatestSummary(conversation.id));
  EXPECT_EQ(latest.id, longer.id);
  ASSERT_OK_AND_ASSIGN(Memory rewritten, store_->memories().Create(NewMemory(
                                             conversation.id, MemoryKind::kSummary, "up to two, again", second.id)));
  ASSERT_OK_AND_ASSIGN(latest, store_->memories().LatestSummary(conversation.id));
  EXPECT_EQ(latest.id, rewritten.id);
}

TEST_P(MemoryTest, ForPromptReadsThePinnedNotesAndTheLatestSummaryTogether) {
  const Conversation conversation = MakeConversation(MakeUser().id, MakeCharacter().id);
  const Conversation other = MakeConversation(MakeUser("user-2").id, MakeCharacter("B").id);
  ASSERT_OK_AND_ASSIGN(PromptMemories empty, store_->memories().ForPrompt(conversation.id));
  EXPECT_TRUE(empty.pinned.empty());
  EXPECT_FALSE(empty.summary.has_value());

  const Message first = Say(conversation.id, "one");
  const Message second = Say(conversation.id, "two");
  ASSERT_OK_AND_ASSIGN(Memory pinned_a, store_->memories().Create(NewMemory(conversation.id, MemoryKind::kPinned, "a")));
  ASSERT_OK(store_->memories().Create(NewMemory(conversation.id, MemoryKind::kSummary, "up to two", second.id)).status());
  ASSERT_OK(store_->memories().Create(NewMemory(conversation.id, MemoryKind::kFact, "a fact")).status());
  ASSERT_OK(store_->memories().Create(NewMemory(conversation.id, MemoryKind::kSummary, "up to one", first.id)).status());
  ASSERT_OK_AND_ASSIGN(Memory pinned_b, store_->memories().Create(NewMemory(conversation.id, MemoryKind::kPinned, "b")));
  ASSERT_OK(store_->memories().Create(NewMemory(other.id, MemoryKind::kPinned, "elsewhere")).status());

  ASSERT_OK_AND_ASSIGN(PromptMemories memories, store_->memories().ForPrompt(conversation.id));
  ASSERT_EQ(memories.pinned.size(), 2u);
  EXPECT_EQ(memories.pinned[0].id, pinned_a.id);
  EXPECT_EQ(memories.pinned[1].id, pinned_b.id);
  ASSERT_TRUE(memories.summary.has_value());
  ASSERT_OK_AND_ASSIGN(Memory latest, store_->memories().LatestSummary(conversation.id));
  EXPECT_EQ(memories.summary->id, latest.id);
  EXPECT_EQ(memories.summary->content, "up to two");
}

// The store has no call that deletes a conversation yet; a one-off migration is how plain SQL
// reaches both backends through the public interface. On SQLite it also checks that the
// full-text indexes still agree with their tables after the cascade.
TEST_P(MemoryTest, DeletingAConversationTakesItsMemoriesAndIndexEntries) {
  const Conversation doomed = MakeConversation(MakeUser().id, MakeCharacter().id);
  const Conversation kept = MakeConversation(MakeUser("user-2").id, MakeCharacter("B").id);
  const Message covered = Say(doomed.id, "the lighthouse keeper");
  Say(kept.id, "the lighthouse keeper");
  ASSERT_OK_AND_ASSIGN(Memory gone, store_->memories().Create(NewMemory(doomed.id, MemoryKind::kSummary,
                                                                        "about the lighthouse", covered.id)));
  ASSERT_OK_AND_ASSIGN(Memory stays,
                       store_->memories().Create(NewMemory(kept.id, MemoryKind::kPinned, "about the lighthouse")));

  std::string sql = "DELETE FROM conversations WHERE id = " + std::to_string(doomed.id) + ";";
  if (GetParam() == Backend::kSqlite) {
    sql += "INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check');"
           "INSERT INTO memories_fts (memories_fts) VALUES ('integrity-check');";
  }
  std::vector<Migration> migrations = BuiltInMigrations(BackendName(GetParam()));
  migrations.push_back({999, "delete_conversation", sql});
  ASSERT_OK_AND_ASSIGN(auto operator_store, OpenAgain(migrations));
  ASSERT_OK(operator_store->Migrate().status());

  EXPECT_EQ(store_->memories().Get(gone.id).status().code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(std::vector<Memory> left, store_->memories().ListForConversation(doomed.id));
  EXPECT_TRUE(left.empty());
  EXPECT_OK(store_->memories().Get(stays.id).status());
  ASSERT_OK_AND_ASSIGN(std::vector<Memory> found, store_->memories().Search(kept.id, "lighthouse", 10));
  ASSERT_EQ(found.size(), 1u);
  ASSERT_OK_AND_ASSIGN(std::vector<Message> messages, store_->messages().Search(kept.id, "lighthouse", 10));
  EXPECT_EQ(messages.size(), 1u);
}

TEST_P(MemoryTest, BranchCarriesOverTheMemoriesThatStillHold) {
  const Conversation source = MakeConversation(MakeUser().id, MakeCharacter().id);
  std::vector<Message> said;
  for (int i = 0; i < 4; ++i) said.push_back(Say(source.id, "message " + std::to_string(i)));
  auto create = [&](MemoryKind kind, const std::string& content, std::optional<int64_t> covers = std::nullopt) {
    Result<Memory> created = store_->memories().Create(NewMemory(source.id, kind, content, covers));
    EXPECT_TRUE(created.ok()) << created.status().ToString();
  };
  create(MemoryKind::kPinned, "pinned");
  create(MemoryKind::kSummary, "summary to 1", said[1].id);
  create(MemoryKind::kSummary, "summary to 3", said[3].id);
  create(MemoryKind::kFact, "fact from 2", said[2].id);
  create(MemoryKind::kFact, "fact from 3", said[3].id);
  create(MemoryKind::kFact, "fact by hand");

  clock_.Advance(1000);
  ASSERT_OK_AND_ASSIGN(Conversation branch, store_->conversations().Branch(source.id, said[2].id));
  ASSERT_OK_AND_ASSIGN(std::vector<Memory> carried, store_->memories().ListForConversation(branch.id));
  ASSERT_OK_AND_ASSIGN(std::vector<Message> copies, store_->messages().Latest(branch.id, 10));
  ASSERT_EQ(copies.size(), 3u);
  std::vector<std::string> contents;
  for (const Memory& memory : carried) {
    contents.push_back(memory.content);
    EXPECT_EQ(memory.conversation_id, branch.id);
    EXPECT_EQ(memory.created_at, clock_.NowMillis());
  }
  EXPECT_EQ(contents, (std::vector<std::string>{"pinned", "summary to 1", "fact from 2", "fact by hand"}));
  EXPECT_EQ(carried[0].kind, MemoryKind::kPinned);
  EXPECT_FALSE(carried[0].covers_until_message_id.has_value());
  EXPECT_EQ(carried[1].covers_until_message_id, copies[1].id);
  EXPECT_EQ(carried[2].covers_until_message_id, copies[2].id);
  EXPECT_FALSE(carried[3].covers_until_message_id.has_value());
  ASSERT_OK_AND_ASSIGN(Memory summary, store_->memories().LatestSummary(branch.id));
  EXPECT_EQ(summary.content, "summary to 1");

  // The copies are searchable in the branch, and the source keeps all of its own.
  ASSERT_OK_AND_ASSIGN(std::vector<Message> found, store_->messages().Search(branch.id, "message", 10));
  EXPECT_EQ(found.size(), 3u);
  ASSERT_OK_AND_ASSIGN(std::vector<Memory> original, store_->memories().ListForConversation(source.id));
  EXPECT_EQ(original.size(), 6u);
}

TEST_P(MemoryTest, ConversationsListAcrossUsersWithFilters) {
  const User ada = MakeUser("ada");
  const User bob = MakeUser("bob");
  const Character seraphina = MakeCharacter("Seraphina");
  const Character juno = MakeCharacter("Juno");
  std::vector<Conversation> made;
  for (int i = 0; i < 6; ++i) {
    made.push_back(MakeConversation(i % 2 == 0 ? ada.id : bob.id, i < 3 ? seraphina.id : juno.id));
    clock_.Advance(100);
  }
  ASSERT_OK(store_->conversations().SetStatus(made[1].id, ConversationStatus::kHandedOff));
  ASSERT_OK(store_->conversations().SetStatus(made[4].id, ConversationStatus::kHandedOff));
  Say(made[0].id, "back again");  // the newest activity now

  auto ids = [&](std::optional<ConversationStatus> status, std::optional<int64_t> character_id,
                 std::optional<int64_t> user_id) {
    ConversationQuery query;
    query.status = status;
    query.character_id = character_id;
    query.user_id = user_id;
    query.page.limit = 2;
    std::vector<int64_t> listed;
    do {
      Result<Page<Conversation>> page = store_->conversations().List(query);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (const Conversation& c : page->items) listed.push_back(c.id);
      query.page.cursor = page->next_cursor;
    } while (!query.page.cursor.empty());
    return listed;
  };
  const auto any = std::nullopt;
  EXPECT_EQ(ids(any, any, any), (std::vector<int64_t>{made[0].id, made[5].id, made[4].id, made[3].id, made[2].id,
                                                      made[1].id}));
  EXPECT_EQ(ids(ConversationStatus::kHandedOff, any, any), (std::vector<int64_t>{made[4].id, made[1].id}));
  EXPECT_EQ(ids(any, juno.id, any), (std::vector<int64_t>{made[5].id, made[4].id, made[3].id}));
  EXPECT_EQ(ids(ConversationStatus::kActive, seraphina.id, any), (std::vector<int64_t>{made[0].id, made[2].id}));
  EXPECT_EQ(ids(any, any, bob.id), (std::vector<int64_t>{made[5].id, made[3].id, made[1].id}));
  EXPECT_EQ(ids(ConversationStatus::kActive, juno.id, bob.id), (std::vector<int64_t>{made[5].id, made[3].id}));
  EXPECT_EQ(ids(ConversationStatus::kClosed, any, any), std::vector<int64_t>{});
  ConversationQuery bad;
  bad.page.cursor = "nonsense";
  EXPECT_EQ(store_->conversations().List(bad).status().field(), "cursor");
}

INSTANTIATE_TEST_SUITE_P(Backends, MemoryTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::store::testing
