#include <iostream>

#include <spdlog/spdlog.h>

#include "base/build_info.h"
#include "cli/commands.h"
#include "server/http_server.h"
#include "store/api_keys.h"

namespace troupe::cli {
namespace {

// On first start with no usable key, make an admin key so the operator can get in.
Status EnsureAdminKey(store::Store& database) {
  TROUPE_ASSIGN_OR_RETURN(int64_t active, database.api_keys().CountActive());
  if (active > 0) return Status::Ok();
  TROUPE_ASSIGN_OR_RETURN(store::MintedKey minted, store::MintApiKey());
  store::ApiKey key;
  key.name = "first admin key";
  key.prefix = minted.prefix;
  key.secret_hash = minted.secret_hash;
  key.scopes = {"admin"};
  TROUPE_ASSIGN_OR_RETURN(store::ApiKey created, database.api_keys().Create(std::move(key)));
  store::AuditEntry entry;
  entry.actor = "system";
  entry.action = "key.create";
  entry.target_type = "api_key";
  entry.target_id = std::to_string(created.id);
  TROUPE_ASSIGN_OR_RETURN(store::AuditEntry audited, database.audit().Record(entry));
  (void)audited;
  std::cout << "Created the first admin API key (it is shown only this once):\n\n    " << minted.key
            << "\n\nSend it as 'Authorization: Bearer <key>'; make more with 'troupe keys create'.\n"
            << std::flush;
  return Status::Ok();
}

server::HttpServerOptions ServerOptionsFrom(const config::ServerConfig& config) {
  server::HttpServerOptions options;
  options.listen = config.listen;
  options.io_threads = config.io_threads;
  options.body_limit_bytes = config.body_limit_bytes;
  options.request_timeout = std::chrono::seconds(config.request_timeout_seconds);
  options.shutdown_grace = std::chrono::seconds(config.shutdown_grace_seconds);
  options.sse_heartbeat = std::chrono::seconds(config.sse_heartbeat_seconds);
  options.version = std::string(Version());
  return options;
}

void Serve(CommandContext& context) {
  Result<const config::LoadedConfig*> loaded = context.Configuration();
  if (!loaded.ok()) {
    context.Fail(loaded.status());
    return;
  }
  const config::Config& config = (*loaded)->config;
  spdlog::info("troupe {} (commit {}) starting", Version(), GitCommit());

  // Bind first and take over SIGINT/SIGTERM at once, so a signal during start-up (a migration can
  // take a while) stops the server cleanly instead of killing the process mid-transaction.
  server::MetricsRegistry metrics;
  Result<std::unique_ptr<server::HttpServer>> http =
      server::HttpServer::Create(ServerOptionsFrom(config.server), server::Router(), metrics);
  if (!http.ok()) {
    context.Fail(http.status());
    return;
  }
  (*http)->StopOnSignals();

  Result<std::unique_ptr<store::Store>> opened = context.ConnectStore();
  if (!opened.ok()) {
    context.Fail(opened.status());
    return;
  }
  store::Store& database = **opened;
  Result<std::vector<int>> applied = database.Migrate();
  if (!applied.ok()) {
    context.Fail(applied.status());
    return;
  }
  for (int version : *applied) spdlog::info("applied database migration {:04d}", version);
  if (Status admin = EnsureAdminKey(database); !admin.ok()) {
    context.Fail(admin);
    return;
  }
  (*http)->AddReadinessCheck("database", [&database] { return database.Ping(); });
  spdlog::info("{} database {} ready; data directory {}", database.backend(), database.redacted_url(),
               config.data_dir);

  (*http)->Run();
  spdlog::info("stopped");
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandContext& context) {
  CLI::App* command = app.add_subcommand("serve", "Run the Troupe server until SIGINT or SIGTERM");
  AddSettingFlag(*command, context, "listen", "server.listen", "HTTP address HOST:PORT (port 0: any free port)");
  AddSettingFlag(*command, context, "io-threads", "server.io_threads", "threads serving HTTP");
  command->callback([&context] { Serve(context); });
}

}  // namespace troupe::cli
