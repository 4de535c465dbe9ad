// What every command shares: the global flags, the configuration they resolve to, logging, and
// the store. Internal to src/cli.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "store/store.h"

namespace troupe::cli {

// Flag values by dotted config key, only for flags the user actually gave.
struct FlagValues {
  std::map<std::string, std::string> values;
  std::map<std::string, std::string> names;

  void Set(const std::string& key, const std::string& flag_name, const std::string& value) {
    values[key] = value;
    names[key] = flag_name;
  }
};

class CommandContext {
 public:
  std::optional<std::string> config_file;
  FlagValues flags;
  int exit_code = 0;

  // Loads the configuration (file, TROUPE_* environment, flags) and sets up logging from it.
  // Cached: later calls return the same result.
  Result<const config::LoadedConfig*> Configuration();

  // Connects to the configured database without looking at its schema.
  Result<std::unique_ptr<store::Store>> ConnectStore();
  // Connects and applies pending migrations; `applied` lists the versions this call applied.
  struct MigratedStore {
    std::unique_ptr<store::Store> store;
    std::vector<int> applied;
  };
  Result<MigratedStore> ConnectAndMigrate();
  // Connects and insists the schema is current (kFailedPrecondition otherwise: run `db migrate`).
  Result<std::unique_ptr<store::Store>> OpenStore();

  // Prints "troupe: error: ..." to stderr and returns the exit code for the status.
  int Fail(const Status& status);

 private:
  std::optional<config::LoadedConfig> loaded_;
};

}  // namespace troupe::cli
