// Customers: profiles kept in user_profiles, and interaction history computed on read from the
// conversations, messages and feedback the store already holds (customer_repository.h). Each
// history figure is one correlated subquery over an index on user_id or conversation_id.
#include <nlohmann/json.hpp>

#include "store/repo/record_rows.h"
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

constexpr int64_t kThirtyDaysMillis = int64_t{30} * 24 * 60 * 60 * 1000;

// The user's messages, as a FROM clause over `users` in the outer query.
constexpr std::string_view kUsersMessages =
    "FROM messages m JOIN conversations c ON m.conversation_id = c.id WHERE c.user_id = users.id AND m.role = 'user'";

// After kUserColumns: the profile and the history figures, $1 being the start of the 30-day window.
std::string CustomerColumns(const sql::Dialect& dialect) {
  return std::string(kUserColumns) +
         ", (SELECT profile_json FROM user_profiles p WHERE p.user_id = users.id)"
         ", (SELECT updated_at FROM user_profiles p WHERE p.user_id = users.id)"
         ", (SELECT COUNT(*) FROM conversations c WHERE c.user_id = users.id)"
         ", (SELECT COUNT(*) " + std::string(kUsersMessages) + ")"
         ", (SELECT COUNT(*) " + std::string(kUsersMessages) + " AND m.created_at >= $1)"
         ", (SELECT MAX(m.created_at) " + std::string(kUsersMessages) + ")"
         ", (SELECT COUNT(*) FROM feedback_events f WHERE f.user_id = users.id AND f.kind = 'rating')"
         ", (SELECT COUNT(*) FROM conversations c WHERE c.user_id = users.id AND (c.status = 'handed_off' OR " +
         dialect.JsonAsText("c.metadata_json") + " LIKE '%\"handoff\"%'))";
}

Customer ReadCustomer(const sql::Row& row) {
  Customer customer;
  customer.user = ReadUser(row);
  size_t next = 7;  // the columns of kUserColumns
  customer.profile.user_id = customer.user.id;
  if (!row.IsNull(next)) customer.profile.profile_json = row.Text(next);
  customer.profile.updated_at = row.OptionalInt(next + 1).value_or(0);
  next += 2;
  UserActivity& activity = customer.activity;
  activity.user_id = customer.user.id;
  activity.first_seen = customer.user.created_at;
  activity.conversations = row.Int(next++);
  activity.messages_sent = row.Int(next++);
  activity.messages_30d = row.Int(next++);
  activity.last_active_at = row.OptionalInt(next++);
  activity.ratings_given = row.Int(next++);
  activity.handoffs = row.Int(next++);
  return customer;
}

Status UnknownCustomer(int64_t user_id) {
  return FieldError(StatusCode::kNotFound, "user " + std::to_string(user_id) + " not found", "user_id");
}

Status ValidateProfile(const std::string& profile_json) {
  TROUPE_RETURN_IF_ERROR(ValidateJson(profile_json, "profile", false, JsonShape::kObject));
  const nlohmann::json profile = nlohmann::json::parse(profile_json);
  for (const auto& [field, value] : profile.items()) {
    if (field.empty()) return InvalidArgument("profile field names must not be empty", "profile");
    if (!value.is_string() && !value.is_number() && !value.is_boolean()) {
      return InvalidArgument("profile field '" + field + "' must be a string, number, boolean or date", "profile");
    }
  }
  return Status::Ok();
}

class Customers final : public CustomerRepository {
 public:
  explicit Customers(const Context& context) : context_(context) {}

  Result<UserProfile> GetProfile(int64_t user_id) override {
    TROUPE_ASSIGN_OR_RETURN(Customer customer, GetCustomer(user_id, context_.Now()));
    return customer.profile;
  }

  Result<UserProfile> PutProfile(int64_t user_id, std::string profile_json) override {
    TROUPE_RETURN_IF_ERROR(ValidateProfile(profile_json));
    UserProfile profile{user_id, std::move(profile_json), context_.Now()};
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows user, connection->Query("SELECT 1 FROM users WHERE id = $1", {user_id}));
    if (user.empty()) return UnknownCustomer(user_id);
    Result<int64_t> written = connection->Exec(
        "INSERT INTO user_profiles (user_id, profile_json, updated_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (user_id) DO UPDATE SET profile_json = excluded.profile_json, updated_at = excluded.updated_at",
        {user_id, profile.profile_json, profile.updated_at});
    // The user was deleted between the check and the write.
    if (!written.ok() && written.status().code() == StatusCode::kConflict) return UnknownCustomer(user_id);
    if (!written.ok()) return written.status();
    return profile;
  }

  Result<UserActivity> Activity(int64_t user_id, int64_t now) override {
    TROUPE_ASSIGN_OR_RETURN(Customer customer, GetCustomer(user_id, now));
    return customer.activity;
  }

  Result<Page<Customer>> ListCustomers(const PageRequest& page, int64_t now) override {
    const int limit = PageLimit(page);
    int64_t after = 0;
    if (!page.cursor.empty()) {
      TROUPE_ASSIGN_OR_RETURN(std::vector<int64_t> keys, DecodeCursor(page.cursor, 1));
      after = keys[0];
    }
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + CustomerColumns(*context_.dialect) +
                                                  " FROM users WHERE id > $2 ORDER BY id LIMIT $3",
                                              {now - kThirtyDaysMillis, after, int64_t{limit + 1}}));
    std::vector<Customer> customers;
    customers.reserve(rows.size());
    for (const sql::Row& row : rows) customers.push_back(ReadCustomer(row));
    return MakePage(std::move(customers), limit,
                    [](const Customer& customer) { return std::vector<int64_t>{customer.user.id}; });
  }

 private:
  Result<Customer> GetCustomer(int64_t user_id, int64_t now) {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + CustomerColumns(*context_.dialect) +
                                                  " FROM users WHERE id = $2",
                                              {now - kThirtyDaysMillis, user_id}));
    if (rows.empty()) return UnknownCustomer(user_id);
    return ReadCustomer(rows.front());
  }

  Context context_;
};

}  // namespace

std::unique_ptr<CustomerRepository> NewCustomerRepository(const Context& context) {
  return std::make_unique<Customers>(context);
}

}  // namespace troupe::store::repo
