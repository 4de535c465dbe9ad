#include "store/sql/postgres_connection.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdio>
#include <cstring>

namespace troupe::store::sql {
namespace {

struct ConnectionCloser {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ConnectionHandle = std::unique_ptr<PGconn, ConnectionCloser>;
using ResultHandle = std::unique_ptr<PGresult, ResultClearer>;

// Type OIDs from pg_type.h (catalog headers are not part of libpq's public API). Strings go as
// "unknown" (0) so the server infers text, jsonb or whatever the context needs.
constexpr Oid kInt8Oid = 20;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kBoolOid = 16;

std::string TrimmedMessage(const char* text) {
  std::string message = text != nullptr ? text : "";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

Status ResultError(PGconn* connection, const PGresult* result) {
  const char* sqlstate_text = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = sqlstate_text != nullptr ? sqlstate_text : "";
  std::string message = TrimmedMessage(result != nullptr ? PQresultErrorMessage(result)
                                                         : PQerrorMessage(connection));
  if (message.empty()) message = TrimmedMessage(PQerrorMessage(connection));
  if (sqlstate == "23505" || sqlstate == "23503") return Conflict(message);  // unique, foreign key
  // Other constraints, and data exceptions such as a \u0000 jsonb rejects.
  if (sqlstate.starts_with("23") || sqlstate.starts_with("22")) return InvalidArgument(message);
  if (sqlstate == "42P01") {
    return FailedPrecondition(message + " (the schema is not up to date; run 'troupe db migrate')");
  }
  if (sqlstate.starts_with("08") || sqlstate.starts_with("57P") || sqlstate == "40001" ||
      sqlstate == "40P01" || sqlstate == "55P03" || PQstatus(connection) != CONNECTION_OK) {
    return Unavailable(message);
  }
  return Internal(message);
}

class PostgresConnection final : public Connection {
 public:
  explicit PostgresConnection(ConnectionHandle connection) : connection_(std::move(connection)) {}

  Result<Rows> Query(std::string_view sql, const std::vector<Value>& params) override {
    TROUPE_ASSIGN_OR_RETURN(ResultHandle result, Run(sql, params));
    Rows rows;
    const int row_count = PQntuples(result.get());
    const int column_count = PQnfields(result.get());
    rows.reserve(static_cast<size_t>(row_count));
    for (int r = 0; r < row_count; ++r) {
      std::vector<Value> cells;
      cells.reserve(static_cast<size_t>(column_count));
      for (int c = 0; c < column_count; ++c) {
        if (PQgetisnull(result.get(), r, c)) {
          cells.emplace_back(nullptr);
        } else {
          cells.emplace_back(std::string(PQgetvalue(result.get(), r, c),
                                         static_cast<size_t>(PQgetlength(result.get(), r, c))));
        }
      }
      rows.emplace_back(std::move(cells));
    }
    return rows;
  }

  Result<int64_t> Exec(std::string_view sql, const std::vector<Value>& params) override {
    TROUPE_ASSIGN_OR_RETURN(ResultHandle result, Run(sql, params));
    const char* changed = PQcmdTuples(result.get());
    int64_t count = 0;
    std::from_chars(changed, changed + std::strlen(changed), count);  // "" for non-row commands
    return count;
  }

  Status ExecScript(std::string_view sql) override {
    const std::string text(sql);
    ResultHandle result(PQexec(connection_.get(), text.c_str()));
    return Check(result.get());
  }

  Status Begin(TransactionMode) override { return ExecScript("BEGIN"); }
  Status Commit() override { return ExecScript("COMMIT"); }
  Status Rollback() override {
    if (PQtransactionStatus(connection_.get()) == PQTRANS_IDLE) return Status::Ok();
    return ExecScript("ROLLBACK");
  }
  bool Healthy() const override {
    return PQstatus(connection_.get()) == CONNECTION_OK &&
           PQtransactionStatus(connection_.get()) == PQTRANS_IDLE;
  }

 private:
  Status Check(const PGresult* result) {
    const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Status::Ok();
    return ResultError(connection_.get(), result);
  }

  Result<ResultHandle> Run(std::string_view sql, const std::vector<Value>& params) {
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<Oid> types(params.size(), 0);
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& value = params[i];
      if (std::holds_alternative<std::nullptr_t>(value)) continue;
      if (const auto* integer = std::get_if<int64_t>(&value)) {
        texts[i] = std::to_string(*integer);
        types[i] = kInt8Oid;
      } else if (const auto* real = std::get_if<double>(&value)) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.17g", *real);
        texts[i] = buffer;
        types[i] = kFloat8Oid;
      } else if (const auto* flag = std::get_if<bool>(&value)) {
        texts[i] = *flag ? "true" : "false";
        types[i] = kBoolOid;
      } else {
        texts[i] = std::get<std::string>(value);
        if (std::memchr(texts[i].data(), '\0', texts[i].size()) != nullptr) {
          return InvalidArgument("text parameter contains a NUL byte, which PostgreSQL rejects");
        }
      }
      values[i] = texts[i].c_str();
    }
    const std::string text(sql);
    ResultHandle result(PQexecParams(connection_.get(), text.c_str(), static_cast<int>(params.size()),
                                     types.data(), values.data(), nullptr, nullptr, /*resultFormat=*/0));
    TROUPE_RETURN_IF_ERROR(Check(result.get()));
    return result;
  }

  ConnectionHandle connection_;
};

void IgnoreNotice(void*, const char*) {}  // "relation already exists, skipping" and the like

}  // namespace

Result<std::unique_ptr<Connection>> OpenPostgres(const PostgresSettings& settings) {
  const std::string timeout = std::to_string(settings.connect_timeout_seconds);
  // expand_dbname=1: the "dbname" value may be a whole URL or conninfo string; connect_timeout
  // given after it applies unless the URL sets its own.
  const char* keywords[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {settings.conninfo.c_str(), timeout.c_str(), "troupe", nullptr};
  ConnectionHandle connection(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (connection == nullptr) return Unavailable("cannot allocate a PostgreSQL connection");
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return Unavailable("cannot connect to PostgreSQL at " + settings.redacted + ": " +
                       TrimmedMessage(PQerrorMessage(connection.get())));
  }
  PQsetNoticeProcessor(connection.get(), IgnoreNotice, nullptr);
  return std::unique_ptr<Connection>(std::make_unique<PostgresConnection>(std::move(connection)));
}

}  // namespace troupe::store::sql
