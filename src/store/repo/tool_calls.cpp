// The tool-call audit: append-only rows, read per conversation oldest first or across
// conversations newest first.
#include <cmath>

#include "store/repo/record_rows.h"
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

Status Validate(const ToolCallRecord& call) {
  if (call.tool.empty()) return InvalidArgument("tool must not be empty", "tool");
  if (call.outcome.empty()) return InvalidArgument("outcome must not be empty", "outcome");
  TROUPE_RETURN_IF_ERROR(ValidateJson(call.arguments_json, "arguments_json"));
  // SQLite would store NaN as NULL and PostgreSQL keep it: refused so both backends agree.
  if (!std::isfinite(call.latency_ms) || call.latency_ms < 0) {
    return InvalidArgument("latency_ms must be a finite number >= 0", "latency_ms");
  }
  if (call.attempts < 0) return InvalidArgument("attempts must not be negative", "attempts");
  return Status::Ok();
}

// kNotFound naming the field when the conversation, or the message within it, does not exist.
Status CheckReferences(sql::Connection& connection, const ToolCallRecord& call) {
  TROUPE_ASSIGN_OR_RETURN(sql::Rows conversation,
                          connection.Query("SELECT 1 FROM conversations WHERE id = $1", {call.conversation_id}));
  if (conversation.empty()) {
    return FieldError(StatusCode::kNotFound, "conversation " + std::to_string(call.conversation_id) + " not found",
                      "conversation_id");
  }
  if (!call.message_id) return Status::Ok();
  TROUPE_ASSIGN_OR_RETURN(sql::Rows message,
                          connection.Query("SELECT 1 FROM messages WHERE id = $1 AND conversation_id = $2",
                                           {*call.message_id, call.conversation_id}));
  if (message.empty()) {
    return FieldError(StatusCode::kNotFound,
                      "message " + std::to_string(*call.message_id) + " not found in conversation " +
                          std::to_string(call.conversation_id),
                      "message_id");
  }
  return Status::Ok();
}

class ToolCalls final : public ToolCallRepository {
 public:
  explicit ToolCalls(const Context& context) : context_(context) {}

  Result<ToolCallRecord> Record(ToolCallRecord call) override {
    TROUPE_RETURN_IF_ERROR(Validate(call));
    call.created_at = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_RETURN_IF_ERROR(CheckReferences(*connection, call));
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("INSERT INTO tool_calls (conversation_id, message_id, call_id, tool, intent, arguments_json, "
                          "method, url, http_status, outcome, error, latency_ms, attempts, created_at) "
                          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
                          {call.conversation_id, sql::Nullable(call.message_id), call.call_id, call.tool, call.intent,
                           call.arguments_json, call.method, call.url, int64_t{call.http_status}, call.outcome,
                           call.error, call.latency_ms, int64_t{call.attempts}, call.created_at}));
    call.id = rows.at(0).Int(0);
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return call;
  }

  Result<Page<ToolCallRecord>> ListForConversation(int64_t conversation_id, const PageRequest& page) override {
    return PageByAscendingId<ToolCallRecord>(context_, "SELECT " + std::string(kToolCallColumns) + " FROM tool_calls",
                                             "conversation_id = $1", {conversation_id}, page, ReadToolCall);
  }

  Result<Page<ToolCallRecord>> List(const ToolCallFilter& filter, const PageRequest& page) override {
    const int limit = PageLimit(page);
    std::vector<sql::Value> params;
    std::string where = "TRUE";
    if (!page.cursor.empty()) {
      TROUPE_ASSIGN_OR_RETURN(std::vector<int64_t> keys, DecodeCursor(page.cursor, 1));
      where += " AND id < " + Bind(params, keys[0]);
    }
    if (!filter.tool.empty()) where += " AND tool = " + Bind(params, filter.tool);
    if (!filter.outcome.empty()) where += " AND outcome = " + Bind(params, filter.outcome);
    if (filter.since) where += " AND created_at >= " + Bind(params, *filter.since);
    if (filter.until) where += " AND created_at < " + Bind(params, *filter.until);
    const std::string limit_param = Bind(params, int64_t{limit + 1});
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + std::string(kToolCallColumns) + " FROM tool_calls WHERE " +
                                                  where + " ORDER BY id DESC LIMIT " + limit_param,
                                              params));
    std::vector<ToolCallRecord> calls;
    calls.reserve(rows.size());
    for (const sql::Row& row : rows) calls.push_back(ReadToolCall(row));
    return MakePage(std::move(calls), limit, [](const ToolCallRecord& call) { return std::vector<int64_t>{call.id}; });
  }

 private:
  Context context_;
};

}  // namespace

std::unique_ptr<ToolCallRepository> NewToolCallRepository(const Context& context) {
  return std::make_unique<ToolCalls>(context);
}

}  // namespace troupe::store::repo
