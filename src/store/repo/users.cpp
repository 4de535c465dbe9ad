// Users: the operator's end users, keyed by their own external id.
#include "store/repo/record_rows.h"
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

Status Validate(const User& user) {
  if (user.external_id.empty()) return InvalidArgument("external_id must not be empty", "external_id");
  return ValidateJson(user.metadata_json, "metadata_json");
}

Status Taken(const User& user, const Status& status) {
  if (status.code() != StatusCode::kConflict) return status;
  return FieldError(StatusCode::kConflict, "a user with external_id '" + user.external_id + "' already exists",
                    "external_id");
}

class Users final : public UserRepository {
 public:
  explicit Users(const Context& context) : context_(context) {}

  Result<User> Create(User user) override {
    TROUPE_RETURN_IF_ERROR(Validate(user));
    user.created_at = user.updated_at = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    Result<sql::Rows> rows = connection->Query(
        "INSERT INTO users (external_id, display_name, segment, metadata_json, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        {user.external_id, user.display_name, user.segment, user.metadata_json, user.created_at,
         user.updated_at});
    if (!rows.ok()) return Taken(user, rows.status());
    user.id = rows->at(0).Int(0);
    return user;
  }

  Result<User> Get(int64_t id) override {
    return GetWhere("id = $1", id, "user " + std::to_string(id) + " not found");
  }

  Result<User> GetByExternalId(std::string_view external_id) override {
    return GetWhere("external_id = $1", std::string(external_id),
                    "no user with external_id '" + std::string(external_id) + "'");
  }

  Result<User> Update(User user) override {
    TROUPE_RETURN_IF_ERROR(Validate(user));
    user.updated_at = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    Result<sql::Rows> rows = connection->Query(
        "UPDATE users SET external_id = $2, display_name = $3, segment = $4, metadata_json = $5, "
        "updated_at = $6 WHERE id = $1 RETURNING " + std::string(kUserColumns),
        {user.id, user.external_id, user.display_name, user.segment, user.metadata_json, user.updated_at});
    if (!rows.ok()) return Taken(user, rows.status());
    if (rows->empty()) return NotFound("user " + std::to_string(user.id) + " not found");
    return ReadUser(rows->front());
  }

  Result<Page<User>> List(const PageRequest& page) override {
    return PageByAscendingId<User>(context_, "SELECT " + std::string(kUserColumns) + " FROM users", "", {}, page,
                                   ReadUser);
  }

 private:
  Result<User> GetWhere(std::string_view condition, sql::Value key, std::string not_found) {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("SELECT " + std::string(kUserColumns) + " FROM users WHERE " + std::string(condition),
                          {std::move(key)}));
    if (rows.empty()) return NotFound(std::move(not_found));
    return ReadUser(rows.front());
  }

  Context context_;
};

}  // namespace

std::unique_ptr<UserRepository> NewUserRepository(const Context& context) {
  return std::make_unique<Users>(context);
}

}  // namespace troupe::store::repo
