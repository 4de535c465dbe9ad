// Segments: definitions in the segments table; membership is users.segment (segment_repository.h),
// counted and listed through the users_segment index.
#include <algorithm>
#include <set>

#include "store/repo/record_rows.h"
#include "store/repo/repositories.h"
#include "store/sql/connection.h"

namespace troupe::store::repo {
namespace {

constexpr std::string_view kSegmentColumns =
    "id, name, description, kind, definition_json, parent, result_json, created_at, updated_at, "
    "(SELECT COUNT(*) FROM users WHERE users.segment = segments.name)";

Segment ReadSegment(const sql::Row& row) {
  sql::RowReader read(row);
  Segment segment;
  segment.id = read.Int();
  segment.name = read.Text();
  segment.description = read.Text();
  segment.kind = read.Text();
  segment.definition_json = read.Text();
  segment.parent = read.Text();
  segment.result_json = read.Text();
  segment.created_at = read.Int();
  segment.updated_at = read.Int();
  segment.member_count = read.Int();
  return segment;
}

bool IsSegmentNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

Status ValidateSegment(const Segment& segment) {
  if (segment.name.empty() || segment.name.size() > 64 ||
      !std::all_of(segment.name.begin(), segment.name.end(), IsSegmentNameChar)) {
    return InvalidArgument("segment name must be 1 to 64 letters, digits, '_', '-' or '.'", "name");
  }
  if (segment.kind != "rules" && segment.kind != "kmeans" && segment.kind != "cluster") {
    return InvalidArgument("segment kind must be rules, kmeans or cluster", "kind");
  }
  TROUPE_RETURN_IF_ERROR(ValidateJson(segment.definition_json, "definition", false, JsonShape::kObject));
  return ValidateJson(segment.result_json, "result", false, JsonShape::kObject);
}

Status SegmentTaken(const Segment& segment, const Status& status) {
  if (status.code() != StatusCode::kConflict) return status;
  return FieldError(StatusCode::kConflict, "a segment named '" + segment.name + "' already exists", "name");
}

Status UnknownSegment(std::string_view name) {
  return FieldError(StatusCode::kNotFound, "segment '" + std::string(name) + "' not found", "name");
}

class Segments final : public SegmentRepository {
 public:
  explicit Segments(const Context& context) : context_(context) {}

  Result<Segment> Create(Segment segment) override {
    TROUPE_RETURN_IF_ERROR(ValidateSegment(segment));
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    return Insert(*connection, std::move(segment));
  }

  Status CreateAll(std::vector<Segment> segments) override {
    for (const Segment& segment : segments) TROUPE_RETURN_IF_ERROR(ValidateSegment(segment));
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    for (Segment& segment : segments) {
      TROUPE_RETURN_IF_ERROR(Insert(*connection, std::move(segment)).status());
    }
    return transaction.Commit();
  }

  Result<Segment> Get(std::string_view name) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + std::string(kSegmentColumns) + " FROM segments WHERE name = $1",
                                              {std::string(name)}));
    if (rows.empty()) return UnknownSegment(name);
    return ReadSegment(rows.front());
  }

  Result<Segment> Update(Segment segment) override {
    TROUPE_RETURN_IF_ERROR(ValidateSegment(segment));
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("UPDATE segments SET description = $2, definition_json = $3, result_json = $4, "
                          "updated_at = $5 WHERE name = $1 RETURNING " + std::string(kSegmentColumns),
                          {segment.name, segment.description, segment.definition_json, segment.result_json,
                           context_.Now()}));
    if (rows.empty()) return UnknownSegment(segment.name);
    return ReadSegment(rows.front());
  }

  Result<Page<Segment>> List(const PageRequest& page) override {
    return PageByAscendingId<Segment>(context_, "SELECT " + std::string(kSegmentColumns) + " FROM segments", "", {},
                                      page, ReadSegment);
  }

  Result<int64_t> Delete(std::string_view name) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    const std::vector<sql::Value> key = {std::string(name)};
    TROUPE_ASSIGN_OR_RETURN(
        int64_t emptied,
        connection->Exec("UPDATE users SET segment = '' WHERE segment = $1 OR segment IN "
                         "(SELECT name FROM segments WHERE parent = $1)",
                         key));
    TROUPE_ASSIGN_OR_RETURN(int64_t deleted,
                            connection->Exec("DELETE FROM segments WHERE name = $1 OR parent = $1", key));
    if (deleted == 0) return UnknownSegment(name);
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return emptied;
  }

  Result<Page<User>> Members(std::string_view name, const PageRequest& page) override {
    return PageByAscendingId<User>(context_, "SELECT " + std::string(kUserColumns) + " FROM users", "segment = $1",
                                   {std::string(name)}, page, ReadUser);
  }

  Result<SegmentAssignment> Assign(const std::map<std::string, std::vector<int64_t>>& members) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    SegmentAssignment report;
    for (const auto& [name, user_ids] : members) {
      TROUPE_RETURN_IF_ERROR(AssignOne(*connection, name, user_ids, report));
    }
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return report;
  }

 private:
  Result<Segment> Insert(sql::Connection& connection, Segment segment) {
    segment.created_at = segment.updated_at = context_.Now();
    Result<sql::Rows> rows = connection.Query(
        "INSERT INTO segments (name, description, kind, definition_json, parent, result_json, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        {segment.name, segment.description, segment.kind, segment.definition_json, segment.parent,
         segment.result_json, segment.created_at, segment.updated_at});
    if (!rows.ok()) return SegmentTaken(segment, rows.status());
    segment.id = rows->at(0).Int(0);
    segment.member_count = 0;
    return segment;
  }

  Status AssignOne(sql::Connection& connection, const std::string& name, const std::vector<int64_t>& user_ids,
                   SegmentAssignment& report) {
    TROUPE_ASSIGN_OR_RETURN(sql::Rows current, connection.Query("SELECT id FROM users WHERE segment = $1", {name}));
    std::set<int64_t> before;
    for (const sql::Row& row : current) before.insert(row.Int(0));
    const std::set<int64_t> after(user_ids.begin(), user_ids.end());
    TROUPE_RETURN_IF_ERROR(connection.Exec("UPDATE users SET segment = '' WHERE segment = $1", {name}).status());
    // In chunks: SQLite binds at most 32,766 parameters per statement.
    constexpr size_t kChunk = 500;
    const std::vector<int64_t> ids(after.begin(), after.end());
    const int64_t now = context_.Now();
    for (size_t start = 0; start < ids.size(); start += kChunk) {
      std::vector<sql::Value> params = {name, now};
      std::string list;
      for (size_t i = start; i < std::min(ids.size(), start + kChunk); ++i) {
        list += (list.empty() ? "" : ", ") + Bind(params, ids[i]);
      }
      TROUPE_ASSIGN_OR_RETURN(int64_t changed,
                              connection.Exec("UPDATE users SET segment = $1, updated_at = $2 WHERE id IN (" + list + ")",
                                              params));
      report.members += changed;
    }
    for (int64_t id : after) report.added += before.count(id) == 0 ? 1 : 0;
    for (int64_t id : before) report.removed += after.count(id) == 0 ? 1 : 0;
    return Status::Ok();
  }

  Context context_;
};

}  // namespace

std::unique_ptr<SegmentRepository> NewSegmentRepository(const Context& context) {
  return std::make_unique<Segments>(context);
}

}  // namespace troupe::store::repo
