// The audit log of administrative actions.
// Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  virtual Result<AuditEntry> Record(AuditEntry entry) = 0;
  virtual Result<Page<AuditEntry>> List(const PageRequest& page) = 0;  // newest first
  // Whether any entry has this action: a durable "this happened once" for the whole database
  // (every node on it sees the same answer), e.g. the first-run install of the examples.
  virtual Result<bool> HasAction(std::string_view action) = 0;
};

}  // namespace troupe::store
