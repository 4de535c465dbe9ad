// Messages of a conversation, appended durably and read oldest first.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "store/repo/message_index.h"
#include "store/repo/record_rows.h"
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

Status ValidateRating(const std::optional<int>& rating) {
  if (rating && (*rating < -1 || *rating > 1)) return InvalidArgument("rating must be -1, 0 or 1", "rating");
  return Status::Ok();
}

Status ValidateSentiment(const std::optional<double>& sentiment) {
  if (sentiment && !(std::isfinite(*sentiment) && *sentiment >= -1.0 && *sentiment <= 1.0)) {
    return InvalidArgument("sentiment must be between -1 and 1", "sentiment");
  }
  return Status::Ok();
}

std::vector<Message> ReadAll(const sql::Rows& rows) {
  std::vector<Message> messages;
  messages.reserve(rows.size());
  for (const sql::Row& row : rows) messages.push_back(ReadMessage(row));
  return messages;
}

class Messages final : public MessageRepository {
 public:
  explicit Messages(const Context& context) : context_(context), index_(context) {}

  Result<Message> Append(Message m) override { return AppendIndexed(std::move(m), false); }

  Result<Message> AppendAfterLatest(Message m) override {
    m.parent_id.reset();
    return AppendIndexed(std::move(m), true);
  }

