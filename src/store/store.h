// Persistence for Troupe: one interface, two backends chosen by URL.
//
//   sqlite://PATH, sqlite:PATH or a plain file path  -> embedded SQLite (WAL, foreign keys on,
//                                                      busy timeout), the default
//   postgres://... or postgresql://...              -> PostgreSQL through libpq
//
// Each repository has its own header (user_repository.h, character_repository.h, ...); this one
// opens a store and hands them out. Every method is thread-safe: the store keeps a pool of
// connections and each call borrows one. Calls block the calling thread for the duration of
// their SQL (small, indexed statements). Failures come back as Status values: kUnavailable when
// the database cannot be reached, kNotFound for a missing row, kConflict for a uniqueness or
// version clash, kInvalidArgument for a record that breaks a rule (the field is named),
// kFailedPrecondition when the schema was written by a newer Troupe, kInternal otherwise. No
// exception leaves this module.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "store/agent_repository.h"
#include "store/api_key_repository.h"
#include "store/audit_log.h"
#include "store/campaign_repository.h"
#include "store/analytics_repository.h"
#include "store/eval_run_repository.h"
#include "store/experiment_repository.h"
#include "store/character_repository.h"
#include "store/conversation_repository.h"
#include "store/customer_repository.h"
#include "store/feedback_repository.h"
#include "store/job_repository.h"
#include "store/kpi_repository.h"
#include "store/memory_repository.h"
#include "store/message_repository.h"
#include "store/page.h"
#include "store/prediction_repository.h"
#include "store/records.h"
#include "store/segment_repository.h"
#include "store/tool_call_repository.h"
#include "store/user_data_repository.h"
#include "store/user_repository.h"

namespace troupe::store {

// One numbered schema change. Migrations are applied in version order, each in its own
// transaction together with its row in the schema_migrations table.
struct Migration {
  int version = 0;
  std::string name;
  std::string sql;
};

struct MigrationState {
  int version = 0;
  std::string name;
  bool applied = false;
  std::optional<int64_t> applied_at;
};

struct MigrationReport {
  std::string backend;
  int current_version = 0;  // highest applied
  int latest_version = 0;   // highest this build knows
  std::vector<MigrationState> migrations;
};

struct StoreOptions {
  std::string url;  // see the top of this file
  int pool_size = 4;
  int busy_timeout_ms = 5000;             // SQLite: wait this long for a lock
  std::string sqlite_synchronous = "full";  // SQLite PRAGMA synchronous: full | normal
  int connect_timeout_seconds = 5;        // PostgreSQL
  const Clock* clock = nullptr;           // nullptr = SystemClock
  // Replaces the built-in migrations of the backend; for tests of the migrator itself.
  std::optional<std::vector<Migration>> migrations;
};

class Store {
 public:
  virtual ~Store() = default;

  // Connects (creating the SQLite file and its directory if needed) but changes no schema.
  // kInvalidArgument (field store.url) for an unusable URL, kUnavailable if the database cannot
  // be reached, with the reason from the driver.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);

  virtual std::string_view backend() const = 0;  // "sqlite" or "postgres"
  // The URL with any password replaced by "***".
  virtual std::string redacted_url() const = 0;

  // Applies pending migrations and returns the versions applied. A failing migration is rolled
  // back and reported with its version and the database's message; kFailedPrecondition when the
  // database has a version this build does not know (written by a newer Troupe) or an applied
  // migration whose text changed. Safe to call from several nodes at once.
  virtual Result<std::vector<int>> Migrate() = 0;
  virtual Result<MigrationReport> Migrations() = 0;
  // Repository calls require an up-to-date schema: kFailedPrecondition otherwise.
  virtual Status CheckSchema() = 0;
  // A round trip to the database (for readiness checks).
  virtual Status Ping() = 0;

  virtual UserRepository& users() = 0;
  virtual ApiKeyRepository& api_keys() = 0;
  virtual CharacterRepository& characters() = 0;
  virtual ConversationRepository& conversations() = 0;
  virtual MessageRepository& messages() = 0;
  virtual MemoryRepository& memories() = 0;
  virtual FeedbackRepository& feedback() = 0;
  virtual JobRepository& jobs() = 0;
  virtual AuditLog& audit() = 0;
  virtual ToolCallRepository& tool_calls() = 0;
  // The rows the support KPIs are computed from (kpi_report.h).
  virtual KpiRepository& kpis() = 0;
  // One end user's data across every repository: export and erasure.
  virtual UserDataRepository& user_data() = 0;
  // Human agents' presence and the handed-off conversations assigned to them.
  virtual AgentRepository& agents() = 0;
  // End users as customers: profiles and interaction history; and the segments they belong to.
  virtual CustomerRepository& customers() = 0;
  virtual SegmentRepository& segments() = 0;
  // Engagement campaigns for segments of users.
  virtual CampaignRepository& campaigns() = 0;
  // Evaluation runs of characters on datasets.
  virtual EvalRunRepository& eval_runs() = 0;
  virtual ExperimentRepository& experiments() = 0;
  virtual PredictionRepository& predictions() = 0;
  // The sums and counts behind the web studio's analytics dashboards.
  virtual AnalyticsRepository& analytics() = 0;
};

// Replaces the password of a postgres:// URL or key=value conninfo with "***".
std::string RedactDatabaseUrl(std::string_view url);

}  // namespace troupe::store
