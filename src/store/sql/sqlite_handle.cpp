#include "store/sql/sqlite_handle.h"

#include <sqlite3.h>

#include <cctype>
#include <filesystem>
#include <system_error>

#include "store/sql/sqlite_connection.h"

namespace troupe::store::sql {
namespace {

// Queries built from optional filters make a bounded number of texts; the cap only guards against
// a caller that builds unbounded ones.
constexpr size_t kMaxCachedStatements = 256;

Status ErrorStatus(sqlite3* db, int code, std::string_view during) {
  const std::string message = std::string(during) + ": " + sqlite3_errmsg(db);
  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Conflict(message);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return Conflict(message);
    default:
      break;
  }
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
      return Unavailable(message);
    case SQLITE_CONSTRAINT:
      // ON DELETE RESTRICT reports SQLITE_CONSTRAINT_TRIGGER rather than _FOREIGNKEY.
      if (std::string_view(sqlite3_errmsg(db)).starts_with("FOREIGN KEY")) return Conflict(message);
      return InvalidArgument(message);
    case SQLITE_ERROR:
      if (std::string_view(sqlite3_errmsg(db)).starts_with("no such table")) {
        return FailedPrecondition(message + " (the schema is not up to date; run 'troupe db migrate')");
      }
      break;
    default:
      break;
  }
  return Internal(message);
}

Value Cell(sqlite3_stmt* statement, int column) {
  switch (sqlite3_column_type(statement, column)) {
    case SQLITE_INTEGER: return static_cast<int64_t>(sqlite3_column_int64(statement, column));
    case SQLITE_FLOAT: return sqlite3_column_double(statement, column);
    case SQLITE_NULL: return nullptr;
    default: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
      const int size = sqlite3_column_bytes(statement, column);
      return std::string(text != nullptr ? text : "", static_cast<size_t>(size));
    }
  }
}

}  // namespace

void SqliteHandle::DatabaseCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void SqliteHandle::StatementFinalizer::operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }

SqliteHandle::~SqliteHandle() = default;

Result<std::unique_ptr<SqliteHandle>> SqliteHandle::Open(const SqliteOpenOptions& options) {
  const std::filesystem::path path(options.path);
  if (options.path != ":memory:" && path.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(path.parent_path(), error);
    if (error) {
      return Unavailable("cannot create the directory " + path.parent_path().string() +
                         " for the SQLite database " + options.path + ": " + error.message());
    }
  }
  sqlite3* raw = nullptr;
  const int code = sqlite3_open_v2(options.path.c_str(), &raw,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<SqliteHandle> handle(new SqliteHandle(raw));
  if (code != SQLITE_OK) {
    return Unavailable("cannot open the SQLite database " + options.path + ": " +
                       (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(code)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  const std::string synchronous = options.synchronous == "normal" ? "NORMAL" : "FULL";
  Status status = handle->ExecScript("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; "
                                     "PRAGMA synchronous = " + synchronous + ";");
  if (!status.ok()) return Unavailable("cannot use the SQLite database " + options.path + ": " + status.message());
  return handle;
}

Status SqliteHandle::ExecScript(std::string_view sql) {
  const std::string text(sql);
  char* error = nullptr;
  const int code = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &error);
  sqlite3_free(error);  // sqlite3_errmsg below holds the same text
  if (code != SQLITE_OK) return ErrorStatus(db_.get(), sqlite3_extended_errcode(db_.get()), "script");
  return Status::Ok();
}

int64_t SqliteHandle::Changes() const { return static_cast<int64_t>(sqlite3_changes(db_.get())); }

bool SqliteHandle::Autocommit() const { return sqlite3_get_autocommit(db_.get()) != 0; }

Result<bool> SqliteHandle::ReadOnly(std::string_view sql) {
  TROUPE_ASSIGN_OR_RETURN(sqlite3_stmt* prepared, Prepared(sql));
  return sqlite3_stmt_readonly(prepared) != 0;
}

Status SqliteHandle::Bind(sqlite3_stmt* statement, const std::vector<Value>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i + 1);
    const Value& value = params[i];
    int code = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(value)) {
      code = sqlite3_bind_null(statement, index);
    } else if (const auto* integer = std::get_if<int64_t>(&value)) {
      code = sqlite3_bind_int64(statement, index, *integer);
    } else if (const auto* real = std::get_if<double>(&value)) {
      code = sqlite3_bind_double(statement, index, *real);
    } else if (const auto* flag = std::get_if<bool>(&value)) {
      code = sqlite3_bind_int(statement, index, *flag ? 1 : 0);
    } else {
      const std::string& text = std::get<std::string>(value);
      code = sqlite3_bind_text64(statement, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    if (code != SQLITE_OK) return ErrorStatus(db_.get(), code, "binding parameter");
  }
  return Status::Ok();
}

// Preparing costs more than running the small indexed statements the repositories issue, and a
// connection sees the same few dozen texts over and over.
Result<sqlite3_stmt*> SqliteHandle::Prepared(std::string_view sql) {
  auto cached = statements_.find(sql);
  if (cached != statements_.end()) return cached->second.get();
  const std::string translated = TranslatePlaceholders(sql);
  sqlite3_stmt* raw = nullptr;
  const int code =
      sqlite3_prepare_v2(db_.get(), translated.c_str(), static_cast<int>(translated.size()), &raw, nullptr);
  StatementHandle statement(raw);
  if (code != SQLITE_OK) return ErrorStatus(db_.get(), sqlite3_extended_errcode(db_.get()), "prepare");
  if (statements_.size() >= kMaxCachedStatements) statements_.clear();
  return statements_.emplace(std::string(sql), std::move(statement)).first->second.get();
}

Status SqliteHandle::Run(std::string_view sql, const std::vector<Value>& params, Rows* rows) {
  TROUPE_ASSIGN_OR_RETURN(sqlite3_stmt* prepared, Prepared(sql));
  // Leaves the cached statement ready for its next use however this call ends.
  struct ResetOnExit {
    sqlite3_stmt* statement;
    ~ResetOnExit() {
      sqlite3_reset(statement);
      sqlite3_clear_bindings(statement);
    }
  } reset_on_exit{prepared};
  TROUPE_RETURN_IF_ERROR(Bind(prepared, params));
  int code = SQLITE_OK;
  while ((code = sqlite3_step(prepared)) == SQLITE_ROW) {
    if (rows == nullptr) continue;
    const int columns = sqlite3_column_count(prepared);
    std::vector<Value> cells;
    cells.reserve(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) cells.push_back(Cell(prepared, c));
    rows->emplace_back(std::move(cells));
  }
  if (code != SQLITE_DONE) return ErrorStatus(db_.get(), sqlite3_extended_errcode(db_.get()), "statement");
  return Status::Ok();
}

std::string TranslatePlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '$' && i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      out += '?';
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace troupe::store::sql
