#include "server/api_fixture.h"

#include <chrono>
#include <thread>

#include <strings.h>

#include <algorithm>

#include "store/api_keys.h"
#include "support/postgres_server.h"

namespace troupe::server::testing {

std::unique_ptr<store::Store> OpenSqliteStore(const std::filesystem::path& dir) {
  store::StoreOptions options;
  options.url = "sqlite://" + (dir / "troupe.db").string();
  Result<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
  if (!opened.ok()) {
    ADD_FAILURE() << opened.status().ToString();
    return nullptr;
  }
  if (Result<std::vector<int>> migrated = (*opened)->Migrate(); !migrated.ok()) {
    ADD_FAILURE() << migrated.status().ToString();
    return nullptr;
  }
  return std::move(opened).value();
}

std::string BackendName(Backend backend) {
  return backend == Backend::kSqlite ? "sqlite" : "postgres";
}

ApiServer::ApiServer(Backend backend, ApiOptions options,
                     std::function<void(store::Store&, ApiOptions&)> before_routes,
                     std::function<void(HttpServerOptions&)> server_options_hook) {
  store::StoreOptions store_options;
  store_options.clock = options.clock;
  store_options.url = backend == Backend::kSqlite
                          ? "sqlite://" + (dir_ / "troupe.db").string()
                          : ::troupe::testing::PostgresServer::Shared().CreateDatabase();
  if (store_options.url.empty()) {
    ADD_FAILURE() << "no database";
    return;
  }
  Result<std::unique_ptr<store::Store>> opened = store::Store::Open(store_options);
  if (!opened.ok()) {
    ADD_FAILURE() << opened.status().ToString();
    return;
  }
  store_ = std::move(opened).value();
  if (Result<std::vector<int>> migrated = store_->Migrate(); !migrated.ok()) {
    ADD_FAILURE() << migrated.status().ToString();
    return;
  }
  // Avatars and card images are kept in the server's own temporary directory unless a test says.
  if (options.data_dir.empty()) options.data_dir = (dir_ / "data").string();
  data_dir_ = options.data_dir;
  if (before_routes) before_routes(*store_, options);
  Router router;
  routes_ = AddApiRoutes(router, *store_, options);
  HttpServerOptions server_options = TestOptions();
  server_options.body_limit_bytes = 8 << 20;  // the server's default: the largest allowed flow fits
  if (server_options_hook) server_options_hook(server_options);
  server_ = std::make_unique<RunningServer>(std::move(router), server_options);
}

ApiServer::~ApiServer() {
  if (server_) server_->StopAndJoin();
}

MintedTestKey ApiServer::MintKey(std::vector<std::string> scopes, std::optional<int64_t> user_id) {
  Result<store::MintedKey> minted = store::MintApiKey();
  EXPECT_TRUE(minted.ok());
  store::ApiKey key;
  key.name = "test";
  key.prefix = minted->prefix;
  key.secret_hash = minted->secret_hash;
  key.scopes = std::move(scopes);
  key.user_id = user_id;
  Result<store::ApiKey> created = store_->api_keys().Create(std::move(key));
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return {minted->key, created.ok() ? *created : store::ApiKey{}};
}

ClientResponse ApiServer::Call(const std::string& method, const std::string& target,
                               const std::string& key, const std::string& json_body,
                               std::vector<std::pair<std::string, std::string>> headers) {
  if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
  const bool typed = std::any_of(headers.begin(), headers.end(), [](const auto& header) {
    return strcasecmp(header.first.c_str(), "Content-Type") == 0;
  });
  if (!json_body.empty() && !typed) headers.emplace_back("Content-Type", "application/json");
  TestClient client(port());
  return client.Send(method, target, json_body, std::move(headers));
}

store::User ApiServer::MakeUser(const std::string& external_id) {
  store::User user;
  user.external_id = external_id;
  Result<store::User> created = store_->users().Create(user);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? *created : store::User{};
}

store::Character ApiServer::MakeCharacter(const std::string& name, bool published) {
  store::Character character;
  character.name = name;
  character.published = published;
  Result<store::Character> created = store_->characters().Create(character);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? *created : store::Character{};
}

store::Conversation ApiServer::MakeConversation(int64_t user_id, int64_t character_id) {
  store::Conversation conversation;
  conversation.user_id = user_id;
  conversation.character_id = character_id;
  Result<store::Conversation> created = store_->conversations().Create(conversation);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? *created : store::Conversation{};
}

store::Message ApiServer::MakeMessage(int64_t conversation_id, const std::string& content) {
  store::Message message;
  message.conversation_id = conversation_id;
  message.role = store::MessageRole::kAssistant;
  message.content = content;
  Result<store::Message> created = store_->messages().Append(message);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? *created : store::Message{};
}

store::Job ApiServer::MakeJob(const std::string& kind) {
  store::NewJob job;
  job.kind = kind;
  Result<store::Job> created = store_->jobs().Enqueue(job);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? *created : store::Job{};
}

void ExpectApiError(const ClientResponse& response, int status, const std::string& code,
                    const std::string& field) {
  EXPECT_EQ(response.status, status) << response.body;
  nlohmann::json body = response.Json();
  ASSERT_TRUE(body.is_object() && body.contains("error")) << response.body;
  EXPECT_EQ(body["error"]["code"], code) << response.body;
  if (!field.empty()) {
    EXPECT_EQ(body["error"].value("field", ""), field) << response.body;
  }
}

nlohmann::json CallExpecting(ApiServer& server, const std::string& key, const std::string& method,
                             const std::string& target, const nlohmann::json& body, int status) {
  ClientResponse response = server.Call(method, target, key, body.is_null() ? std::string() : body.dump());
  EXPECT_EQ(response.status, status) << method << " " << target << ": " << response.body;
  return response.body.empty() ? nlohmann::json() : response.Json();
}

nlohmann::json WaitForFinishedJob(ApiServer& server, const std::string& key, int64_t job_id) {
  nlohmann::json job;
  for (int i = 0; i < 6000; ++i) {
    job = CallExpecting(server, key, "GET", "/api/v1/jobs/" + std::to_string(job_id), nullptr, 200);
    if (job["status"] != "queued" && job["status"] != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return job;
}

}  // namespace troupe::server::testing
