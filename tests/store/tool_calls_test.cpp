// The tool-call audit on both backends: every field kept, the checks that name their field, paging
// per conversation (oldest first) and across conversations (newest first, filtered), and the
// rows following their conversation and message out of the database.
#include <functional>
#include <limits>

#include <nlohmann/json.hpp>

#include "store/migrator.h"
#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

ToolCallRecord NewCall(int64_t conversation_id, std::string tool, std::string outcome = "ok") {
  ToolCallRecord call;
  call.conversation_id = conversation_id;
  call.tool = std::move(tool);
  call.outcome = std::move(outcome);
  return call;
}

// Filters spelt out (designated initializers that leave members out trip -Wmissing-field-initializers).
ToolCallFilter ByTool(std::string tool) {
  ToolCallFilter filter;
  filter.tool = std::move(tool);
  return filter;
}

ToolCallFilter ByOutcome(std::string outcome) {
  ToolCallFilter filter;
  filter.outcome = std::move(outcome);
  return filter;
}

ToolCallFilter Window(std::optional<int64_t> since, std::optional<int64_t> until) {
  ToolCallFilter filter;
  filter.since = since;
  filter.until = until;
  return filter;
}

std::vector<int64_t> Ids(const std::vector<ToolCallRecord>& calls) {
  std::vector<int64_t> ids;
  for (const ToolCallRecord& call : calls) ids.push_back(call.id);
  return ids;
}

class ToolCallTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    conversation_ = MakeConversation(MakeUser().id, MakeCharacter().id);
  }

  Message Say(int64_t conversation_id, const std::string& content) {
    Message message;
    message.conversation_id = conversation_id;
    message.content = content;
    Result<Message> appended = store_->messages().Append(message);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended.ok() ? *appended : Message{};
  }

  ToolCallRecord Record(ToolCallRecord call) {
    Result<ToolCallRecord> recorded = store_->tool_calls().Record(std::move(call));
    EXPECT_TRUE(recorded.ok()) << recorded.status().ToString();
    return recorded.ok() ? *recorded : ToolCallRecord{};
  }

  // Every id List returns for `filter`, following the cursor `limit` at a time.
  std::vector<int64_t> ListAll(const ToolCallFilter& filter, int limit = 500) {
    std::vector<int64_t> ids;
    PageRequest request{"", limit};
    for (int pages = 0; pages < 100; ++pages) {
      Result<Page<ToolCallRecord>> page = store_->tool_calls().List(filter, request);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (const ToolCallRecord& call : page->items) ids.push_back(call.id);
      if (page->next_cursor.empty()) break;
      request.cursor = page->next_cursor;
    }
    return ids;
  }

  Conversation conversation_;
};

