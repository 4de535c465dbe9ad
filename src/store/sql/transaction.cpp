#include "store/sql/connection.h"

namespace troupe::store::sql {

Result<Transaction> Transaction::Begin(Connection& connection, TransactionMode mode) {
  TROUPE_RETURN_IF_ERROR(connection.Begin(mode));
  return Transaction(&connection);
}

Transaction::Transaction(Transaction&& other) noexcept : connection_(other.connection_) {
  other.connection_ = nullptr;
}

Transaction::~Transaction() {
  if (connection_ != nullptr) {
    // Best effort: a failed rollback leaves a broken connection, which the pool then discards.
    (void)connection_->Rollback();
  }
}

Status Transaction::Commit() {
  Connection* connection = connection_;
  connection_ = nullptr;
  if (connection == nullptr) return Internal("commit of a finished transaction");
  Status status = connection->Commit();
  if (!status.ok()) (void)connection->Rollback();
  return status;
}

}  // namespace troupe::store::sql
