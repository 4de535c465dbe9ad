// What the character remembers of a conversation: pinned notes, summaries and facts.
#include <algorithm>

#include "store/repo/record_rows.h"
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

std::vector<Memory> ReadMemoryRows(const sql::Rows& rows) {
  std::vector<Memory> memories;
  memories.reserve(rows.size());
  for (const sql::Row& row : rows) memories.push_back(ReadMemory(row));
  return memories;
}

std::string SelectMemories(std::string_view rest) {
  return "SELECT " + std::string(kMemoryColumns) + " FROM memories " + std::string(rest);
}

// The conversation ($1)'s newest summary; one that covers no message (written by hand) ranks below
// any that covers one.
std::string SelectLatestSummary() {
  return SelectMemories("WHERE conversation_id = $1 AND kind = 'summary' "
                        "ORDER BY COALESCE(covers_until_message_id, 0) DESC, id DESC LIMIT 1");
}

// The rules Create and Update share, apart from the ones that need the database.
Status ValidateFields(const Memory& m) {
  if (!ParseMemoryKind(ToString(m.kind))) return InvalidArgument("kind must be pinned, summary or fact", "kind");
  if (m.content.size() > MemoryRepository::kMaxMemoryBytes) {
    return InvalidArgument("content is longer than " + std::to_string(MemoryRepository::kMaxMemoryBytes) + " bytes",
                           "content");
  }
  const bool blank = std::all_of(m.content.begin(), m.content.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
  if (blank) return InvalidArgument("content must not be empty", "content");
  if (m.kind == MemoryKind::kPinned && m.covers_until_message_id) {
    return InvalidArgument("only summaries and facts cover messages", "covers_until_message_id");
  }
  return Status::Ok();
}

// kNotFound naming covers_until_message_id unless that message belongs to the conversation.
Status CheckCoveredMessage(sql::Connection& connection, const Memory& m) {
  if (!m.covers_until_message_id) return Status::Ok();
  TROUPE_ASSIGN_OR_RETURN(sql::Rows found,
                          connection.Query("SELECT 1 FROM messages WHERE id = $1 AND conversation_id = $2",
                                           {*m.covers_until_message_id, m.conversation_id}));
  if (found.empty()) {
    return FieldError(StatusCode::kNotFound,
                      "message " + std::to_string(*m.covers_until_message_id) + " not found in conversation " +
                          std::to_string(m.conversation_id),
                      "covers_until_message_id");
  }
  return Status::Ok();
}

class Memories final : public MemoryRepository {
 public:
  explicit Memories(const Context& context) : context_(context) {}

  Result<Memory> Create(Memory m) override {
    TROUPE_RETURN_IF_ERROR(ValidateFields(m));
    m.created_at = m.updated_at = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows conversation,
                            connection->Query("SELECT 1 FROM conversations WHERE id = $1", {m.conversation_id}));
    if (conversation.empty()) {
      return FieldError(StatusCode::kNotFound, "conversation " + std::to_string(m.conversation_id) + " not found",
                        "conversation_id");
    }
    TROUPE_RETURN_IF_ERROR(CheckCoveredMessage(*connection, m));
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("INSERT INTO memories (conversation_id, kind, content, covers_until_message_id, "
                          "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                          {m.conversation_id, std::string(ToString(m.kind)), m.content,
                           sql::Nullable(m.covers_until_message_id), m.created_at, m.updated_at}));
    m.id = rows.at(0).Int(0);
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return m;
  }

  Result<Memory> Get(int64_t id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query(SelectMemories("WHERE id = $1"), {id}));
    if (rows.empty()) return NotFound("memory " + std::to_string(id) + " not found");
    return ReadMemory(rows.front());
  }

  Result<std::vector<Memory>> ListForConversation(int64_t conversation_id, std::optional<MemoryKind> kind) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    Result<sql::Rows> rows =
        kind ? connection->Query(SelectMemories("WHERE conversation_id = $1 AND kind = $2 ORDER BY id"),
                                 {conversation_id, std::string(ToString(*kind))})
             : connection->Query(SelectMemories("WHERE conversation_id = $1 ORDER BY id"), {conversation_id});
    if (!rows.ok()) return rows.status();
    return ReadMemoryRows(*rows);
  }

  Result<Memory> Update(const Memory& m) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows found, connection->Query(SelectMemories("WHERE id = $1"), {m.id}));
    if (found.empty()) return NotFound("memory " + std::to_string(m.id) + " not found");
    // The stored kind and conversation rule; the caller's copies of them are not written.
    Memory updated = ReadMemory(found.front());
    updated.content = m.content;
    updated.covers_until_message_id = m.covers_until_message_id;
    updated.updated_at = context_.Now();
    TROUPE_RETURN_IF_ERROR(ValidateFields(updated));
    TROUPE_RETURN_IF_ERROR(CheckCoveredMessage(*connection, updated));
    TROUPE_RETURN_IF_ERROR(connection
                               ->Exec("UPDATE memories SET content = $2, covers_until_message_id = $3, "
                                      "updated_at = $4 WHERE id = $1",
                                      {updated.id, updated.content, sql::Nullable(updated.covers_until_message_id),
                                       updated.updated_at})
                               .status());
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return updated;
  }

  Status Delete(int64_t id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(int64_t deleted, connection->Exec("DELETE FROM memories WHERE id = $1", {id}));
    if (deleted == 0) return NotFound("memory " + std::to_string(id) + " not found");
    return Status::Ok();
  }

  Result<Memory> LatestSummary(int64_t conversation_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query(SelectLatestSummary(), {conversation_id}));
    if (rows.empty()) return NotFound("conversation " + std::to_string(conversation_id) + " has no summary");
    return ReadMemory(rows.front());
  }

  Result<PromptMemories> ForPrompt(int64_t conversation_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query(SelectMemories("WHERE conversation_id = $1 AND kind = 'pinned' UNION ALL SELECT " +
                                         std::string(kMemoryColumns) + " FROM (" + SelectLatestSummary() +
                                         ") AS latest"),
                          {conversation_id}));
    PromptMemories memories;
    for (const sql::Row& row : rows) {
      Memory memory = ReadMemory(row);
      if (memory.kind == MemoryKind::kSummary) {
        memories.summary = std::move(memory);
      } else {
        memories.pinned.push_back(std::move(memory));
      }
    }
    std::sort(memories.pinned.begin(), memories.pinned.end(),
              [](const Memory& a, const Memory& b) { return a.id < b.id; });
    return memories;
  }

  Result<std::vector<Memory>> Search(int64_t conversation_id, std::string_view free_text, int limit) override {
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, SearchConversationText(context_, "memories", kMemoryColumns, conversation_id,
                                                                   free_text, limit, std::nullopt));
    return ReadMemoryRows(rows);
  }

 private:
  Context context_;
};

}  // namespace

std::unique_ptr<MemoryRepository> NewMemoryRepository(const Context& context) {
  return std::make_unique<Memories>(context);
}

}  // namespace troupe::store::repo