  Result<Message> Get(int64_t id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + std::string(kMessageColumns) + " FROM messages WHERE id = $1", {id}));
    if (rows.empty()) return NotFound("message " + std::to_string(id) + " not found");
    return ReadMessage(rows.front());
  }

  Result<Page<Message>> List(int64_t conversation_id, const PageRequest& page) override {
    return PageByAscendingId<Message>(context_, "SELECT " + std::string(kMessageColumns) + " FROM messages",
                                      "conversation_id = $1", {conversation_id}, page, ReadMessage);
  }

  Result<std::vector<Message>> Latest(int64_t conversation_id, int count) override {
    if (count <= 0) return std::vector<Message>{};
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + std::string(kMessageColumns) +
                                                  " FROM messages WHERE conversation_id = $1 "
                                                  "ORDER BY id DESC LIMIT $2",
                                              {conversation_id, int64_t{count}}));
    std::vector<Message> messages = ReadAll(rows);
    std::reverse(messages.begin(), messages.end());
    return messages;
  }

  Result<Page<MessageText>> ListUserTexts(const MessageTextQuery& query, const PageRequest& page) override {
    if (query.to_ms <= query.from_ms) return InvalidArgument("the period must end after it starts", "to_ms");
    std::vector<sql::Value> params{query.from_ms, query.to_ms};
    std::string filter = "role = 'user' AND created_at >= $1 AND created_at < $2";
    if (query.character_id) {
      filter += " AND conversation_id IN (SELECT id FROM conversations WHERE character_id = " +
                Bind(params, *query.character_id) + ")";
    }
    return PageByAscendingId<MessageText>(context_, "SELECT id, conversation_id, created_at, content FROM messages",
                                          filter, std::move(params), page, [](const sql::Row& row) {
                                            sql::RowReader read(row);
                                            MessageText text;
                                            text.id = read.Int();
                                            text.conversation_id = read.Int();
                                            text.created_at = read.Int();
                                            text.content = read.Text();
                                            return text;
                                          });
  }

  Result<Message> Patch(int64_t id, const MessagePatch& patch) override {
    if (patch.metadata_json) TROUPE_RETURN_IF_ERROR(ValidateJson(*patch.metadata_json, "metadata_json"));
    TROUPE_RETURN_IF_ERROR(ValidateRating(patch.rating));
    TROUPE_RETURN_IF_ERROR(ValidateSentiment(patch.sentiment));
    std::vector<sql::Value> params{id, context_.Now()};
    std::string assignments = "updated_at = $2";
    const auto set = [&](std::string_view column, sql::Value value) {
      assignments += ", " + std::string(column) + " = " + Bind(params, std::move(value));
    };
    if (patch.content) set("content", *patch.content);
    if (patch.sentiment) set("sentiment", *patch.sentiment);
    if (patch.rating) set("rating", int64_t{*patch.rating});
    if (patch.incomplete) set("incomplete", *patch.incomplete);
    if (patch.completion_tokens) set("completion_tokens", *patch.completion_tokens);
    if (patch.metadata_json) set("metadata_json", *patch.metadata_json);
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("UPDATE messages SET " + assignments + " WHERE id = $1 RETURNING " +
                                                  std::string(kMessageColumns),
                                              params));
    if (rows.empty()) return NotFound("message " + std::to_string(id) + " not found");
    return ReadMessage(rows.front());
  }

  Result<std::vector<Message>> Search(int64_t conversation_id, std::string_view free_text, int limit,
                                      std::optional<int64_t> before_message_id) override {
    TROUPE_RETURN_IF_ERROR(index_.ReadyFor(before_message_id));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, SearchConversationText(context_, "messages", kMessageColumns, conversation_id,
                                                                   free_text, limit, before_message_id));
    return ReadAll(rows);
  }

  std::vector<Result<Message>> AppendAllAfterLatest(std::vector<Message> messages) override {
    std::vector<Result<Message>> results;
    results.reserve(messages.size());
    for (size_t i = 0; i < messages.size(); ++i) results.emplace_back(Internal("the batch ended before this message"));
    std::vector<bool> reached(messages.size(), false);
    const Status batch = AppendBatch(messages, results, reached);
    for (size_t i = 0; i < results.size(); ++i) {
      if (!batch.ok() && (results[i].ok() || !reached[i])) results[i] = batch;
    }
    index_.Appended();
    return results;
  }

 private:
  Result<Message> AppendIndexed(Message m, bool after_latest) {
    TROUPE_ASSIGN_OR_RETURN(Message appended, AppendRow(std::move(m), after_latest));
    index_.Appended();  // after the row's connection went back: a catch-up takes one of its own
    return appended;
  }

  Result<Message> AppendRow(Message m, bool after_latest) {
    TROUPE_RETURN_IF_ERROR(Validate(m));
    m.created_at = m.updated_at = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_RETURN_IF_ERROR(InsertOn(*connection, m, after_latest));
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return m;
  }

  // Each message in a savepoint of one transaction, so one that fails undoes only its own rows.
  // The rows go in by conversation (each conversation's messages keep their order), so batches
  // running at once on several PostgreSQL nodes lock conversation rows in one order and cannot
  // deadlock. Fills results[i] and reached[i] for every message it got to; the error when the
  // batch as a whole failed.
  Status AppendBatch(std::vector<Message>& messages, std::vector<Result<Message>>& results, std::vector<bool>& reached) {
    std::vector<size_t> order(messages.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&messages](size_t a, size_t b) {
      return messages[a].conversation_id < messages[b].conversation_id;
    });
    const int64_t now = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    for (size_t i : order) {
      Message& m = messages[i];
      m.parent_id.reset();
      m.created_at = m.updated_at = now;
      Status inserted = Validate(m);
      if (inserted.ok()) {
        TROUPE_RETURN_IF_ERROR(connection->ExecScript("SAVEPOINT troupe_append"));
        inserted = InsertOn(*connection, m, true);
        TROUPE_RETURN_IF_ERROR(connection->ExecScript(
            inserted.ok() ? "RELEASE troupe_append" : "ROLLBACK TO troupe_append; RELEASE troupe_append"));
      }
      reached[i] = true;
      if (inserted.ok()) {
        results[i] = std::move(m);
      } else {
        results[i] = inserted;
      }
    }
    return transaction.Commit();
  }

  static Status Validate(const Message& m) {
    TROUPE_RETURN_IF_ERROR(ValidateJson(m.metadata_json, "metadata_json"));
    TROUPE_RETURN_IF_ERROR(ValidateRating(m.rating));
    return ValidateSentiment(m.sentiment);
  }

  // The message's rows inside the caller's write transaction; sets m.id (and m.parent_id when
  // `after_latest`).
  static Status InsertOn(sql::Connection& connection, Message& m, bool after_latest) {
    // The conversation row goes first: on PostgreSQL its row lock orders concurrent appends.
    TROUPE_ASSIGN_OR_RETURN(
        int64_t bumped,
        connection.Exec("UPDATE conversations SET message_count = message_count + 1, last_activity_at = $2, "
                        "updated_at = $2 WHERE id = $1",
                        {m.conversation_id, m.created_at}));
    if (bumped == 0) {
      return FieldError(StatusCode::kNotFound, "conversation " + std::to_string(m.conversation_id) + " not found",
                        "conversation_id");
    }
    if (after_latest) {
      TROUPE_ASSIGN_OR_RETURN(sql::Rows latest,
                              connection.Query("SELECT id FROM messages WHERE conversation_id = $1 "
                                               "ORDER BY id DESC LIMIT 1",
                                               {m.conversation_id}));
      if (!latest.empty()) m.parent_id = latest.front().Int(0);
    } else if (m.parent_id) {
      TROUPE_ASSIGN_OR_RETURN(sql::Rows parent, connection.Query("SELECT conversation_id FROM messages WHERE id = $1",
                                                                 {*m.parent_id}));
      if (parent.empty()) {
        return FieldError(StatusCode::kNotFound, "parent message " + std::to_string(*m.parent_id) + " not found",
                          "parent_id");
      }
      if (parent.front().Int(0) != m.conversation_id) {
        return InvalidArgument("parent message belongs to another conversation", "parent_id");
      }
    }
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection.Query(
            "INSERT INTO messages (conversation_id, parent_id, role, content, stage, prompt_tokens, "
            "completion_tokens, latency_ms, sentiment, rating, incomplete, metadata_json, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            {m.conversation_id, sql::Nullable(m.parent_id), std::string(ToString(m.role)), m.content, m.stage,
             m.prompt_tokens, m.completion_tokens, m.latency_ms, sql::Nullable(m.sentiment),
             sql::Nullable(m.rating), m.incomplete, m.metadata_json, m.created_at, m.updated_at}));
    m.id = rows.at(0).Int(0);
    return Status::Ok();
  }

  Context context_;
  MessageIndex index_;
};

}  // namespace

std::unique_ptr<MessageRepository> NewMessageRepository(const Context& context) {
  return std::make_unique<Messages>(context);
}

}  // namespace troupe::store::repo
