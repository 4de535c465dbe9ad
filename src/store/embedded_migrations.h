// The migration files of src/store/migrations, compiled into the library (generated source).
#pragma once

#include <string_view>
#include <vector>

namespace troupe::store::internal {

struct EmbeddedMigration {
  std::string_view backend;  // "sqlite" or "postgres"
  int version;
  std::string_view name;
  std::string_view sql;
};

// Every backend's migrations, in file-name order.
const std::vector<EmbeddedMigration>& EmbeddedMigrations();

}  // namespace troupe::store::internal
