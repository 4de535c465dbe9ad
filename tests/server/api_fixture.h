// A real Troupe API for one test: a migrated store (SQLite in a temp dir, or a database on the
// test binary's PostgreSQL server), the API routes on a server on a free port, keys minted through
// the store, and a client that speaks to it over a socket.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/api/api.h"
#include "server/server_fixture.h"
#include "server/test_client.h"
#include "store/store.h"
#include "support/temp_dir.h"

namespace troupe::server::testing {

enum class Backend { kSqlite, kPostgres };
std::string BackendName(Backend backend);

struct MintedTestKey {
  std::string key;  // the bearer secret
  store::ApiKey record;
};

// A migrated SQLite store at dir/troupe.db, for tests of services beside the API; nullptr (with a
// test failure) when it cannot be opened or migrated.
std::unique_ptr<store::Store> OpenSqliteStore(const std::filesystem::path& dir);

// Rate limiting off: most tests send many requests with one key.
inline ApiOptions UnlimitedOptions() {
  ApiOptions options;
  options.rate_limit_per_second = 0;
  return options;
}

class ApiServer {
 public:
  // `before_routes` runs once the store is migrated and before the routes are built, so a test can
  // put things over the fixture's store into the options (the chat runtime). options.clock is also
  // the store's clock.
  // `server_options` may change the HTTP server's options (the background pool, limits) before it
  // starts.
  explicit ApiServer(Backend backend = Backend::kSqlite, ApiOptions options = UnlimitedOptions(),
                     std::function<void(store::Store&, ApiOptions&)> before_routes = {},
                     std::function<void(HttpServerOptions&)> server_options = {});
  ~ApiServer();

  bool ok() const { return server_ != nullptr; }
  store::Store& store() { return *store_; }
  uint16_t port() const { return server_->port(); }
  const std::vector<ApiRouteInfo>& routes() const { return routes_; }
  // ApiOptions::data_dir as the server has it (the fixture's temporary one unless the test gave one).
  const std::string& data_dir() const { return data_dir_; }

  MintedTestKey MintKey(std::vector<std::string> scopes, std::optional<int64_t> user_id = {});

  // One request on a fresh connection; `key` empty sends no Authorization header.
  ClientResponse Call(const std::string& method, const std::string& target, const std::string& key,
                      const std::string& json_body = {},
                      std::vector<std::pair<std::string, std::string>> headers = {});

  // Store-side fixtures.
  store::User MakeUser(const std::string& external_id);
  store::Character MakeCharacter(const std::string& name, bool published);
  store::Conversation MakeConversation(int64_t user_id, int64_t character_id);
  store::Message MakeMessage(int64_t conversation_id, const std::string& content);
  store::Job MakeJob(const std::string& kind);

 private:
  ::troupe::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::vector<ApiRouteInfo> routes_;
  std::string data_dir_;
  std::unique_ptr<RunningServer> server_;
};

// One call with `key`, EXPECTing `status`; the body parsed (null when empty).
nlohmann::json CallExpecting(ApiServer& server, const std::string& key, const std::string& method,
                             const std::string& target, const nlohmann::json& body, int status);
// Polls GET /api/v1/jobs/{id} until the job is neither queued nor running (a bound only a hang
// reaches) and returns it as the API shows it.
nlohmann::json WaitForFinishedJob(ApiServer& server, const std::string& key, int64_t job_id);

// ASSERT-free helpers for error bodies.
void ExpectApiError(const ClientResponse& response, int status, const std::string& code,
                    const std::string& field = {});

}  // namespace troupe::server::testing
