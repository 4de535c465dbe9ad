// API keys: only the prefix and the hash of each key are stored.
#include "store/repo/record_rows.h"
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

class ApiKeys final : public ApiKeyRepository {
 public:
  explicit ApiKeys(const Context& context) : context_(context) {}

  Result<ApiKey> Create(ApiKey key) override {
    if (key.prefix.empty()) return InvalidArgument("prefix must not be empty", "prefix");
    if (key.secret_hash.empty()) return InvalidArgument("secret_hash must not be empty", "secret_hash");
    key.created_at = context_.Now();
    key.last_used_at.reset();
    key.revoked_at.reset();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    if (key.user_id) {
      TROUPE_ASSIGN_OR_RETURN(sql::Rows user,
                              connection->Query("SELECT 1 FROM users WHERE id = $1", {*key.user_id}));
      if (user.empty()) {
        return FieldError(StatusCode::kNotFound, "user " + std::to_string(*key.user_id) + " not found",
                          "user_id");
      }
    }
    Result<sql::Rows> rows = connection->Query(
        "INSERT INTO api_keys (name, prefix, secret_hash, scopes, user_id, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        {key.name, key.prefix, key.secret_hash, EncodeStringArray(key.scopes), sql::Nullable(key.user_id),
         key.created_at});
    if (!rows.ok()) {
      if (rows.status().code() != StatusCode::kConflict) return rows.status();
      return FieldError(StatusCode::kConflict, "an API key with prefix '" + key.prefix + "' already exists",
                        "prefix");
    }
    key.id = rows->at(0).Int(0);
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return key;
  }

  Result<ApiKey> Get(int64_t id) override {
    return GetWhere("id = $1", id, "API key " + std::to_string(id) + " not found");
  }

  Result<ApiKey> GetByPrefix(std::string_view prefix) override {
    return GetWhere("prefix = $1", std::string(prefix), "no API key with prefix '" + std::string(prefix) + "'");
  }

  Result<Page<ApiKey>> List(const PageRequest& page) override {
    return PageByAscendingId<ApiKey>(context_, "SELECT " + std::string(kApiKeyColumns) + " FROM api_keys", "", {}, page,
                                     ReadApiKey);
  }

  Status Revoke(int64_t id) override {
    // COALESCE keeps the first revocation time, so revoking twice changes nothing.
    return UpdateOne("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1", id);
  }

  Status TouchLastUsed(int64_t id) override {
    return UpdateOne("UPDATE api_keys SET last_used_at = $2 WHERE id = $1", id);
  }

  Result<int64_t> CountActive() override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL", {}));
    return rows.at(0).Int(0);
  }

 private:
  Status UpdateOne(std::string_view statement, int64_t id) {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(int64_t changed, connection->Exec(statement, {id, context_.Now()}));
    if (changed == 0) return NotFound("API key " + std::to_string(id) + " not found");
    return Status::Ok();
  }

  Result<ApiKey> GetWhere(std::string_view condition, sql::Value key, std::string not_found) {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("SELECT " + std::string(kApiKeyColumns) + " FROM api_keys WHERE " + std::string(condition),
                          {std::move(key)}));
    if (rows.empty()) return NotFound(std::move(not_found));
    return ReadApiKey(rows.front());
  }

  Context context_;
};

}  // namespace

std::unique_ptr<ApiKeyRepository> NewApiKeyRepository(const Context& context) {
  return std::make_unique<ApiKeys>(context);
}

}  // namespace troupe::store::repo
