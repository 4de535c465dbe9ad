// /api/v1/users/{user_id}/profile and /api/v1/users/import: end users as customers. A profile is
// the user's typed fields (set by operators and studio keys, read by a client key for its own end
// user) plus their interaction history, computed on read. Import takes a CSV of profiles
// (chat/customers/profile_csv.h) and answers with counts and the lines it left out.
#include <nlohmann/json.hpp>

#include "chat/customers/customer_fields.h"
#include "chat/customers/profile_import.h"
#include "server/api/api_call.h"
#include "server/api/json_io.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

int64_t CustomerClockNow(const ApiCall& call) {
  const Clock& clock = call.options.clock != nullptr ? *call.options.clock : SystemClock::Instance();
  return clock.NowMillis();
}

// The user of the path if this caller may see them (a client key: only its own end user).
Result<store::User> ProfileOwner(ApiCall& call) {
  TROUPE_ASSIGN_OR_RETURN(int64_t id, PathId(call.request, "user_id"));
  if (call.as_client()) {
    TROUPE_ASSIGN_OR_RETURN(store::User self, call.EndUser());
    if (self.id != id) return NotFoundField("user " + std::to_string(id) + " not found", "user_id");
    return self;
  }
  return call.store.users().Get(id);
}

Result<json> ProfileJson(ApiCall& call, const store::User& user) {
  const int64_t now = CustomerClockNow(call);
  TROUPE_ASSIGN_OR_RETURN(store::UserProfile profile, call.store.customers().GetProfile(user.id));
  TROUPE_ASSIGN_OR_RETURN(store::UserActivity activity, call.store.customers().Activity(user.id, now));
  return json{{"user_id", user.id},
              {"external_id", user.external_id},
              {"segment", user.segment},
              {"profile", json::parse(profile.profile_json)},
              {"updated_at", profile.updated_at == 0 ? json(nullptr) : json(profile.updated_at)},
              {"activity", chat::customers::ActivityJson(activity, now)}};
}

Response GetProfile(ApiCall& call) {
  Result<store::User> user = ProfileOwner(call);
  if (!user.ok()) return Response::Error(user.status());
  Result<json> body = ProfileJson(call, *user);
  if (!body.ok()) return Response::Error(body.status());
  return Response::Json(*body);
}

// PUT replaces the profile with body.profile; PATCH merges it in, a null value removing its field.
Response WriteProfile(ApiCall& call, bool merge) {
  Result<store::User> user = ProfileOwner(call);
  if (!user.ok()) return Response::Error(user.status());
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  const json* fields = reader.OptionalObject("profile");
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  if (fields == nullptr) return Response::Error(InvalidArgument("profile (an object) is required", "profile"));
  json profile = json::object();
  if (merge) {
    Result<store::UserProfile> current = call.store.customers().GetProfile(user->id);
    if (!current.ok()) return Response::Error(current.status());
    profile = json::parse(current->profile_json);
  }
  for (const auto& [field, value] : fields->items()) {
    if (value.is_null() && merge) {
      profile.erase(field);
    } else if (!value.is_string() && !value.is_number() && !value.is_boolean()) {
      return Response::Error(InvalidArgument("must be a string, number, boolean or date", "profile." + field));
    } else {
      profile[field] = value;
    }
  }
  Result<store::UserProfile> written = call.store.customers().PutProfile(user->id, profile.dump());
  if (!written.ok()) return Response::Error(written.status());
  call.Audit(merge ? "user.profile.patch" : "user.profile.put", "user", user->id,
             {{"fields", static_cast<int64_t>(fields->size())}});
  Result<json> answer = ProfileJson(call, *user);
  if (!answer.ok()) return Response::Error(answer.status());
  return Response::Json(*answer);
}

Response ImportProfiles(ApiCall& call) {
  const std::string content_type = std::string(call.request.Header("Content-Type").value_or(""));
  if (content_type.rfind("text/csv", 0) != 0) {
    return Response::Error(HttpError::UnsupportedMediaType("the body must be a CSV file (Content-Type: text/csv)"));
  }
  Result<chat::customers::ProfileImportReport> report = chat::customers::ImportProfiles(call.store, call.request.body);
  if (!report.ok()) return Response::Error(report.status());
  call.Audit("user.import", "user", 0,
             {{"lines", report->lines}, {"created", report->created}, {"updated", report->updated},
              {"failed", report->failed}});
  return Response::Json(chat::customers::ProfileImportReportJson(*report));
}

}  // namespace

void AddCustomerRoutes(RouteTable& table) {
  table.push_back({"GET", "/api/v1/users/{user_id}/profile", "getUserProfile", "customers",
                   "An end user's profile fields and interaction history (client keys: only their own)",
                   {kScopeStudio, kScopeClient}, false, {}, "", "UserProfile", false, 200, GetProfile});
  table.push_back({"PUT", "/api/v1/users/{user_id}/profile", "putUserProfile", "customers",
                   "Replace an end user's profile fields", {kScopeStudio}, false, {}, "UserProfileWrite",
                   "UserProfile", false, 200, [](ApiCall& call) { return WriteProfile(call, false); }});
  table.push_back({"PATCH", "/api/v1/users/{user_id}/profile", "patchUserProfile", "customers",
                   "Merge fields into an end user's profile (null removes a field)", {kScopeStudio}, false, {},
                   "UserProfileWrite", "UserProfile", false, 200, [](ApiCall& call) { return WriteProfile(call, true); }});
  table.push_back({"POST", "/api/v1/users/import", "importUserProfiles", "customers",
                   "Create or update end users and their profiles from a CSV (text/csv; header: external_id, "
                   "display_name?, profile columns)",
                   {kScopeStudio}, false, {}, "", "ProfileImport", false, 200, ImportProfiles});
}

}  // namespace troupe::server::api
