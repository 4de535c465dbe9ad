// A real PostgreSQL server for tests: a throwaway cluster on loopback in a temp dir, one per test
// binary, with a fresh database per test. Fails the test loudly when PostgreSQL is not installed:
// the PostgreSQL backend is never silently untested.
#pragma once

#include <filesystem>
#include <string>

namespace troupe::testing {

class PostgresServer {
 public:
  // The cluster of this test binary, started on first use and stopped at exit. Check ok().
  static PostgresServer& Shared();

  PostgresServer();
  ~PostgresServer();  // pg_ctl stop -m fast, then removes the directory
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  bool ok() const { return started_; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }

  // Creates a new, empty database and returns its postgres:// URL ("" and a test failure when
  // that fails).
  std::string CreateDatabase();

  // The URL of an existing database.
  std::string UrlFor(const std::string& database) const;

 private:
  bool Start();
  // Runs a PostgreSQL program as the cluster owner (the `postgres` user when we are root, since
  // initdb refuses to run as root), with output appended to the cluster's log.
  int RunAsOwner(const std::string& command_line) const;

  std::filesystem::path bin_dir_;
  std::filesystem::path dir_;
  int port_ = 0;
  bool started_ = false;
  bool as_postgres_user_ = false;
  std::string error_;
  int next_database_ = 0;
};

}  // namespace troupe::testing
