// Guarantees that only separate processes can show: one PostgreSQL queue drained by two worker
// processes hands out every job once, and a SQLite append that returned survives SIGKILL.
#include <signal.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "store_test_fixture.h"
#include "support/postgres_server.h"
#include "support/process.h"

namespace troupe::store::testing {
namespace {

using namespace std::chrono_literals;

// The complete lines of `out` that start with `tag`, split into their numbers.
std::vector<std::vector<int64_t>> TaggedLines(const std::string& out, const std::string& tag) {
  std::vector<std::vector<int64_t>> lines;
  size_t start = 0;
  for (size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    std::istringstream line(out.substr(start, end - start));
    std::string word;
    if (!(line >> word) || word != tag) continue;
    std::vector<int64_t> numbers;
    for (int64_t number; line >> number;) numbers.push_back(number);
    lines.push_back(std::move(numbers));
  }
  return lines;
}

std::unique_ptr<Store> OpenMigrated(const std::string& url) {
  StoreOptions options;
  options.url = url;
  Result<std::unique_ptr<Store>> store = Store::Open(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return nullptr;
  Result<std::vector<int>> migrated = (*store)->Migrate();
  EXPECT_TRUE(migrated.ok()) << migrated.status().ToString();
  return std::move(store).value();
}

JobQuery SucceededJobs() {
  JobQuery query;
  query.status = JobStatus::kSucceeded;
  query.page.limit = 500;
  return query;
}

TEST(StoreProcesses, TwoPostgresWorkersClaimEveryJobExactlyOnce) {
  const std::string url = troupe::testing::PostgresServer::Shared().CreateDatabase();
  ASSERT_FALSE(url.empty());
  std::unique_ptr<Store> store = OpenMigrated(url);
  ASSERT_NE(store, nullptr);
  constexpr int kJobs = 400;
  std::set<int64_t> enqueued;
  for (int i = 0; i < kJobs; ++i) {
    NewJob job;
    job.kind = "work";
    ASSERT_OK_AND_ASSIGN(Job created, store->jobs().Enqueue(job));
    enqueued.insert(created.id);
  }

  troupe::testing::BackgroundProcess first({STORE_WORKER_PATH, "claim", url, "process-1"});
  troupe::testing::BackgroundProcess second({STORE_WORKER_PATH, "claim", url, "process-2"});
  const troupe::testing::ProcessResult first_result = first.Wait(120s);
  const troupe::testing::ProcessResult second_result = second.Wait(120s);
  ASSERT_EQ(first_result.exit_code, 0) << first_result.err;
  ASSERT_EQ(second_result.exit_code, 0) << second_result.err;

  std::set<int64_t> by_first, by_second;
  for (const auto& numbers : TaggedLines(first_result.out, "claimed")) by_first.insert(numbers.at(0));
  for (const auto& numbers : TaggedLines(second_result.out, "claimed")) by_second.insert(numbers.at(0));
  std::vector<int64_t> both;
  std::set_intersection(by_first.begin(), by_first.end(), by_second.begin(), by_second.end(),
                        std::back_inserter(both));
  EXPECT_TRUE(both.empty()) << both.size() << " jobs were claimed by both workers";
  std::set<int64_t> all = by_first;
  all.insert(by_second.begin(), by_second.end());
  EXPECT_EQ(all, enqueued);
  EXPECT_EQ(by_first.size() + by_second.size(), static_cast<size_t>(kJobs));
  ASSERT_OK_AND_ASSIGN(Page<Job> succeeded, store->jobs().List(SucceededJobs()));
  EXPECT_EQ(succeeded.items.size(), static_cast<size_t>(kJobs));
}

TEST(StoreProcesses, SqliteAppendsThatReturnedSurviveSigkill) {
  troupe::testing::TempDir dir;
  const std::string url = "sqlite://" + (dir / "crash.db").string();
  int64_t conversation_id = 0;
  {
    std::unique_ptr<Store> store = OpenMigrated(url);
    ASSERT_NE(store, nullptr);
    User user;
    user.external_id = "u";
    ASSERT_OK_AND_ASSIGN(user, store->users().Create(user));
    Character character;
    character.name = "C";
    ASSERT_OK_AND_ASSIGN(character, store->characters().Create(character));
    Conversation conversation;
    conversation.user_id = user.id;
    conversation.character_id = character.id;
    ASSERT_OK_AND_ASSIGN(conversation, store->conversations().Create(conversation));
    conversation_id = conversation.id;
  }

  troupe::testing::BackgroundProcess writer({STORE_WORKER_PATH, "append", url, std::to_string(conversation_id)});
  ASSERT_TRUE(writer.WaitForStdout("appended 200 ", 60s)) << writer.err();
  writer.Signal(SIGKILL);
  const troupe::testing::ProcessResult result = writer.Wait(30s);
  EXPECT_EQ(result.signal, SIGKILL);

  const auto reported = TaggedLines(result.out, "appended");
  ASSERT_GE(reported.size(), 200u);
  std::unique_ptr<Store> reopened = OpenMigrated(url);
  ASSERT_NE(reopened, nullptr);
  for (const auto& numbers : reported) {
    ASSERT_EQ(numbers.size(), 2u);
    Result<Message> message = reopened->messages().Get(numbers[1]);
    ASSERT_TRUE(message.ok()) << "message " << numbers[1] << " was reported but is gone: "
                              << message.status().ToString();
    EXPECT_EQ(message->content, "message " + std::to_string(numbers[0]));
  }
  ASSERT_OK_AND_ASSIGN(Conversation conversation, reopened->conversations().Get(conversation_id));
  EXPECT_GE(conversation.message_count, static_cast<int64_t>(reported.size()));
}

}  // namespace
}  // namespace troupe::store::testing
