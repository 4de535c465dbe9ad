// Full-text search over messages and memories, on both backends: stemming, ranking, the bounds
// (before a message, a limit, one conversation), hostile query text, and migration 0002 indexing
// messages written before it.
#include <sqlite3.h>

#include <algorithm>

#include "store/migrator.h"
#include "store/repo/message_index.h"
#include "store/search_terms.h"
#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

class SearchTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    conversation_ = MakeConversation(MakeUser().id, MakeCharacter().id);
    other_ = MakeConversation(MakeUser("user-2").id, MakeCharacter("B").id);
  }

  int64_t Say(int64_t conversation_id, const std::string& content) {
    Message message;
    message.conversation_id = conversation_id;
    message.content = content;
    Result<Message> appended = store_->messages().Append(message);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended.ok() ? appended->id : 0;
  }

  // The ids found, best first; a failed search fails the test.
  std::vector<int64_t> Find(std::string_view text, int limit = 50, std::optional<int64_t> before = std::nullopt,
                            int64_t conversation_id = 0) {
    Result<std::vector<Message>> found =
        store_->messages().Search(conversation_id != 0 ? conversation_id : conversation_.id, text, limit, before);
    EXPECT_TRUE(found.ok()) << "searching " << text << ": " << found.status().ToString();
    std::vector<int64_t> ids;
    if (!found.ok()) return ids;
    for (const Message& message : *found) ids.push_back(message.id);
    return ids;
  }

  static std::vector<int64_t> Sorted(std::vector<int64_t> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  Conversation conversation_;
  Conversation other_;
};

TEST(SqliteLibraryTest, HasFts5) {
  // Debian bookworm's libsqlite3 is built with FTS5; migration 0002 depends on it.
  EXPECT_EQ(sqlite3_compileoption_used("ENABLE_FTS5"), 1);
}

TEST_P(SearchTest, MatchesWordsByStemAnyWordCounts) {
  const int64_t running = Say(conversation_.id, "I love running along the river at dawn");
  const int64_t runs = Say(conversation_.id, "My cat RUNS away whenever the vacuum starts");
  const int64_t pizza = Say(conversation_.id, "Pizza on Friday with my brother");
  Say(other_.id, "running in another conversation");

  EXPECT_EQ(Sorted(Find("runs")), Sorted({running, runs}));
  EXPECT_EQ(Sorted(Find("Running")), Sorted({running, runs}));
  EXPECT_EQ(Sorted(Find("rivers and pizzas")), Sorted({running, pizza}));
  EXPECT_EQ(Find("brothers"), std::vector<int64_t>{pizza});
  EXPECT_EQ(Find("submarine"), std::vector<int64_t>{});
  // Only stop words, too-short words or nothing at all: nothing to look for.
  EXPECT_EQ(Find("what is the"), std::vector<int64_t>{});
  EXPECT_EQ(Find("a I"), std::vector<int64_t>{});
  EXPECT_EQ(Find(""), std::vector<int64_t>{});
  EXPECT_EQ(Find("river", 0), std::vector<int64_t>{});
  EXPECT_EQ(Find("river", -3), std::vector<int64_t>{});
}

TEST_P(SearchTest, BetterMatchesComeFirst) {
  const int64_t one_word = Say(conversation_.id, "We talked about the garden");
  const int64_t both_words = Say(conversation_.id, "My grandmother's garden had roses and a garden shed");
  const int64_t other_word = Say(conversation_.id, "Roses are my favourite");
  Say(conversation_.id, "Nothing relevant here at all");
  const std::vector<int64_t> found = Find("grandmother garden");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0], both_words);
  EXPECT_EQ(found[1], one_word);
  const std::vector<int64_t> roses = Find("garden roses");
  ASSERT_EQ(roses.size(), 3u);
  EXPECT_EQ(roses[0], both_words);
  EXPECT_EQ(Sorted({roses[1], roses[2]}), Sorted({one_word, other_word}));
}

