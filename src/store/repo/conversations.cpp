// Conversations between one user and one character, with the flow state the engine keeps.
#include <algorithm>
#include <map>
#include <optional>

#include "store/repo/record_rows.h"
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

std::string SelectConversations(std::string_view rest) {
  return "SELECT " + std::string(kConversationColumns) + " FROM conversations " + std::string(rest);
}

class Conversations final : public ConversationRepository {
 public:
  explicit Conversations(const Context& context) : context_(context) {}

  Result<Conversation> Create(Conversation c) override {
    TROUPE_RETURN_IF_ERROR(ValidateJson(c.metadata_json, "metadata_json"));
    c.created_at = c.updated_at = c.last_activity_at = context_.Now();
    c.message_count = 0;
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    // Checked first so the error names the missing field; the foreign keys still guard races.
    TROUPE_ASSIGN_OR_RETURN(sql::Rows user, connection->Query("SELECT 1 FROM users WHERE id = $1", {c.user_id}));
    if (user.empty()) {
      return FieldError(StatusCode::kNotFound, "user " + std::to_string(c.user_id) + " not found", "user_id");
    }
    TROUPE_ASSIGN_OR_RETURN(sql::Rows character,
                            connection->Query("SELECT 1 FROM characters WHERE id = $1", {c.character_id}));
    if (character.empty()) {
      return FieldError(StatusCode::kNotFound, "character " + std::to_string(c.character_id) + " not found",
                        "character_id");
    }
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("INSERT INTO conversations (user_id, character_id, title, stage, mood, affinity, status, "
                          "message_count, last_activity_at, metadata_json, created_at, updated_at) "
                          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                          {c.user_id, c.character_id, c.title, c.stage, c.mood, c.affinity,
                           std::string(ToString(c.status)), c.message_count, c.last_activity_at, c.metadata_json,
                           c.created_at, c.updated_at}));
    c.id = rows.at(0).Int(0);
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return c;
  }

  Result<Conversation> Get(int64_t id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query(SelectConversations("WHERE id = $1"), {id}));
    if (rows.empty()) return NotFound("conversation " + std::to_string(id) + " not found");
    return ReadConversation(rows.front());
  }

  Result<Page<Conversation>> ListForUser(int64_t user_id, const PageRequest& page) override {
    ConversationQuery query;
    query.user_id = user_id;
    query.page = page;
    return List(query);
  }

  Result<Page<Conversation>> List(const ConversationQuery& query) override {
    const int limit = PageLimit(query.page);
    std::vector<sql::Value> params;
    std::vector<std::string> conditions;
    if (query.user_id) conditions.push_back("user_id = " + Bind(params, *query.user_id));
    if (query.character_id) conditions.push_back("character_id = " + Bind(params, *query.character_id));
    if (query.status) conditions.push_back("status = " + Bind(params, std::string(ToString(*query.status))));
    if (!query.page.cursor.empty()) {
      TROUPE_ASSIGN_OR_RETURN(std::vector<int64_t> keys, DecodeCursor(query.page.cursor, 2));
      const std::string activity = Bind(params, keys[0]);
      const std::string id = Bind(params, keys[1]);
      // Spelled out rather than as a row comparison so both planners use the index.
      conditions.push_back("(last_activity_at < " + activity + " OR (last_activity_at = " + activity +
                           " AND id < " + id + "))");
    }
    std::string where;
    for (const std::string& condition : conditions) where += (where.empty() ? "WHERE " : " AND ") + condition;
    const std::string limit_param = Bind(params, int64_t{limit + 1});
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query(
            SelectConversations(where + " ORDER BY last_activity_at DESC, id DESC LIMIT " + limit_param), params));
    std::vector<Conversation> items;
    for (const sql::Row& row : rows) items.push_back(ReadConversation(row));
    return MakePage(std::move(items), limit, [](const Conversation& c) {
      return std::vector<int64_t>{c.last_activity_at, c.id};
    });
  }

  Result<std::vector<Conversation>> ListIdle(ConversationStatus status, int64_t idle_before, int limit) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query(SelectConversations("WHERE status = $1 AND last_activity_at < $2 "
                                 "ORDER BY last_activity_at, id LIMIT $3"),
                          {std::string(ToString(status)), idle_before, int64_t{std::clamp(limit, 1, 10000)}}));
    std::vector<Conversation> items;
    for (const sql::Row& row : rows) items.push_back(ReadConversation(row));
    return items;
  }

  Result<Conversation> UpdateState(const Conversation& c) override {
    TROUPE_RETURN_IF_ERROR(ValidateJson(c.metadata_json, "metadata_json"));
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("UPDATE conversations SET stage = $2, mood = $3, affinity = $4, title = $5, "
                          "metadata_json = $6, updated_at = $7 WHERE id = $1 RETURNING " + std::string(kConversationColumns),
                          {c.id, c.stage, c.mood, c.affinity, c.title, c.metadata_json, context_.Now()}));
    if (rows.empty()) return NotFound("conversation " + std::to_string(c.id) + " not found");
    return ReadConversation(rows.front());
  }

  Result<Conversation> Branch(int64_t conversation_id, int64_t up_to_message_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows found, connection->Query(SelectConversations("WHERE id = $1"), {conversation_id}));
    if (found.empty()) return NotFound("conversation " + std::to_string(conversation_id) + " not found");
    Conversation branch = ReadConversation(found.front());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows sources,
                            connection->Query("SELECT id, parent_id FROM messages WHERE conversation_id = $1 AND id <= $2 "
                                              "ORDER BY id",
                                              {conversation_id, up_to_message_id}));
    if (sources.empty() || sources.back().Int(0) != up_to_message_id) {
      return FieldError(StatusCode::kNotFound,
                        "message " + std::to_string(up_to_message_id) + " not found in conversation " +
                            std::to_string(conversation_id),
                        "message_id");
    }
    const int64_t now = context_.Now();
    branch.title = branch.title.empty() ? "branch" : branch.title + " (branch)";
    branch.metadata_json = "{\"branched_from\":{\"conversation_id\":" + std::to_string(conversation_id) +
                           ",\"message_id\":" + std::to_string(up_to_message_id) + "}}";
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows inserted,
        connection->Query("INSERT INTO conversations (user_id, character_id, title, stage, mood, affinity, status, "
                          "message_count, last_activity_at, metadata_json, created_at, updated_at) "
                          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                          {branch.user_id, branch.character_id, branch.title, branch.stage, branch.mood,
                           branch.affinity, std::string(ToString(ConversationStatus::kActive)),
                           static_cast<int64_t>(sources.size()), now, branch.metadata_json, now, now}));
    const int64_t branch_id = inserted.at(0).Int(0);
    // One row at a time so each copy's parent can point at the copy of its parent.
    std::map<int64_t, int64_t> copies;
    for (const sql::Row& source : sources) {
      const int64_t source_id = source.Int(0);
      std::optional<int64_t> parent;
      if (!source.IsNull(1)) {
        auto it = copies.find(source.Int(1));
        if (it != copies.end()) parent = it->second;
      }
      TROUPE_ASSIGN_OR_RETURN(
          sql::Rows copy,
          connection->Query(
              "INSERT INTO messages (conversation_id, parent_id, role, content, stage, prompt_tokens, "
              "completion_tokens, latency_ms, sentiment, rating, incomplete, metadata_json, created_at, updated_at) "
              "SELECT $1, CAST($2 AS BIGINT), role, content, stage, prompt_tokens, completion_tokens, latency_ms, sentiment, rating, "
              "incomplete, metadata_json, created_at, updated_at FROM messages WHERE id = $3 RETURNING id",
              {branch_id, sql::Nullable(parent), source_id}));
      copies[source_id] = copy.at(0).Int(0);
    }
    TROUPE_RETURN_IF_ERROR(CopyMemories(*connection, conversation_id, up_to_message_id, branch_id, copies, now));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows result, connection->Query(SelectConversations("WHERE id = $1"), {branch_id}));
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return ReadConversation(result.front());
  }

  // The memories that still hold at the branch point: those covering no message, or only
  // messages up to it (their covered message becomes its copy). Oldest first, so the branch lists
  // them in the same order.
  static Status CopyMemories(sql::Connection& connection, int64_t conversation_id, int64_t up_to_message_id,
                             int64_t branch_id, const std::map<int64_t, int64_t>& copies, int64_t now) {
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows memories,
        connection.Query("SELECT kind, content, covers_until_message_id FROM memories WHERE conversation_id = $1 "
                         "AND (covers_until_message_id IS NULL OR covers_until_message_id <= $2) ORDER BY id",
                         {conversation_id, up_to_message_id}));
    for (const sql::Row& memory : memories) {
      std::optional<int64_t> covers;
      if (!memory.IsNull(2)) {
        auto it = copies.find(memory.Int(2));
        if (it == copies.end()) continue;  // another conversation's message (written outside the store)
        covers = it->second;
      }
      TROUPE_RETURN_IF_ERROR(
          connection
              .Exec("INSERT INTO memories (conversation_id, kind, content, covers_until_message_id, created_at, "
                    "updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
                    {branch_id, memory.Text(0), memory.Text(1), sql::Nullable(covers), now})
              .status());
    }
    return Status::Ok();
  }

  Status SetStatus(int64_t id, ConversationStatus status) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(int64_t changed,
                            connection->Exec("UPDATE conversations SET status = $2, updated_at = $3 WHERE id = $1",
                                             {id, std::string(ToString(status)), context_.Now()}));
    if (changed == 0) return NotFound("conversation " + std::to_string(id) + " not found");
    return Status::Ok();
  }

 private:
  Context context_;
};

}  // namespace

std::unique_ptr<ConversationRepository> NewConversationRepository(const Context& context) {
  return std::make_unique<Conversations>(context);
}

}  // namespace troupe::store::repo
