#include "cli/context.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "cli/logging.h"

namespace troupe::cli {

Result<const config::LoadedConfig*> CommandContext::Configuration() {
  if (!loaded_) {
    config::LoadRequest request;
    request.environment = config::TroupeEnvironment();
    request.file = config_file;
    if (!request.file) {
      auto from_environment = request.environment.find("TROUPE_CONFIG");
      if (from_environment != request.environment.end()) request.file = from_environment->second;
    }
    request.flags = flags.values;
    request.flag_names = flags.names;
    TROUPE_ASSIGN_OR_RETURN(config::LoadedConfig loaded, config::Load(request));
    loaded_ = std::move(loaded);
    ConfigureLogging(loaded_->config.log.level, loaded_->config.log.format, loaded_->config.log.redact_pii);
  }
  return &*loaded_;
}

Result<std::unique_ptr<store::Store>> CommandContext::ConnectStore() {
  TROUPE_ASSIGN_OR_RETURN(const config::LoadedConfig* loaded, Configuration());
  const config::Config& config = loaded->config;
  store::StoreOptions options;
  options.url = config.EffectiveStoreUrl();
  options.pool_size = config.store.pool_size;
  options.busy_timeout_ms = config.store.busy_timeout_ms;
  options.sqlite_synchronous = config.store.sqlite_synchronous;
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> opened, store::Store::Open(options));
  spdlog::debug("opened {} database {}", opened->backend(), opened->redacted_url());
  return opened;
}

Result<CommandContext::MigratedStore> CommandContext::ConnectAndMigrate() {
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> opened, ConnectStore());
  TROUPE_ASSIGN_OR_RETURN(std::vector<int> applied, opened->Migrate());
  return MigratedStore{std::move(opened), std::move(applied)};
}

Result<std::unique_ptr<store::Store>> CommandContext::OpenStore() {
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> opened, ConnectStore());
  Status schema = opened->CheckSchema();
  if (!schema.ok()) return schema.WithContext("run 'troupe db migrate'");
  return opened;
}

int CommandContext::Fail(const Status& status) {
  std::cerr << "troupe: error: " << status.message() << "\n";
  exit_code = ExitCodeFor(status.code());
  return exit_code;
}

}  // namespace troupe::cli