TEST_P(ToolCallTest, RecordKeepsEveryField) {
  const Message asked = Say(conversation_.id, "What's my balance?");
  clock_.Advance(250);
  ToolCallRecord call = NewCall(conversation_.id, "get_balance");
  call.message_id = asked.id;
  call.call_id = "call_abc123";
  call.intent = "balance_inquiry";
  call.arguments_json = R"({"account":"****1234","pin":"***"})";
  call.method = "GET";
  call.url = "https://bank.example/api/accounts/****1234/balance";
  call.http_status = 200;
  call.error = "";
  call.latency_ms = 12.5;
  call.attempts = 2;
  ASSERT_OK_AND_ASSIGN(ToolCallRecord recorded, store_->tool_calls().Record(call));
  EXPECT_GT(recorded.id, 0);
  EXPECT_EQ(recorded.created_at, clock_.NowMillis());

  ASSERT_OK_AND_ASSIGN(Page<ToolCallRecord> page, store_->tool_calls().ListForConversation(conversation_.id, {}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_TRUE(page.next_cursor.empty());
  const ToolCallRecord& stored = page.items[0];
  EXPECT_EQ(stored.id, recorded.id);
  EXPECT_EQ(stored.conversation_id, conversation_.id);
  EXPECT_EQ(stored.message_id, asked.id);
  EXPECT_EQ(stored.call_id, "call_abc123");
  EXPECT_EQ(stored.tool, "get_balance");
  EXPECT_EQ(stored.intent, "balance_inquiry");
  // PostgreSQL may respace the JSON; its content is what must survive.
  EXPECT_EQ(nlohmann::json::parse(stored.arguments_json), nlohmann::json::parse(call.arguments_json));
  EXPECT_EQ(stored.method, "GET");
  EXPECT_EQ(stored.url, "https://bank.example/api/accounts/****1234/balance");
  EXPECT_EQ(stored.http_status, 200);
  EXPECT_EQ(stored.outcome, "ok");
  EXPECT_EQ(stored.error, "");
  EXPECT_DOUBLE_EQ(stored.latency_ms, 12.5);
  EXPECT_EQ(stored.attempts, 2);
  EXPECT_EQ(stored.created_at, recorded.created_at);
}

TEST_P(ToolCallTest, RefusedCallKeepsItsDefaultsAndFractionalLatency) {
  // Refused before any request: no message, method, URL or status; the reason is in `error`.
  ToolCallRecord refused = NewCall(conversation_.id, "transfer", "declined");
  refused.error = "the user said no";
  refused.latency_ms = 0.1 + 0.2;  // not exactly representable: the double must come back bit for bit
  ASSERT_OK_AND_ASSIGN(ToolCallRecord recorded, store_->tool_calls().Record(refused));

  ASSERT_OK_AND_ASSIGN(Page<ToolCallRecord> page, store_->tool_calls().ListForConversation(conversation_.id, {}));
  ASSERT_EQ(page.items.size(), 1u);
  const ToolCallRecord& stored = page.items[0];
  EXPECT_EQ(stored.id, recorded.id);
  EXPECT_FALSE(stored.message_id.has_value());
  EXPECT_EQ(stored.call_id, "");
  EXPECT_EQ(stored.intent, "");
  EXPECT_EQ(nlohmann::json::parse(stored.arguments_json), nlohmann::json::object());
  EXPECT_EQ(stored.method, "");
  EXPECT_EQ(stored.url, "");
  EXPECT_EQ(stored.http_status, 0);
  EXPECT_EQ(stored.outcome, "declined");
  EXPECT_EQ(stored.error, "the user said no");
  EXPECT_EQ(stored.latency_ms, 0.1 + 0.2);
  EXPECT_EQ(stored.attempts, 0);
}

TEST_P(ToolCallTest, InvalidCallsAreRefusedNamingTheField) {
  const Conversation other = MakeConversation(MakeUser("user-2").id, MakeCharacter("Other").id);
  const Message elsewhere = Say(other.id, "a message of another conversation");
  struct Case {
    std::string name;
    std::function<void(ToolCallRecord&)> change;
    StatusCode code;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"no tool", [](ToolCallRecord& c) { c.tool = ""; }, StatusCode::kInvalidArgument, "tool"},
      {"no outcome", [](ToolCallRecord& c) { c.outcome = ""; }, StatusCode::kInvalidArgument, "outcome"},
      {"arguments not JSON", [](ToolCallRecord& c) { c.arguments_json = "{\"to\":"; }, StatusCode::kInvalidArgument,
       "arguments_json"},
      {"empty arguments", [](ToolCallRecord& c) { c.arguments_json = ""; }, StatusCode::kInvalidArgument,
       "arguments_json"},
      {"negative latency", [](ToolCallRecord& c) { c.latency_ms = -1; }, StatusCode::kInvalidArgument, "latency_ms"},
      {"NaN latency", [](ToolCallRecord& c) { c.latency_ms = std::numeric_limits<double>::quiet_NaN(); },
       StatusCode::kInvalidArgument, "latency_ms"},
      {"negative attempts", [](ToolCallRecord& c) { c.attempts = -1; }, StatusCode::kInvalidArgument, "attempts"},
      {"unknown conversation", [](ToolCallRecord& c) { c.conversation_id = 9999; }, StatusCode::kNotFound,
       "conversation_id"},
      {"unknown message", [](ToolCallRecord& c) { c.message_id = 9999; }, StatusCode::kNotFound, "message_id"},
      {"message of another conversation", [&](ToolCallRecord& c) { c.message_id = elsewhere.id; },
       StatusCode::kNotFound, "message_id"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    ToolCallRecord call = NewCall(conversation_.id, "lookup");
    test.change(call);
    const Status status = store_->tool_calls().Record(call).status();
    EXPECT_EQ(status.code(), test.code) << status.ToString();
    EXPECT_EQ(status.field(), test.field) << status.ToString();
  }
  EXPECT_TRUE(ListAll({}).empty());  // nothing half-written
}

TEST_P(ToolCallTest, ListForConversationPagesOldestFirst) {
  const Conversation other = MakeConversation(MakeUser("user-2").id, MakeCharacter("Other").id);
  std::vector<int64_t> mine;
  for (int i = 0; i < 5; ++i) {
    mine.push_back(Record(NewCall(conversation_.id, "step_" + std::to_string(i))).id);
    Record(NewCall(other.id, "elsewhere"));
  }

  ASSERT_OK_AND_ASSIGN(Page<ToolCallRecord> first,
                       store_->tool_calls().ListForConversation(conversation_.id, {"", 2}));
  EXPECT_EQ(Ids(first.items), (std::vector<int64_t>{mine[0], mine[1]}));
  ASSERT_FALSE(first.next_cursor.empty());
  ASSERT_OK_AND_ASSIGN(Page<ToolCallRecord> second,
                       store_->tool_calls().ListForConversation(conversation_.id, {first.next_cursor, 2}));
  EXPECT_EQ(Ids(second.items), (std::vector<int64_t>{mine[2], mine[3]}));
  ASSERT_FALSE(second.next_cursor.empty());
  ASSERT_OK_AND_ASSIGN(Page<ToolCallRecord> last,
                       store_->tool_calls().ListForConversation(conversation_.id, {second.next_cursor, 2}));
  EXPECT_EQ(Ids(last.items), std::vector<int64_t>{mine[4]});
  EXPECT_TRUE(last.next_cursor.empty());
  EXPECT_EQ(last.items[0].tool, "step_4");

  ASSERT_OK_AND_ASSIGN(Page<ToolCallRecord> none, store_->tool_calls().ListForConversation(9999, {}));
  EXPECT_TRUE(none.items.empty());
  const Status bad_cursor = store_->tool_calls().ListForConversation(conversation_.id, {"not a cursor", 2}).status();
  EXPECT_EQ(bad_cursor.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_cursor.field(), "cursor");
}

TEST_P(ToolCallTest, ListFiltersAcrossConversationsNewestFirst) {
  const Conversation other = MakeConversation(MakeUser("user-2").id, MakeCharacter("Other").id);
  const int64_t start = clock_.NowMillis();
  auto record_at = [&](int64_t offset, int64_t conversation_id, const std::string& tool, const std::string& outcome) {
    clock_.Set(start + offset);
    return Record(NewCall(conversation_id, tool, outcome)).id;
  };
  const int64_t weather_ok = record_at(1000, conversation_.id, "weather", "ok");
  const int64_t weather_bad = record_at(2000, other.id, "weather", "invalid_argument");
  const int64_t balance_ok = record_at(3000, conversation_.id, "balance", "ok");
  const int64_t balance_waiting = record_at(3000, other.id, "balance", "awaiting_confirmation");
  const int64_t balance_declined = record_at(4000, conversation_.id, "balance", "declined");

  const std::vector<int64_t> newest_first = {balance_declined, balance_waiting, balance_ok, weather_bad, weather_ok};
  EXPECT_EQ(ListAll({}), newest_first);
  EXPECT_EQ(ListAll({}, 2), newest_first);  // paging keeps the order and loses nothing

  EXPECT_EQ(ListAll(ByTool("weather")), (std::vector<int64_t>{weather_bad, weather_ok}));
  EXPECT_EQ(ListAll(ByTool("balance"), 1), (std::vector<int64_t>{balance_declined, balance_waiting, balance_ok}));
  EXPECT_EQ(ListAll(ByOutcome("ok")), (std::vector<int64_t>{balance_ok, weather_ok}));
  EXPECT_EQ(ListAll(ByOutcome("awaiting_confirmation")), std::vector<int64_t>{balance_waiting});
  EXPECT_TRUE(ListAll(ByTool("no_such_tool")).empty());

  // since is inclusive, until exclusive.
  EXPECT_EQ(ListAll(Window(start + 3000, std::nullopt)),
            (std::vector<int64_t>{balance_declined, balance_waiting, balance_ok}));
  EXPECT_EQ(ListAll(Window(std::nullopt, start + 3000)), (std::vector<int64_t>{weather_bad, weather_ok}));
  EXPECT_EQ(ListAll(Window(start + 2000, start + 4000)),
            (std::vector<int64_t>{balance_waiting, balance_ok, weather_bad}));
  ToolCallFilter every_filter = Window(start + 3000, start + 3001);
  every_filter.tool = "balance";
  every_filter.outcome = "ok";
  EXPECT_EQ(ListAll(every_filter), std::vector<int64_t>{balance_ok});
  EXPECT_TRUE(ListAll(Window(start + 4001, std::nullopt)).empty());

  const Status bad_cursor = store_->tool_calls().List({}, {"not a cursor", 2}).status();
  EXPECT_EQ(bad_cursor.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_cursor.field(), "cursor");
}

// The store has no call that deletes a conversation or a message; as in memories_test, a one-off
// migration is how plain SQL reaches both backends through the public interface.
TEST_P(ToolCallTest, CallsFollowTheirConversationAndMessageOut) {
  const Conversation kept = MakeConversation(MakeUser("user-2").id, MakeCharacter("Other").id);
  const Message forgotten = Say(kept.id, "check the weather");
  ToolCallRecord about_message = NewCall(kept.id, "weather");
  about_message.message_id = forgotten.id;
  const int64_t stays = Record(about_message).id;
  Record(NewCall(conversation_.id, "weather"));
  Record(NewCall(conversation_.id, "balance"));

  const std::string sql = "DELETE FROM conversations WHERE id = " + std::to_string(conversation_.id) + ";" +
                          "DELETE FROM messages WHERE id = " + std::to_string(forgotten.id) + ";";
  std::vector<Migration> migrations = BuiltInMigrations(BackendName(GetParam()));
  migrations.push_back({999, "delete_rows", sql});
  ASSERT_OK_AND_ASSIGN(auto operator_store, OpenAgain(migrations));
  ASSERT_OK(operator_store->Migrate().status());

  ASSERT_OK_AND_ASSIGN(Page<ToolCallRecord> gone, store_->tool_calls().ListForConversation(conversation_.id, {}));
  EXPECT_TRUE(gone.items.empty());
  EXPECT_EQ(ListAll({}), std::vector<int64_t>{stays});
  ASSERT_OK_AND_ASSIGN(Page<ToolCallRecord> left, store_->tool_calls().ListForConversation(kept.id, {}));
  ASSERT_EQ(left.items.size(), 1u);
  EXPECT_FALSE(left.items[0].message_id.has_value());  // the audit outlives the message
}

INSTANTIATE_TEST_SUITE_P(Backends, ToolCallTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::store::testing
