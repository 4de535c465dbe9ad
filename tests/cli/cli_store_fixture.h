// A migrated store on SQLite or on the shared PostgreSQL server, seeded by a test through the store
// and then driven through the real `troupe` binary with `--database` pointing at it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/store.h"
#include "support/postgres_server.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe::testing {

enum class CliBackend { kSqlite, kPostgres };

inline std::string CliBackendName(const ::testing::TestParamInfo<CliBackend>& info) {
  return info.param == CliBackend::kSqlite ? "sqlite" : "postgres";
}

class CliStoreTest : public ::testing::TestWithParam<CliBackend> {
 protected:
  void SetUp() override { OpenStore(GetParam()); }

  void OpenStore(CliBackend backend) {
    url_ = backend == CliBackend::kSqlite ? "sqlite://" + (dir_ / "troupe.db").string()
                                          : PostgresServer::Shared().CreateDatabase();
    ASSERT_FALSE(url_.empty());
    store::StoreOptions options;
    options.url = url_;
    Result<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->Migrate().ok());
  }

  ProcessResult Troupe(std::vector<std::string> args) {
    args.insert(args.begin(), TroupeBinary());
    args.push_back("--database");
    args.push_back(url_);
    return RunProcess(args, {{"TROUPE_DATA", dir_.path().string()}, {"TROUPE_LOG_LEVEL", "warn"}});
  }

  TempDir dir_;
  std::string url_;
  std::unique_ptr<store::Store> store_;
};

}  // namespace troupe::testing
