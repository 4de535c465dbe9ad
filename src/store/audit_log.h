// The audit log of administrative actions.
// Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  virtual Result<AuditEntry> Record(AuditEntry entry) = 0;
  virtual Result<Page<AuditEntry>> List(const PageRequest& page) = 0;  // newest first
};

}  // namespace troupe::store
