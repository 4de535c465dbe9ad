// What one durable chat write costs: Store::Append (message + conversation counters in one
// transaction) against the same two statements issued through the raw SQLite C API, the floor
// any store on SQLite can reach. Also reading a page of history and one job's claim/complete.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "store/store.h"

namespace troupe::store {
namespace {

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "troupe-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

const char* SynchronousName(int64_t argument) { return argument == 0 ? "full" : "normal"; }

struct Fixture {
  ScratchDir dir;
  std::unique_ptr<Store> store;
  int64_t conversation_id = 0;

  explicit Fixture(const char* synchronous) {
    StoreOptions options;
    options.url = "sqlite://" + (dir.path() / "troupe.db").string();
    options.sqlite_synchronous = synchronous;
    Result<std::unique_ptr<Store>> opened = Store::Open(options);
    if (!opened.ok() || !(*opened)->Migrate().ok()) std::abort();
    store = std::move(opened).value();
    User user;
    user.external_id = "bench-user";
    Character character;
    character.name = "Bench";
    Conversation conversation;
    conversation.user_id = store->users().Create(user)->id;
    conversation.character_id = store->characters().Create(character)->id;
    conversation_id = store->conversations().Create(conversation)->id;
  }
};

Message ChatMessage(int64_t conversation_id) {
  Message message;
  message.conversation_id = conversation_id;
  message.role = MessageRole::kUser;
  message.content = "Good morning! Did you sleep well? I kept thinking about what you said yesterday.";
  return message;
}

void BM_StoreAppendMessage(benchmark::State& state) {
  Fixture fixture(SynchronousName(state.range(0)));
  for (auto _ : state) {
    Result<Message> appended = fixture.store->messages().Append(ChatMessage(fixture.conversation_id));
    if (!appended.ok()) state.SkipWithError(appended.status().ToString().c_str());
    benchmark::DoNotOptimize(appended);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoreAppendMessage)->ArgName("synchronous_normal")->Arg(0)->Arg(1)->UseRealTime();

// The peer: the same insert and counter update, prepared once, in one BEGIN IMMEDIATE
// transaction, on a connection with the same pragmas.
void BM_RawSqliteAppendMessage(benchmark::State& state) {
  ScratchDir dir;
  sqlite3* db = nullptr;
  sqlite3_open((dir.path() / "raw.db").c_str(), &db);
  const std::string pragmas = std::string("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=") +
                              SynchronousName(state.range(0)) + ";";
  sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, nullptr);
  sqlite3_exec(db,
               "CREATE TABLE conversations (id INTEGER PRIMARY KEY, message_count INTEGER NOT NULL DEFAULT 0,"
               " last_activity_at INTEGER NOT NULL DEFAULT 0);"
               "CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation_id INTEGER NOT NULL REFERENCES "
               "conversations(id), role TEXT NOT NULL, content TEXT NOT NULL, created_at INTEGER NOT NULL);"
               "CREATE INDEX messages_by_conversation ON messages(conversation_id, id);"
               "INSERT INTO conversations (id) VALUES (1);",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_stmt* touch = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (1, 'user', ?1, ?2)",
                     -1, &insert, nullptr);
  sqlite3_prepare_v2(db, "UPDATE conversations SET message_count = message_count + 1, last_activity_at = ?1 WHERE id = 1",
                     -1, &touch, nullptr);
  const std::string content = ChatMessage(1).content;
  int64_t now = 1;
  for (auto _ : state) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    sqlite3_bind_text(insert, 1, content.c_str(), static_cast<int>(content.size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert, 2, ++now);
    sqlite3_step(insert);
    sqlite3_reset(insert);
    sqlite3_bind_int64(touch, 1, now);
    sqlite3_step(touch);
    sqlite3_reset(touch);
    if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) state.SkipWithError("commit failed");
  }
  sqlite3_finalize(insert);
  sqlite3_finalize(touch);
  sqlite3_close(db);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawSqliteAppendMessage)->ArgName("synchronous_normal")->Arg(0)->Arg(1)->UseRealTime();

void BM_StoreListMessagePage(benchmark::State& state) {
  Fixture fixture("normal");
  for (int i = 0; i < 1000; ++i) {
    if (!fixture.store->messages().Append(ChatMessage(fixture.conversation_id)).ok()) std::abort();
  }
  PageRequest page;
  page.limit = 50;
  for (auto _ : state) {
    Result<Page<Message>> listed = fixture.store->messages().List(fixture.conversation_id, page);
    if (!listed.ok() || listed->items.size() != 50) {
      state.SkipWithError("list failed");
      break;
    }
    page.cursor = listed->next_cursor;  // walk the whole history, then start again
    benchmark::DoNotOptimize(listed);
  }
  state.SetItemsProcessed(state.iterations() * 50);
}
BENCHMARK(BM_StoreListMessagePage)->UseRealTime();

void BM_StoreClaimAndCompleteJob(benchmark::State& state) {
  Fixture fixture("normal");
  NewJob job;
  job.kind = "summary";
  for (auto _ : state) {
    state.PauseTiming();
    if (!fixture.store->jobs().Enqueue(job).ok()) std::abort();
    state.ResumeTiming();
    Result<std::optional<Job>> claimed = fixture.store->jobs().Claim("bench", {});
    if (!claimed.ok() || !claimed->has_value()) {
      state.SkipWithError("claim failed");
      break;
    }
    if (!fixture.store->jobs().Complete((*claimed)->id, "bench", "{}").ok()) state.SkipWithError("complete failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoreClaimAndCompleteJob)->UseRealTime();

}  // namespace
}  // namespace troupe::store

BENCHMARK_MAIN();
