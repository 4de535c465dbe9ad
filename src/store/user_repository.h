// End users: the people who talk to characters (see User in records.h).
// Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

class UserRepository {
 public:
  virtual ~UserRepository() = default;
  // Fills id/created_at/updated_at. kConflict if external_id is taken.
  virtual Result<User> Create(User user) = 0;
  virtual Result<User> Get(int64_t id) = 0;
  virtual Result<User> GetByExternalId(std::string_view external_id) = 0;
  virtual Result<User> Update(User user) = 0;  // by id; kNotFound if absent
  virtual Result<Page<User>> List(const PageRequest& page) = 0;
};

}  // namespace troupe::store
