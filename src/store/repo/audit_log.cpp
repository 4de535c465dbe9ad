// The audit log: append-only, read newest first.
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

constexpr std::string_view kAuditLogColumns = "id, actor, action, target_type, target_id, details_json, created_at";

AuditEntry ReadEntry(const sql::Row& row) {
  sql::RowReader read(row);
  AuditEntry entry;
  entry.id = read.Int();
  entry.actor = read.Text();
  entry.action = read.Text();
  entry.target_type = read.Text();
  entry.target_id = read.Text();
  entry.details_json = read.Text();
  entry.created_at = read.Int();
  return entry;
}

class Audit final : public AuditLog {
 public:
  explicit Audit(const Context& context) : context_(context) {}

  Result<AuditEntry> Record(AuditEntry entry) override {
    if (entry.actor.empty()) return InvalidArgument("actor must not be empty", "actor");
    if (entry.action.empty()) return InvalidArgument("action must not be empty", "action");
    TROUPE_RETURN_IF_ERROR(ValidateJson(entry.details_json, "details_json"));
    entry.created_at = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("INSERT INTO audit_log (actor, action, target_type, target_id, details_json, created_at) "
                          "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                          {entry.actor, entry.action, entry.target_type, entry.target_id, entry.details_json,
                           entry.created_at}));
    entry.id = rows.at(0).Int(0);
    return entry;
  }

  Result<Page<AuditEntry>> List(const PageRequest& page) override {
    const int limit = PageLimit(page);
    std::vector<sql::Value> params;
    std::string where;
    if (!page.cursor.empty()) {
      TROUPE_ASSIGN_OR_RETURN(std::vector<int64_t> keys, DecodeCursor(page.cursor, 1));
      where = " WHERE id < " + Bind(params, keys[0]);
    }
    const std::string limit_param = Bind(params, int64_t{limit + 1});
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + std::string(kAuditLogColumns) + " FROM audit_log" + where +
                                                  " ORDER BY id DESC LIMIT " + limit_param,
                                              params));
    std::vector<AuditEntry> entries;
    for (const sql::Row& row : rows) entries.push_back(ReadEntry(row));
    return MakePage(std::move(entries), limit, [](const AuditEntry& e) { return std::vector<int64_t>{e.id}; });
  }

  Result<bool> HasAction(std::string_view action) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query("SELECT 1 FROM audit_log WHERE action = $1 LIMIT 1",
                                                              {std::string(action)}));
    return !rows.empty();
  }

 private:
  Context context_;
};

}  // namespace

std::unique_ptr<AuditLog> NewAuditLog(const Context& context) { return std::make_unique<Audit>(context); }

}  // namespace troupe::store::repo
