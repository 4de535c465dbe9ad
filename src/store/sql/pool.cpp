#include "store/sql/pool.h"

#include <algorithm>

namespace troupe::store::sql {

PooledConnection::~PooledConnection() {
  if (pool_ != nullptr && connection_ != nullptr) pool_->Release(std::move(connection_));
}

ConnectionPool::ConnectionPool(Factory factory, int max_size)
    : factory_(std::move(factory)), max_size_(std::max(1, max_size)) {}

void ConnectionPool::Seed(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  ++open_count_;
  idle_.push_back(std::move(connection));
}

Result<PooledConnection> ConnectionPool::Acquire() {
  {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_count_ < max_size_; });
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return PooledConnection(this, std::move(connection));
    }
    ++open_count_;  // reserve the slot, then open without holding the lock
  }
  Result<std::unique_ptr<Connection>> opened = factory_();
  if (!opened.ok()) {
    std::lock_guard lock(mutex_);
    --open_count_;
    available_.notify_one();
    return opened.status();
  }
  return PooledConnection(this, std::move(opened).value());
}

void ConnectionPool::Release(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  if (connection->Healthy()) {
    idle_.push_back(std::move(connection));
  } else {
    --open_count_;  // dropped; the next Acquire opens a fresh one
  }
  available_.notify_one();
}

}  // namespace troupe::store::sql
