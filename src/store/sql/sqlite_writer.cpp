#include "store/sql/sqlite_writer.h"

#include <chrono>
#include <string>
#include <utility>

namespace troupe::store::sql {

namespace {
constexpr std::string_view kSavepoint = "SAVEPOINT troupe_writer";
constexpr std::string_view kReleaseSavepoint = "RELEASE troupe_writer";
constexpr std::string_view kUndoSavepoint = "ROLLBACK TO troupe_writer; RELEASE troupe_writer";
}  // namespace

struct SqliteWriter::Batch {
  bool closed = false;  // under mutex_
  Status outcome;       // under mutex_, once closed
};

SqliteWriter::SqliteWriter(SqliteOpenOptions options, int max_batch)
    : options_(std::move(options)), max_batch_(max_batch < 1 ? 1 : max_batch) {}

SqliteWriter::~SqliteWriter() = default;

Result<SqliteHandle*> SqliteWriter::Enter() {
  {
    std::unique_lock lock(mutex_);
    ++waiting_;
    // By the system clock: libstdc++ waits for a steady-clock deadline with
    // pthread_cond_clockwait, which g++ 12's ThreadSanitizer does not see.
    const auto deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(options_.busy_timeout_ms);
    const bool free = turn_free_.wait_until(lock, deadline, [this] { return !held_; });
    --waiting_;
    if (!free) {
      return Unavailable("the database is busy: this process's other writes held it for longer than " +
                         std::to_string(options_.busy_timeout_ms) + " ms (store.busy_timeout_ms)");
    }
    held_ = true;
  }
  Status begun = Begin();
  if (!begun.ok()) {
    Release();
    return begun;
  }
  return handle_.get();
}

// The turn's holder: opens the connection and the batch when there are none, then its savepoint.
Status SqliteWriter::Begin() {
  if (handle_ == nullptr) {
    Result<std::unique_ptr<SqliteHandle>> opened = SqliteHandle::Open(options_);
    if (!opened.ok()) return opened.status();
    handle_ = std::move(opened).value();
  }
  if (batch_ == nullptr) {
    TROUPE_RETURN_IF_ERROR(handle_->ExecScript("BEGIN IMMEDIATE"));
    batch_ = std::make_shared<Batch>();
    members_ = 0;
  }
  Status saved = handle_->ExecScript(kSavepoint);
  if (!saved.ok()) (void)CloseBatch(saved);
  return saved;
}

Status SqliteWriter::Leave(bool keep) {
  if (handle_->Autocommit()) {
    // SQLite rolled the whole batch back (an I/O error, a full disk or an interrupt during this
    // writer's statements): the writes of every writer in it are gone, and each is told so.
    Status lost = Unavailable("SQLite rolled the write transaction back after an error; nothing of it was stored");
    (void)CloseBatch(lost);
    Release();
    return keep ? lost : Status::Ok();
  }
  Status result = Status::Ok();
  if (keep) {
    result = handle_->ExecScript(kReleaseSavepoint);
    if (!result.ok()) keep = false;
  }
  if (!keep) {
    Status undone = handle_->ExecScript(kUndoSavepoint);
    if (!undone.ok()) {
      // The batch can no longer be trusted to hold only what its writers kept.
      Status failed = CloseBatch(undone);
      Release();
      return result.ok() ? Status::Ok() : failed;
    }
  } else {
    ++members_;
  }
  std::shared_ptr<Batch> mine = batch_;
  {
    std::unique_lock lock(mutex_);
    if (waiting_ > 0 && members_ < max_batch_) {
      // Others are about to write: leave the batch open for them; one of them commits it.
      held_ = false;
      lock.unlock();
      turn_free_.notify_one();
      if (!keep) return result;
      lock.lock();
      batch_closed_.wait(lock, [&mine] { return mine->closed; });
      return mine->outcome;
    }
  }
  Status outcome = CloseBatch(Status::Ok());
  Release();
  return keep ? outcome : result;
}

// Commits the open batch (`outcome` Ok) or rolls it back (with `outcome` the reason), and tells
// its waiting writers how it ended.
Status SqliteWriter::CloseBatch(Status outcome) {
  if (outcome.ok()) outcome = handle_->ExecScript("COMMIT");
  if (!handle_->Autocommit()) (void)handle_->ExecScript("ROLLBACK");
  std::shared_ptr<Batch> closing = std::move(batch_);
  members_ = 0;
  {
    std::lock_guard lock(mutex_);
    if (closing != nullptr) {
      closing->closed = true;
      closing->outcome = outcome;
    }
    if (outcome.ok()) ++committed_;
  }
  batch_closed_.notify_all();
  return outcome;
}

void SqliteWriter::Release() {
  {
    std::lock_guard lock(mutex_);
    held_ = false;
  }
  turn_free_.notify_one();
}

int64_t SqliteWriter::batches_committed() const {
  std::lock_guard lock(mutex_);
  return committed_;
}

int SqliteWriter::writers_waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

}  // namespace troupe::store::sql