TEST_P(SearchTest, HonoursBeforeLimitAndConversation) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(Say(conversation_.id, "the dragon number " + std::to_string(i)));
  const int64_t elsewhere = Say(other_.id, "the dragon elsewhere");

  EXPECT_EQ(Find("dragon").size(), 6u);
  // Equal scores: newest first.
  EXPECT_EQ(Find("dragon", 2), (std::vector<int64_t>{ids[5], ids[4]}));
  EXPECT_EQ(Find("dragon", 50, ids[3]), (std::vector<int64_t>{ids[2], ids[1], ids[0]}));
  EXPECT_EQ(Find("dragon", 1, ids[3]), (std::vector<int64_t>{ids[2]}));
  EXPECT_EQ(Find("dragon", 50, ids[0]), std::vector<int64_t>{});
  EXPECT_EQ(Find("dragon", 50, std::nullopt, other_.id), std::vector<int64_t>{elsewhere});
  EXPECT_EQ(Find("dragon", 50, std::nullopt, 9999), std::vector<int64_t>{});
}

TEST_P(SearchTest, FollowsEditedMessages) {
  const int64_t id = Say(conversation_.id, "my favourite colour is purple");
  EXPECT_EQ(Find("purple"), std::vector<int64_t>{id});
  MessagePatch patch;
  patch.content = "my favourite colour is green";
  ASSERT_OK(store_->messages().Patch(id, patch).status());
  EXPECT_EQ(Find("purple"), std::vector<int64_t>{});
  EXPECT_EQ(Find("green"), std::vector<int64_t>{id});
  // A patch that leaves the text alone leaves the index alone.
  MessagePatch metadata;
  metadata.metadata_json = R"({"swipes":["a","b"],"swipe":1})";
  ASSERT_OK(store_->messages().Patch(id, metadata).status());
  EXPECT_EQ(Find("green"), std::vector<int64_t>{id});
}

TEST_P(SearchTest, CaseAndAccents) {
  const int64_t cafe = Say(conversation_.id, "Meet me at the Café Noir, then the crème brûlée");
  const int64_t greek = Say(conversation_.id, "Σωκράτης was a philosopher");
  EXPECT_EQ(Find("café"), std::vector<int64_t>{cafe});
  EXPECT_EQ(Find("PHILOSOPHERS"), std::vector<int64_t>{greek});
  EXPECT_EQ(Find("Σωκράτης"), std::vector<int64_t>{greek});
  if (GetParam() == Backend::kSqlite) {
    // unicode61 folds the case of every script and removes diacritics. PostgreSQL keeps
    // diacritics ('english' has no unaccent) and folds non-ASCII case as the database's LC_CTYPE
    // says (the test cluster's is C: ASCII only).
    EXPECT_EQ(Find("CAFÉ"), std::vector<int64_t>{cafe});
    EXPECT_EQ(Find("σωκράτης"), std::vector<int64_t>{greek});
    EXPECT_EQ(Find("cafe creme"), std::vector<int64_t>{cafe});
  }
}

