// Profile import: one user lookup, at most one user write and one profile write per good line.
#include "chat/customers/profile_import.h"

#include "chat/customers/profile_csv.h"

namespace troupe::chat::customers {
namespace {

// Store failures that say the database is gone, not that the line is wrong.
bool IsOutage(const Status& status) {
  return status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kFailedPrecondition ||
         status.code() == StatusCode::kInternal;
}

// Creates or updates the line's user; returns whether it was created.
Result<bool> WriteProfileRow(store::Store& store, const ProfileCsvRow& row, store::User& user) {
  Result<store::User> found = store.users().GetByExternalId(row.external_id);
  bool created = false;
  if (found.ok()) {
    user = std::move(found).value();
    if (row.display_name && *row.display_name != user.display_name) {
      user.display_name = *row.display_name;
      TROUPE_ASSIGN_OR_RETURN(user, store.users().Update(user));
    }
  } else if (found.status().code() == StatusCode::kNotFound) {
    store::User fresh;
    fresh.external_id = row.external_id;
    fresh.display_name = row.display_name.value_or("");
    TROUPE_ASSIGN_OR_RETURN(user, store.users().Create(std::move(fresh)));
    created = true;
  } else {
    return found.status();
  }
  TROUPE_ASSIGN_OR_RETURN(store::UserProfile profile, store.customers().GetProfile(user.id));
  nlohmann::json fields = nlohmann::json::parse(profile.profile_json, nullptr, /*allow_exceptions=*/false);
  if (!fields.is_object()) fields = nlohmann::json::object();
  fields.update(row.fields);
  TROUPE_RETURN_IF_ERROR(store.customers().PutProfile(user.id, fields.dump()).status());
  return created;
}

}  // namespace

Result<ProfileImportReport> ImportProfiles(store::Store& store, std::string_view csv_text) {
  TROUPE_ASSIGN_OR_RETURN(ProfileCsv csv, ParseProfileCsv(csv_text));
  ProfileImportReport report;
  report.lines = csv.lines_read;
  report.errors = std::move(csv.errors);
  for (const ProfileCsvColumn& column : csv.columns) report.columns[column.name] = ToString(column.type);
  for (const ProfileCsvRow& row : csv.rows) {
    store::User user;
    Result<bool> created = WriteProfileRow(store, row, user);
    if (!created.ok()) {
      if (IsOutage(created.status())) return created.status();
      report.errors.push_back("line " + std::to_string(row.line) + ": " + created.status().message());
      continue;
    }
    ++(*created ? report.created : report.updated);
  }
  report.failed = static_cast<int64_t>(report.errors.size());
  return report;
}

nlohmann::json ProfileImportReportJson(const ProfileImportReport& report) {
  return {{"lines", report.lines},     {"created", report.created}, {"updated", report.updated},
          {"failed", report.failed},   {"errors", report.errors},   {"columns", report.columns}};
}

}  // namespace troupe::chat::customers
