#include "store/sql/sqlite_connection.h"

#include <utility>

#include "store/sql/sqlite_handle.h"
#include "store/sql/sqlite_writer.h"

namespace troupe::store::sql {
namespace {

// A pooled connection: reads on its own handle; write transactions, and writes outside a
// transaction, on the process's writer for the file (when it has one) in their turn.
class SqliteConnection final : public Connection {
 public:
  SqliteConnection(std::unique_ptr<SqliteHandle> own, std::shared_ptr<SqliteWriter> writer)
      : own_(std::move(own)), writer_(std::move(writer)) {}

  ~SqliteConnection() override {
    if (writing_ != nullptr) (void)writer_->Leave(false);
  }

  Result<Rows> Query(std::string_view sql, const std::vector<Value>& params) override {
    Rows rows;
    TROUPE_RETURN_IF_ERROR(Run(sql, params, &rows).status());
    return rows;
  }

  Result<int64_t> Exec(std::string_view sql, const std::vector<Value>& params) override {
    return Run(sql, params, nullptr);
  }

  Status ExecScript(std::string_view sql) override { return Active().ExecScript(sql); }

  Status Begin(TransactionMode mode) override {
    if (mode == TransactionMode::kWrite && writer_ != nullptr) {
      if (writing_ != nullptr || !own_->Autocommit()) return Internal("BEGIN inside a transaction");
      TROUPE_ASSIGN_OR_RETURN(writing_, writer_->Enter());
      return Status::Ok();
    }
    return own_->ExecScript(mode == TransactionMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
  }

  Status Commit() override {
    if (writing_ != nullptr) {
      writing_ = nullptr;
      return writer_->Leave(true);
    }
    return own_->ExecScript("COMMIT");
  }

  Status Rollback() override {
    if (writing_ != nullptr) {
      writing_ = nullptr;
      return writer_->Leave(false);
    }
    return own_->Autocommit() ? Status::Ok() : own_->ExecScript("ROLLBACK");
  }

  bool Healthy() const override { return true; }

 private:
  SqliteHandle& Active() { return writing_ != nullptr ? *writing_ : *own_; }

  // Runs one statement; the rows it changed. A write outside any transaction takes a turn on the
  // writer for itself.
  Result<int64_t> Run(std::string_view sql, const std::vector<Value>& params, Rows* rows) {
    if (writing_ == nullptr && writer_ != nullptr && own_->Autocommit()) {
      TROUPE_ASSIGN_OR_RETURN(bool read_only, own_->ReadOnly(sql));
      if (!read_only) {
        TROUPE_ASSIGN_OR_RETURN(SqliteHandle * handle, writer_->Enter());
        Status ran = handle->Run(sql, params, rows);
        const int64_t changes = handle->Changes();  // before the turn passes to another writer
        Status left = writer_->Leave(ran.ok());
        TROUPE_RETURN_IF_ERROR(ran);
        TROUPE_RETURN_IF_ERROR(left);
        return changes;
      }
    }
    SqliteHandle& handle = Active();
    TROUPE_RETURN_IF_ERROR(handle.Run(sql, params, rows));
    return handle.Changes();
  }

  std::unique_ptr<SqliteHandle> own_;
  std::shared_ptr<SqliteWriter> writer_;  // null: this connection writes on its own handle
  SqliteHandle* writing_ = nullptr;       // the writer's handle during this connection's write turn
};

}  // namespace

Result<std::unique_ptr<Connection>> OpenSqlite(const SqliteSettings& settings) {
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<SqliteHandle> handle,
                          SqliteHandle::Open({settings.path, settings.busy_timeout_ms, settings.synchronous}));
  return std::unique_ptr<Connection>(std::make_unique<SqliteConnection>(std::move(handle), settings.writer));
}

}  // namespace troupe::store::sql
