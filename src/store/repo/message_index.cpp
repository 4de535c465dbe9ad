#include "store/repo/message_index.h"

#include <string_view>
#include <vector>

namespace troupe::store::repo {

MessageIndex::MessageIndex(const Context& context)
    : context_(context), batched_(!context.dialect->MessageIndexCatchUp().empty()) {}

void MessageIndex::Appended() {
  if (!batched_ || appended_since_catch_up_.fetch_add(1) + 1 < kBatch) return;
  (void)CatchUp();
}

Status MessageIndex::ReadyFor(std::optional<int64_t> before_id) {
  if (!batched_) return Status::Ok();
  if (before_id && *before_id - 1 <= indexed_through_.load()) return Status::Ok();
  return CatchUp();
}

Status MessageIndex::CatchUp() {
  appended_since_catch_up_.store(0);
  const std::vector<std::string_view> statements = context_.dialect->MessageIndexCatchUp();
  TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
  TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
  sql::Rows through;
  for (std::string_view statement : statements) {
    TROUPE_ASSIGN_OR_RETURN(through, connection->Query(statement, {}));
  }
  TROUPE_RETURN_IF_ERROR(transaction.Commit());
  if (through.empty()) return Internal("the message index has no watermark row (migration 0003)");
  const int64_t now_through = through.front().Int(0);
  // Another thread's catch-up may have gone further meanwhile: keep the larger.
  int64_t seen = indexed_through_.load();
  while (seen < now_through && !indexed_through_.compare_exchange_weak(seen, now_through)) {
  }
  return Status::Ok();
}

}  // namespace troupe::store::repo
