// One end user's data, read out in one snapshot or removed in one transaction
// (user_data_repository.h). Each kind is read, or deleted, for all of the user's conversations in
// one statement, through the indexes on conversation_id and user_id every table already has.
#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "store/repo/campaign_rows.h"
#include "store/repo/record_rows.h"
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

// The user's conversations, as a condition on a table's conversation_id (the user id is $1).
constexpr std::string_view kOfUsersConversations = "conversation_id IN (SELECT id FROM conversations WHERE user_id = $1)";

Status UnknownUser(int64_t user_id) {
  return FieldError(StatusCode::kNotFound, "user " + std::to_string(user_id) + " not found", "user_id");
}

// Rows of `columns` from `table` that belong to the user's conversations (or match `condition`
// over $1 = the user id), oldest first, each made a record by `read`.
template <typename Record, typename Read>
Result<std::vector<Record>> ReadOwned(sql::Connection& connection, int64_t user_id, std::string_view columns,
                                      std::string_view table, std::string_view condition, Read read) {
  TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection.Query("SELECT " + std::string(columns) + " FROM " +
                                                               std::string(table) + " WHERE " +
                                                               std::string(condition) + " ORDER BY id",
                                                           {user_id}));
  std::vector<Record> records;
  records.reserve(rows.size());
  for (const sql::Row& row : rows) records.push_back(read(row));
  return records;
}

// Moves each record into the archive of its conversation.
template <typename Record>
void FileUnder(std::vector<Record> records, const std::map<int64_t, size_t>& index_of,
               std::vector<ConversationArchive>& conversations, std::vector<Record> ConversationArchive::*list) {
  for (Record& record : records) {
    auto found = index_of.find(record.conversation_id);
    if (found != index_of.end()) (conversations[found->second].*list).push_back(std::move(record));
  }
}

// Whether a job's payload names one of `conversations` or the user (see DeleteUser).
bool PayloadNamesUser(const std::string& payload_json, int64_t user_id, const std::set<int64_t>& conversations) {
  const nlohmann::json payload = nlohmann::json::parse(payload_json, nullptr, /*allow_exceptions=*/false);
  auto names = [&](const nlohmann::json& object) {
    if (!object.is_object()) return false;
    auto conversation = object.find("conversation_id");
    if (conversation != object.end() && conversation->is_number_integer() &&
        conversations.count(conversation->get<int64_t>()) > 0) {
      return true;
    }
    auto user = object.find("user_id");
    return user != object.end() && user->is_number_integer() && user->get<int64_t>() == user_id;
  };
  if (names(payload)) return true;
  return payload.is_object() && payload.contains("data") && names(payload["data"]);
}

class UserData final : public UserDataRepository {
 public:
  explicit UserData(const Context& context) : context_(context) {}

