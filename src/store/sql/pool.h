// A bounded pool of connections; this is what makes every Store method thread-safe. Each call
// borrows one connection for its duration and gives it back (or drops it when it broke).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "base/status.h"
#include "store/sql/connection.h"

namespace troupe::store::sql {

class ConnectionPool;

// A borrowed connection; returns itself to the pool when destroyed.
class PooledConnection {
 public:
  PooledConnection(ConnectionPool* pool, std::unique_ptr<Connection> connection)
      : pool_(pool), connection_(std::move(connection)) {}
  PooledConnection(PooledConnection&&) noexcept = default;
  PooledConnection& operator=(PooledConnection&&) = delete;
  ~PooledConnection();

  Connection& operator*() { return *connection_; }
  Connection* operator->() { return connection_.get(); }

 private:
  ConnectionPool* pool_;
  std::unique_ptr<Connection> connection_;
};

class ConnectionPool {
 public:
  using Factory = std::function<Result<std::unique_ptr<Connection>>()>;

  // Opens connections lazily with `factory`, at most `max_size` at once.
  ConnectionPool(Factory factory, int max_size);

  // Waits for a free connection, opening one if the pool is not full. kUnavailable when a new
  // connection cannot be opened.
  Result<PooledConnection> Acquire();

  // Adds an already-open connection (Open's first one, which proved the database reachable).
  void Seed(std::unique_ptr<Connection> connection);

 private:
  friend class PooledConnection;
  void Release(std::unique_ptr<Connection> connection);

  Factory factory_;
  const int max_size_;
  std::mutex mutex_;  // guards idle_ and open_count_
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_count_ = 0;  // idle plus borrowed plus being opened
};

}  // namespace troupe::store::sql
