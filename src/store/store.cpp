// Store::Open: picks the backend from the URL, builds the pool, and wires the repositories.
#include "store/store.h"

#include "store/database_url.h"
#include "store/migrator.h"
#include "store/repo/repositories.h"
#include "store/sql/dialect.h"
#include "store/sql/pool.h"
#include "store/sql/postgres_connection.h"
#include "store/sql/sqlite_connection.h"
#include "store/sql/sqlite_writer.h"

namespace troupe::store {
namespace {

class SqlStore final : public Store {
 public:
  SqlStore(const StoreOptions& options, const sql::Dialect& dialect, std::unique_ptr<sql::ConnectionPool> pool,
           std::vector<Migration> migrations)
      : redacted_url_(RedactDatabaseUrl(options.url)),
        dialect_(dialect),
        clock_(options.clock != nullptr ? *options.clock : SystemClock::Instance()),
        pool_(std::move(pool)),
        migrator_(*pool_, dialect_, clock_, std::move(migrations)) {
    const repo::Context context{pool_.get(), &dialect_, &clock_};
    users_ = repo::NewUserRepository(context);
    api_keys_ = repo::NewApiKeyRepository(context);
    characters_ = repo::NewCharacterRepository(context);
    conversations_ = repo::NewConversationRepository(context);
    messages_ = repo::NewMessageRepository(context);
    memories_ = repo::NewMemoryRepository(context);
    feedback_ = repo::NewFeedbackRepository(context);
    jobs_ = repo::NewJobRepository(context);
    audit_ = repo::NewAuditLog(context);
    tool_calls_ = repo::NewToolCallRepository(context);
    kpis_ = repo::NewKpiRepository(context);
    user_data_ = repo::NewUserDataRepository(context);
    agents_ = repo::NewAgentRepository(context);
    customers_ = repo::NewCustomerRepository(context);
    segments_ = repo::NewSegmentRepository(context);
    campaigns_ = repo::NewCampaignRepository(context);
    eval_runs_ = repo::NewEvalRunRepository(context);
    experiments_ = repo::NewExperimentRepository(context);
    predictions_ = repo::NewPredictionRepository(context);
    analytics_ = repo::NewAnalyticsRepository(context);
  }

  std::string_view backend() const override { return dialect_.name(); }
  std::string redacted_url() const override { return redacted_url_; }

  Result<std::vector<int>> Migrate() override { return migrator_.Migrate(); }
  Result<MigrationReport> Migrations() override { return migrator_.Report(); }
  Status CheckSchema() override { return migrator_.Check(); }

  Status Ping() override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, pool_->Acquire());
    return connection->Query("SELECT 1", {}).status();
  }

  UserRepository& users() override { return *users_; }
  ApiKeyRepository& api_keys() override { return *api_keys_; }
  CharacterRepository& characters() override { return *characters_; }
  ConversationRepository& conversations() override { return *conversations_; }
  MessageRepository& messages() override { return *messages_; }
  MemoryRepository& memories() override { return *memories_; }
  FeedbackRepository& feedback() override { return *feedback_; }
  JobRepository& jobs() override { return *jobs_; }
  AuditLog& audit() override { return *audit_; }
  ToolCallRepository& tool_calls() override { return *tool_calls_; }
  KpiRepository& kpis() override { return *kpis_; }
  UserDataRepository& user_data() override { return *user_data_; }
  AgentRepository& agents() override { return *agents_; }
  CustomerRepository& customers() override { return *customers_; }
  SegmentRepository& segments() override { return *segments_; }
  CampaignRepository& campaigns() override { return *campaigns_; }
  EvalRunRepository& eval_runs() override { return *eval_runs_; }
  ExperimentRepository& experiments() override { return *experiments_; }
  PredictionRepository& predictions() override { return *predictions_; }
  AnalyticsRepository& analytics() override { return *analytics_; }

 private:
  const std::string redacted_url_;
  const sql::Dialect& dialect_;
  const Clock& clock_;
  std::unique_ptr<sql::ConnectionPool> pool_;  // before the repositories, which borrow from it
  Migrator migrator_;
  std::unique_ptr<UserRepository> users_;
  std::unique_ptr<ApiKeyRepository> api_keys_;
  std::unique_ptr<CharacterRepository> characters_;
  std::unique_ptr<ConversationRepository> conversations_;
  std::unique_ptr<MessageRepository> messages_;
  std::unique_ptr<MemoryRepository> memories_;
  std::unique_ptr<FeedbackRepository> feedback_;
  std::unique_ptr<JobRepository> jobs_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<ToolCallRepository> tool_calls_;
  std::unique_ptr<KpiRepository> kpis_;
  std::unique_ptr<UserDataRepository> user_data_;
  std::unique_ptr<AgentRepository> agents_;
  std::unique_ptr<CustomerRepository> customers_;
  std::unique_ptr<SegmentRepository> segments_;
  std::unique_ptr<CampaignRepository> campaigns_;
  std::unique_ptr<EvalRunRepository> eval_runs_;
  std::unique_ptr<ExperimentRepository> experiments_;
  std::unique_ptr<PredictionRepository> predictions_;
  std::unique_ptr<AnalyticsRepository> analytics_;
};

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  TROUPE_ASSIGN_OR_RETURN(DatabaseTarget target, ParseDatabaseUrl(options.url));
  if (options.pool_size < 1) return InvalidArgument("pool_size must be at least 1", "store.pool_size");
  if (options.sqlite_synchronous != "full" && options.sqlite_synchronous != "normal") {
    return InvalidArgument("sqlite_synchronous must be 'full' or 'normal'", "store.sqlite_synchronous");
  }
  const sql::Dialect* dialect = nullptr;
  sql::ConnectionPool::Factory factory;
  int pool_size = options.pool_size;
  if (target.backend == DatabaseTarget::Backend::kSqlite) {
    dialect = &sql::SqliteDialect();
    // Every connection to ":memory:" would be a database of its own, the writer's too.
    std::shared_ptr<sql::SqliteWriter> writer;
    if (target.location != ":memory:") {
      writer = std::make_shared<sql::SqliteWriter>(
          sql::SqliteOpenOptions{target.location, options.busy_timeout_ms, options.sqlite_synchronous});
    }
    const sql::SqliteSettings settings{target.location, options.busy_timeout_ms, options.sqlite_synchronous,
                                       std::move(writer)};
    factory = [settings] { return sql::OpenSqlite(settings); };
    // Every connection to ":memory:" would be a database of its own.
    if (target.location == ":memory:") pool_size = 1;
  } else {
    dialect = &sql::PostgresDialect();
    const sql::PostgresSettings settings{target.location, RedactDatabaseUrl(target.location),
                                         options.connect_timeout_seconds};
    factory = [settings] { return sql::OpenPostgres(settings); };
  }
  // The first connection is opened now so an unreachable database fails Open, not a later call.
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<sql::Connection> first, factory());
  auto pool = std::make_unique<sql::ConnectionPool>(std::move(factory), pool_size);
  pool->Seed(std::move(first));
  std::vector<Migration> migrations =
      options.migrations ? *options.migrations : BuiltInMigrations(dialect->name());
  return std::unique_ptr<Store>(std::make_unique<SqlStore>(options, *dialect, std::move(pool), std::move(migrations)));
}

}  // namespace troupe::store