  Result<UserArchive> Export(int64_t user_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kRead));
    if (std::string_view snapshot = context_.dialect->SnapshotReadStatement(); !snapshot.empty()) {
      TROUPE_RETURN_IF_ERROR(connection->ExecScript(snapshot));
    }
    UserArchive archive;
    TROUPE_ASSIGN_OR_RETURN(std::vector<User> users, ReadOwned<User>(*connection, user_id, kUserColumns, "users",
                                                                     "id = $1", ReadUser));
    if (users.empty()) return UnknownUser(user_id);
    archive.user = std::move(users.front());

    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows conversations,
        connection->Query("SELECT " + std::string(kConversationColumns) +
                              ", (SELECT name FROM characters WHERE characters.id = conversations.character_id) "
                              "FROM conversations WHERE user_id = $1 ORDER BY id",
                          {user_id}));
    std::map<int64_t, size_t> index_of;
    for (const sql::Row& row : conversations) {
      ConversationArchive entry;
      entry.conversation = ReadConversation(row);
      entry.character_name = row.Text(row.size() - 1);
      index_of[entry.conversation.id] = archive.conversations.size();
      archive.conversations.push_back(std::move(entry));
    }
    std::vector<ConversationArchive>& filed = archive.conversations;
    TROUPE_ASSIGN_OR_RETURN(auto messages, ReadOwned<Message>(*connection, user_id, kMessageColumns, "messages",
                                                              kOfUsersConversations, ReadMessage));
    FileUnder(std::move(messages), index_of, filed, &ConversationArchive::messages);
    TROUPE_ASSIGN_OR_RETURN(auto memories, ReadOwned<Memory>(*connection, user_id, kMemoryColumns, "memories",
                                                             kOfUsersConversations, ReadMemory));
    FileUnder(std::move(memories), index_of, filed, &ConversationArchive::memories);
    TROUPE_ASSIGN_OR_RETURN(auto feedback,
                            ReadOwned<FeedbackEvent>(*connection, user_id, kFeedbackColumns, "feedback_events",
                                                     kOfUsersConversations, ReadFeedbackEvent));
    FileUnder(std::move(feedback), index_of, filed, &ConversationArchive::feedback);
    TROUPE_ASSIGN_OR_RETURN(auto calls, ReadOwned<ToolCallRecord>(*connection, user_id, kToolCallColumns,
                                                                  "tool_calls", kOfUsersConversations, ReadToolCall));
    FileUnder(std::move(calls), index_of, filed, &ConversationArchive::tool_calls);

    TROUPE_ASSIGN_OR_RETURN(archive.feedback_elsewhere,
                            ReadOwned<FeedbackEvent>(*connection, user_id, kFeedbackColumns, "feedback_events",
                                                     "user_id = $1 AND NOT (" + std::string(kOfUsersConversations) + ")",
                                                     ReadFeedbackEvent));
    TROUPE_ASSIGN_OR_RETURN(archive.campaign_messages,
                            ReadOwned<CampaignMessage>(*connection, user_id, kCampaignMessageColumns,
                                                       "campaign_messages", "user_id = $1", ReadCampaignMessage));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows profile,
                            connection->Query("SELECT profile_json FROM user_profiles WHERE user_id = $1", {user_id}));
    if (!profile.empty()) archive.profile_json = profile.front().Text(0);
    TROUPE_ASSIGN_OR_RETURN(archive.api_keys, ReadOwned<ApiKey>(*connection, user_id, kApiKeyColumns, "api_keys",
                                                                "user_id = $1", ReadApiKey));
    for (ApiKey& key : archive.api_keys) key.secret_hash.clear();
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return archive;
  }

  Result<DeletionReport> DeleteUser(int64_t user_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows user, connection->Query("SELECT 1 FROM users WHERE id = $1", {user_id}));
    if (user.empty()) return UnknownUser(user_id);
    DeletionReport report;
    report.user_id = user_id;
    TROUPE_RETURN_IF_ERROR(DeleteJobs(*connection, user_id, report));

    // Children before parents, so every row is removed by a statement that counts it (and no
    // message's delete first clears a tool call's message_id it is about to remove anyway). On
    // SQLite, deleting a message or memory runs the trigger that removes its full-text postings.
    const auto remove = [&](std::string_view table, std::string_view condition) -> Result<int64_t> {
      return connection->Exec("DELETE FROM " + std::string(table) + " WHERE " + std::string(condition), {user_id});
    };
    TROUPE_ASSIGN_OR_RETURN(report.feedback_events, remove("feedback_events", kOfUsersConversations));
    TROUPE_ASSIGN_OR_RETURN(int64_t given_elsewhere, remove("feedback_events", "user_id = $1"));
    report.feedback_events += given_elsewhere;
    TROUPE_ASSIGN_OR_RETURN(report.tool_calls, remove("tool_calls", kOfUsersConversations));
    TROUPE_ASSIGN_OR_RETURN(report.memories, remove("memories", kOfUsersConversations));
    TROUPE_ASSIGN_OR_RETURN(report.messages, remove("messages", kOfUsersConversations));
    TROUPE_ASSIGN_OR_RETURN(report.conversations, remove("conversations", "user_id = $1"));
    TROUPE_ASSIGN_OR_RETURN(report.campaign_messages, remove("campaign_messages", "user_id = $1"));
    TROUPE_ASSIGN_OR_RETURN(report.profiles, remove("user_profiles", "user_id = $1"));
    TROUPE_ASSIGN_OR_RETURN(report.api_keys, remove("api_keys", "user_id = $1"));
    TROUPE_ASSIGN_OR_RETURN(int64_t users, remove("users", "id = $1"));
    // Deleted by another transaction since the check above (PostgreSQL lets both read it).
    if (users == 0) return UnknownUser(user_id);
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return report;
  }

 private:
  // Deletes the jobs naming the user that are not running, and asks the running ones to stop. A
  // job claimed between the two statements is caught by the second.
  Status DeleteJobs(sql::Connection& connection, int64_t user_id, DeletionReport& report) {
    TROUPE_ASSIGN_OR_RETURN(sql::Rows owned,
                            connection.Query("SELECT id FROM conversations WHERE user_id = $1", {user_id}));
    std::set<int64_t> conversations;
    for (const sql::Row& row : owned) conversations.insert(row.Int(0));
    // Only payloads that mention either key can name anyone; the JSON itself decides.
    const std::string text = context_.dialect->JsonAsText("payload_json");
    TROUPE_ASSIGN_OR_RETURN(sql::Rows candidates,
                            connection.Query("SELECT id, payload_json FROM jobs WHERE " + text +
                                                 " LIKE '%conversation_id%' OR " + text + " LIKE '%user_id%'",
                                             {}));
    std::vector<int64_t> named;
    for (const sql::Row& row : candidates) {
      if (PayloadNamesUser(row.Text(1), user_id, conversations)) named.push_back(row.Int(0));
    }
    // In chunks: SQLite binds at most 32,766 parameters per statement.
    constexpr size_t kChunk = 500;
    for (size_t start = 0; start < named.size(); start += kChunk) {
      std::vector<sql::Value> params;
      std::string ids;
      for (size_t i = start; i < std::min(named.size(), start + kChunk); ++i) {
        ids += (ids.empty() ? "" : ", ") + Bind(params, named[i]);
      }
      TROUPE_ASSIGN_OR_RETURN(int64_t deleted,
                              connection.Exec("DELETE FROM jobs WHERE status <> 'running' AND id IN (" + ids + ")",
                                              params));
      report.jobs += deleted;
      const std::string now = Bind(params, context_.Now());
      TROUPE_ASSIGN_OR_RETURN(int64_t cancelled,
                              connection.Exec("UPDATE jobs SET cancel_requested = TRUE, updated_at = " + now +
                                                  " WHERE status = 'running' AND id IN (" + ids + ")",
                                              params));
      report.jobs_cancelled += cancelled;
    }
    return Status::Ok();
  }

  Context context_;
};

}  // namespace

std::unique_ptr<UserDataRepository> NewUserDataRepository(const Context& context) {
  return std::make_unique<UserData>(context);
}

}  // namespace troupe::store::repo