// Text that would be syntax in FTS5 or tsquery is only ever words: no error, no widening of the
// search beyond the conversation, and the real words in it still match.
TEST_P(SearchTest, HostileQueryTextIsOnlyEverWords) {
  const int64_t river = Say(conversation_.id, "the river near the old mill");
  const int64_t mill = Say(conversation_.id, "a mill wheel turning");
  Say(other_.id, "secret river in another conversation");
  Say(other_.id, "2");
  const std::string other_id = std::to_string(other_.id);
  const std::vector<std::string> hostile = {
      "\"",
      "\"\"",
      "\"river",
      "river\" OR \"*",
      "NEAR(river mill)",
      "NEAR(river mill, 0)",
      "river NEAR mill",
      "*",
      "riv*",
      "^river",
      "river AND mill",
      "river OR NOT mill",
      "NOT river",
      "AND OR NOT",
      "(",
      ")",
      "((river)",
      "content : river",
      "{content conversation_id} : river",
      "conversation_id : " + other_id,
      "conversation_id : \"" + other_id + "\" OR river",
      "- river",
      "-river +mill",
      "river:*",
      "'river' | 'mill'",
      "!river & mill",
      "river <-> mill",
      "river <2> mill",
      "'",
      "''",
      "\\",
      "river\\",
      "river\x01mill",
      std::string("river\0mill", 10),
      "\xff\xfe river \xc3",
      "\xe2\x80\x9criver\xe2\x80\x9d",  // typographic quotes
      "\xf0\x9f\x8c\x8a\xf0\x9f\x8c\x8a",  // emoji only
      "\xe6\xb2\xb3\xe6\xb5\x81",  // CJK
      "\xd7\xa0\xd7\x94\xd7\xa8 river",  // right-to-left script
      "e\xcc\x81 river",  // combining accent
      std::string(5000, '('),
      std::string(100, 'x') + " river",
      "OR",
      "NEAR",
      "MATCH",
      "; DROP TABLE messages; --",
      "river'); DELETE FROM messages; --",
  };
  for (const std::string& text : hostile) {
    Result<std::vector<Message>> found = store_->messages().Search(conversation_.id, text, 50);
    ASSERT_TRUE(found.ok()) << "searching [" << text << "]: " << found.status().ToString();
    for (const Message& message : *found) {
      EXPECT_EQ(message.conversation_id, conversation_.id) << "searching [" << text << "]";
    }
    Result<std::vector<Memory>> memories = store_->memories().Search(conversation_.id, text, 50);
    ASSERT_TRUE(memories.ok()) << "searching memories [" << text << "]: " << memories.status().ToString();
  }
  EXPECT_EQ(Find("river\" OR \"*"), std::vector<int64_t>{river});
  EXPECT_EQ(Sorted(Find("NEAR(river mill)")), Sorted({river, mill}));
  EXPECT_EQ(Find("river'); DELETE FROM messages; --"), std::vector<int64_t>{river});
  EXPECT_EQ(Find("\xe2\x80\x9criver\xe2\x80\x9d"), std::vector<int64_t>{river});
  EXPECT_EQ(Find("conversation_id : \"" + other_id + "\""), std::vector<int64_t>{});
  // "near" is an ordinary word, not FTS5's operator.
  EXPECT_EQ(Find("NEAR"), std::vector<int64_t>{river});
  EXPECT_EQ(Find("riv*"), std::vector<int64_t>{});  // no prefix queries
  // Nothing was changed by any of it.
  ASSERT_OK_AND_ASSIGN(Page<Message> everything, store_->messages().List(conversation_.id, {"", 50}));
  EXPECT_EQ(everything.items.size(), 2u);
}

TEST_P(SearchTest, MemoriesAreSearchableToo) {
  auto remember = [&](int64_t conversation_id, MemoryKind kind, const std::string& content) {
    Memory memory;
    memory.conversation_id = conversation_id;
    memory.kind = kind;
    memory.content = content;
    Result<Memory> created = store_->memories().Create(memory);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? created->id : 0;
  };
  const int64_t allergy = remember(conversation_.id, MemoryKind::kFact, "Ada is allergic to peanuts");
  const int64_t pet = remember(conversation_.id, MemoryKind::kFact, "Ada has a dog named Biscuit, who loves peanuts");
  remember(conversation_.id, MemoryKind::kPinned, "Always answer in English");
  remember(other_.id, MemoryKind::kFact, "Bob is allergic to cats");

  ASSERT_OK_AND_ASSIGN(std::vector<Memory> found, store_->memories().Search(conversation_.id, "allergic reactions?", 10));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, allergy);
  ASSERT_OK_AND_ASSIGN(found, store_->memories().Search(conversation_.id, "dogs and peanut butter", 10));
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].id, pet);
  ASSERT_OK_AND_ASSIGN(found, store_->memories().Search(conversation_.id, "peanuts", 1));
  EXPECT_EQ(found.size(), 1u);

  Memory edit = found[0];
  ASSERT_OK_AND_ASSIGN(edit, store_->memories().Get(allergy));
  edit.content = "Ada is allergic to shellfish";
  ASSERT_OK(store_->memories().Update(edit).status());
  ASSERT_OK_AND_ASSIGN(found, store_->memories().Search(conversation_.id, "shellfish", 10));
  ASSERT_EQ(found.size(), 1u);
  ASSERT_OK(store_->memories().Delete(allergy));
  ASSERT_OK_AND_ASSIGN(found, store_->memories().Search(conversation_.id, "shellfish", 10));
  EXPECT_TRUE(found.empty());
}

