// Imports customer profiles from CSV (profile_csv.h) into the store: each good line creates the
// user named by external_id if there is none, sets display_name when the line has one, and merges
// the line's fields into the user's profile (fields it does not name keep their values).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/store.h"

namespace troupe::chat::customers {

struct ProfileImportReport {
  int64_t lines = 0;    // data lines read
  int64_t created = 0;  // users created
  int64_t updated = 0;  // existing users whose profile was merged
  int64_t failed = 0;   // lines left out (errors holds why)
  std::vector<std::string> errors;  // "line 7: column age: 'abc' is not a number"
  nlohmann::json columns = nlohmann::json::object();  // profile column -> detected type
};

// kInvalidArgument (field "csv") when the file as a whole cannot be read; a store failure other
// than one line's own (the database unreachable) is returned as it is.
Result<ProfileImportReport> ImportProfiles(store::Store& store, std::string_view csv_text);

nlohmann::json ProfileImportReportJson(const ProfileImportReport& report);

}  // namespace troupe::chat::customers
