#include "support/postgres_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <system_error>
#include <vector>

namespace troupe::testing {
namespace {

// The newest /usr/lib/postgresql/<version>/bin holding initdb, or "" when none does.
std::filesystem::path FindBinDir() {
  std::vector<std::filesystem::path> candidates;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", error)) {
    if (std::filesystem::exists(entry.path() / "bin" / "initdb")) candidates.push_back(entry.path() / "bin");
  }
  if (candidates.empty()) return {};
  std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    return std::stoi(a.parent_path().filename().string()) < std::stoi(b.parent_path().filename().string());
  });
  return candidates.back();
}

// A port nobody listens on right now (the kernel picks it; a race with another process is
// possible, so Start retries).
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

std::string LogText(const std::filesystem::path& path) {  // "" when the log was never written
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

PostgresServer& PostgresServer::Shared() {
  static PostgresServer server;
  return server;
}

PostgresServer::PostgresServer() {
  started_ = Start();
  if (!started_) ADD_FAILURE() << "could not start a PostgreSQL test server: " << error_;
}

PostgresServer::~PostgresServer() {
  if (started_) RunAsOwner("pg_ctl -D " + (dir_ / "data").string() + " -m fast -w stop");
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

int PostgresServer::RunAsOwner(const std::string& command_line) const {
  const std::string prefix = as_postgres_user_ ? "runuser -u postgres -- " : "";
  const std::string command =
      prefix + (bin_dir_ / "").string() + command_line + " >> " + (dir_ / "server.log").string() + " 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool PostgresServer::Start() {
  bin_dir_ = FindBinDir();
  if (bin_dir_.empty()) {
    error_ = "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (install postgresql)";
    return false;
  }
  std::string pattern = (std::filesystem::temp_directory_path() / "troupe-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    error_ = "mkdtemp failed for " + pattern;
    return false;
  }
  dir_ = pattern;
  as_postgres_user_ = geteuid() == 0;
  if (as_postgres_user_) {
    const passwd* user = getpwnam("postgres");
    if (user == nullptr) {
      error_ = "running as root, and there is no 'postgres' user to own the test cluster";
      return false;
    }
    if (chown(dir_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      error_ = "cannot give " + dir_.string() + " to the postgres user";
      return false;
    }
  }
  const std::string data = (dir_ / "data").string();
  if (RunAsOwner("initdb -D " + data + " -A trust -U postgres -E UTF8 --locale=C --no-sync") != 0) {
    error_ = "initdb failed:\n" + LogText(dir_ / "server.log");
    return false;
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreeLoopbackPort();
    const std::string options = "-p " + std::to_string(port_) + " -k " + dir_.string() +
                                " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                                "-c full_page_writes=off -c max_connections=200";
    if (RunAsOwner("pg_ctl -D " + data + " -l " + (dir_ / "postgres.log").string() + " -w -t 60 -o \"" +
                   options + "\" start") == 0) {
      return true;
    }
  }
  error_ = "pg_ctl start failed:\n" + LogText(dir_ / "server.log") + LogText(dir_ / "postgres.log");
  return false;
}

std::string PostgresServer::UrlFor(const std::string& database) const {
  return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::CreateDatabase() {
  if (!started_) {
    ADD_FAILURE() << "the PostgreSQL test server is not running: " << error_;
    return "";
  }
  static std::mutex mutex;  // guards next_database_
  std::string name;
  {
    std::lock_guard lock(mutex);
    name = "test_" + std::to_string(getpid()) + "_" + std::to_string(++next_database_);
  }
  std::unique_ptr<PGconn, decltype(&PQfinish)> connection(PQconnectdb(UrlFor("postgres").c_str()), &PQfinish);
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    ADD_FAILURE() << "cannot connect to the test server: " << PQerrorMessage(connection.get());
    return "";
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> result(
      PQexec(connection.get(), ("CREATE DATABASE " + name).c_str()), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    ADD_FAILURE() << "CREATE DATABASE failed: " << PQerrorMessage(connection.get());
    return "";
  }
  return UrlFor(name);
}

}  // namespace troupe::testing