// SQLite indexes messages in batches (migration 0003); a search still sees every message written
// before it, whether the batch it falls in was indexed or not, with `before` or without.
TEST_P(SearchTest, SeesEveryMessageWrittenBeforeIt) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 2 * repo::MessageIndex::kBatch + 3; ++i) ids.push_back(Say(conversation_.id, "lantern " + std::to_string(i)));
  EXPECT_EQ(Sorted(Find("lantern", 500)), ids);
  const int64_t more = Say(conversation_.id, "another lantern");
  EXPECT_EQ(Find("lantern", 500, more).size(), ids.size());
  const int64_t last = Say(conversation_.id, "the last lantern");
  EXPECT_EQ(Find("lantern", 500, last).size(), ids.size() + 1);
  EXPECT_EQ(Find("lantern", 500).size(), ids.size() + 2);
}

// Edits and deletions of messages the index holds, and of messages it does not hold yet, leave the
// index exactly as the table: the search finds the new words only, and SQLite's own integrity
// check of the index passes.
TEST_P(SearchTest, EditsAndDeletionsKeepTheIndexExact) {
  const int64_t indexed = Say(conversation_.id, "the walrus sings");
  ASSERT_EQ(Find("walrus"), std::vector<int64_t>{indexed});  // the search indexed it
  const int64_t pending = Say(conversation_.id, "the pelican dances");
  MessagePatch patch;
  patch.content = "the pelican sleeps";
  ASSERT_OK(store_->messages().Patch(pending, patch).status());
  patch.content = "the walrus hums";
  ASSERT_OK(store_->messages().Patch(indexed, patch).status());
  EXPECT_EQ(Find("dances"), std::vector<int64_t>{});
  EXPECT_EQ(Find("sleeps"), std::vector<int64_t>{pending});
  EXPECT_EQ(Find("sings"), std::vector<int64_t>{});
  EXPECT_EQ(Find("hums"), std::vector<int64_t>{indexed});

  if (GetParam() != Backend::kSqlite) return;
  // Messages deleted (no route deletes one yet; the trigger is there for when one does), one the
  // index holds and one it does not hold yet; then SQLite's own check that the index matches.
  const int64_t gone_indexed = Say(other_.id, "otters everywhere");
  ASSERT_EQ(Find("otters", 50, std::nullopt, other_.id).size(), 1u);
  const int64_t gone_pending = Say(other_.id, "more otters");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "troupe.db").c_str(), &db), SQLITE_OK);
  const auto exec = [&db](const std::string& statement) {
    char* error = nullptr;
    const int code = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    return code == SQLITE_OK ? std::string() : statement + ": " + message;
  };
  EXPECT_EQ(exec("PRAGMA foreign_keys = ON"), "");
  EXPECT_EQ(exec("DELETE FROM messages WHERE id IN (" + std::to_string(gone_indexed) + ", " +
                 std::to_string(gone_pending) + ")"),
            "");
  EXPECT_EQ(exec("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"), "");
  sqlite3_close(db);
  EXPECT_EQ(Find("otters", 50, std::nullopt, other_.id), std::vector<int64_t>{});
  EXPECT_EQ(Find("walrus"), std::vector<int64_t>{indexed});
  db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "troupe.db").c_str(), &db), SQLITE_OK);
  EXPECT_EQ(exec("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"), "");
  sqlite3_close(db);
}

// Another process's store on the same database: its messages, never indexed by it, are found.
TEST_P(SearchTest, FindsMessagesAnotherStoreWrote) {
  ASSERT_OK_AND_ASSIGN(auto other_process, OpenAgain(std::nullopt, url_));
  Message message;
  message.conversation_id = conversation_.id;
  message.content = "a message about kayaks";
  ASSERT_OK_AND_ASSIGN(Message written, other_process->messages().Append(message));
  EXPECT_EQ(Find("kayak"), std::vector<int64_t>{written.id});
}

// A database with history from before migration 0002: the migration indexes it.
TEST_P(SearchTest, MigrationIndexesExistingMessages) {
  const std::string url = NewDatabaseUrl(GetParam(), dir_, "before_0002.db");
  std::vector<Migration> first_only;
  for (Migration& migration : BuiltInMigrations(BackendName(GetParam()))) {
    if (migration.version == 1) first_only.push_back(std::move(migration));
  }
  ASSERT_EQ(first_only.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto old_build, OpenAgain(first_only, url));
  ASSERT_OK_AND_ASSIGN(std::vector<int> applied, old_build->Migrate());
  ASSERT_EQ(applied, std::vector<int>{1});
  User user;
  user.external_id = "veteran";
  ASSERT_OK_AND_ASSIGN(user, old_build->users().Create(user));
  Character character;
  character.name = "Old Friend";
  ASSERT_OK_AND_ASSIGN(character, old_build->characters().Create(character));
  Conversation conversation;
  conversation.user_id = user.id;
  conversation.character_id = character.id;
  ASSERT_OK_AND_ASSIGN(conversation, old_build->conversations().Create(conversation));
  std::vector<int64_t> old_ids;
  for (const std::string text : {"we sailed to the islands", "the islands were beautiful", "then we went home"}) {
    Message message;
    message.conversation_id = conversation.id;
    message.content = text;
    ASSERT_OK_AND_ASSIGN(Message appended, old_build->messages().Append(message));
    old_ids.push_back(appended.id);
  }
  old_build.reset();

  ASSERT_OK_AND_ASSIGN(auto new_build, OpenAgain(std::nullopt, url));
  ASSERT_OK_AND_ASSIGN(applied, new_build->Migrate());
  std::vector<int> after_first;  // 2 and 3 index the messages; later migrations come along
  for (const Migration& migration : BuiltInMigrations(BackendName(GetParam()))) {
    if (migration.version > 1) after_first.push_back(migration.version);
  }
  EXPECT_EQ(applied, after_first);
  ASSERT_OK(new_build->CheckSchema());
  ASSERT_OK_AND_ASSIGN(std::vector<Message> found, new_build->messages().Search(conversation.id, "island", 10));
  std::vector<int64_t> ids;
  for (const Message& message : found) ids.push_back(message.id);
  EXPECT_EQ(Sorted(ids), Sorted({old_ids[0], old_ids[1]}));
  // And messages written after it are found too.
  Message later;
  later.conversation_id = conversation.id;
  later.content = "more islands next year";
  ASSERT_OK(new_build->messages().Append(later).status());
  ASSERT_OK_AND_ASSIGN(found, new_build->messages().Search(conversation.id, "island", 10));
  EXPECT_EQ(found.size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Backends, SearchTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

// The words taken from untrusted text, without a database.
TEST(SearchTermsTest, KeepsContentWordsOnly) {
  EXPECT_EQ(SearchTerms("What did I say about my SISTER's wedding?"),
            (std::vector<std::string>{"say", "sister", "wedding"}));
  EXPECT_EQ(SearchTerms("river river RIVER"), std::vector<std::string>{"river"});
  EXPECT_EQ(SearchTerms("a b c 7 x"), std::vector<std::string>{});
  EXPECT_EQ(SearchTerms("NEAR(a* OR \"b\") AND NOT c:d"), (std::vector<std::string>{"near"}));
  EXPECT_EQ(SearchTerms("don't won't can't"), std::vector<std::string>{});
  EXPECT_EQ(SearchTerms("\xe2\x80\x9cquoted\xe2\x80\x9d \xf0\x9f\x98\x80smile"),
            (std::vector<std::string>{"quoted", "smile"}));
  EXPECT_EQ(SearchTerms("Caf\xc3\xa9 \xce\xa3\xcf\x89"), (std::vector<std::string>{"caf\xc3\xa9", "\xce\xa3\xcf\x89"}));
  EXPECT_EQ(SearchTerms("ok\xffgo \xc3"), (std::vector<std::string>{"go"}));  // invalid bytes separate words
  EXPECT_EQ(SearchTerms(std::string(kMaxSearchTermBytes + 1, 'z') + " fine"), std::vector<std::string>{"fine"});
  std::string many;
  for (int i = 0; i < 40; ++i) many += "word" + std::to_string(i) + " ";
  const std::vector<std::string> capped = SearchTerms(many);
  ASSERT_EQ(capped.size(), kMaxSearchTerms);
  EXPECT_EQ(capped.front(), "word0");
  EXPECT_EQ(capped.back(), "word" + std::to_string(kMaxSearchTerms - 1));
}

}  // namespace
}  // namespace troupe::store::testing
