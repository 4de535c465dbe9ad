// /api/v1/users: the end users of a chat service. Operators (admin) manage them; agents read them
// for the support console; a client key sees only the end user it acts for. Every end user's data
// can be exported (by an operator, or by a client key for its own end user: their right of access)
// and deleted whole (by an operator only).
#include <nlohmann/json.hpp>

#include "chat/reply_media.h"
#include "server/api/api_call.h"
#include "server/api/json_io.h"
#include "server/api/user_archive_json.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

void ReadUserFields(JsonObjectReader& reader, store::User& user) {
  if (auto value = reader.OptionalString("display_name")) user.display_name = std::move(*value);
  if (auto value = reader.OptionalString("segment")) user.segment = std::move(*value);
  if (auto value = OptionalJsonText(reader, "metadata", JsonShape::kObject)) {
    user.metadata_json = std::move(*value);
  }
}

Response ListUsers(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  Result<store::Page<store::User>> found = call.store.users().List(*page);
  if (!found.ok()) return Response::Error(found.status());
  return Response::Json(PageJson(*found));
}

Response CreateUser(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  store::User user;
  user.external_id = reader.RequireString("external_id");
  ReadUserFields(reader, user);
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  if (user.external_id.empty()) {
    return Response::Error(InvalidArgument("external_id must not be empty", "external_id"));
  }
  Result<store::User> created = call.store.users().Create(std::move(user));
  if (!created.ok()) return Response::Error(created.status());
  call.Audit("user.create", "user", created->id, {{"external_id", created->external_id}});
  return Response::Json(ToJson(*created), 201);
}

// The user, if this caller may see it (a client call: only its own end user; others are 404).
Result<store::User> VisibleUser(ApiCall& call, int64_t id) {
  if (call.as_client()) {
    TROUPE_ASSIGN_OR_RETURN(store::User self, call.EndUser());
    if (self.id != id) return NotFound("user " + std::to_string(id) + " not found");
    return self;
  }
  return call.store.users().Get(id);
}

Response GetUser(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "user_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<store::User> user = VisibleUser(call, *id);
  if (!user.ok()) return Response::Error(user.status());
  return Response::Json(ToJson(*user));
}

Response UpdateUser(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "user_id");
  if (!id.ok()) return Response::Error(id.status());
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  Result<store::User> current = call.store.users().Get(*id);
  if (!current.ok()) return Response::Error(current.status());
  store::User user = std::move(current).value();
  ReadUserFields(reader, user);
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  Result<store::User> updated = call.store.users().Update(std::move(user));
  if (!updated.ok()) return Response::Error(updated.status());
  call.Audit("user.update", "user", updated->id);
  return Response::Json(ToJson(*updated));
}

// Everything stored about the user, as one JSON document to save (user_archive_json.h). A client
// key reaches only its own end user (another answers 404, as GetUser).
Response ExportUser(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "user_id");
  if (!id.ok()) return Response::Error(id.status());
  if (call.as_client()) {
    if (Result<store::User> own = VisibleUser(call, *id); !own.ok()) return Response::Error(own.status());
  }
  Result<store::UserArchive> archive = call.store.user_data().Export(*id);
  if (!archive.ok()) return Response::Error(archive.status());
  const Clock& clock = call.options.clock != nullptr ? *call.options.clock : SystemClock::Instance();
  Response response = Response::Json(UserArchiveJson(*archive, clock.NowMillis()));
  response.WithHeader("Content-Disposition", "attachment; filename=\"user-" + std::to_string(*id) + "-export.json\"");
  call.Audit("user.export", "user", *id);
  return response;
}

// Deletes the user and everything about them in one transaction; the audit log keeps who did it and
// the counts, nothing of the user's own.
Response DeleteUser(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "user_id");
  if (!id.ok()) return Response::Error(id.status());
  // Their voice messages and pictures are files: the conversations are listed before the rows go.
  Result<std::vector<int64_t>> conversations = chat::ConversationIdsOf(call.store, *id);
  if (!conversations.ok()) return Response::Error(conversations.status());
  Result<store::DeletionReport> report = call.store.user_data().DeleteUser(*id);
  if (!report.ok()) return Response::Error(report.status());
  if (!call.options.data_dir.empty()) {
    chat::RemoveConversationMedia(std::filesystem::path(call.options.data_dir) / "media", *conversations);
  }
  json body = DeletionReportJson(*report);
  call.Audit("user.delete", "user", *id, body["deleted"]);
  return Response::Json(body);
}

}  // namespace

void AddUserRoutes(RouteTable& table) {
  table.push_back({"GET", "/api/v1/users", "listUsers", "users", "List end users, oldest first",
                   {kScopeAgent}, false, {}, "", "User", true, 200, ListUsers});
  table.push_back({"POST", "/api/v1/users", "createUser", "users", "Create an end user", {}, false,
                   {}, "UserCreate", "User", false, 201, CreateUser});
  table.push_back({"GET", "/api/v1/users/{user_id}", "getUser", "users",
                   "Get an end user (client keys: only their own)", {kScopeAgent, kScopeClient},
                   false, {}, "", "User", false, 200, GetUser});
  table.push_back({"PATCH", "/api/v1/users/{user_id}", "updateUser", "users",
                   "Change an end user's display name, segment or metadata", {}, false, {},
                   "UserUpdate", "User", false, 200, UpdateUser});
  table.push_back({"GET", "/api/v1/users/{user_id}/export", "exportUser", "users",
                   "Export everything stored about an end user as one JSON document (client keys: only their own)",
                   {kScopeClient}, false, {}, "", "UserExport", false, 200, ExportUser});
  table.push_back({"DELETE", "/api/v1/users/{user_id}", "deleteUser", "users",
                   "Delete an end user and everything stored about them, in one transaction", {}, false, {}, "",
                   "UserDeletion", false, 200, DeleteUser});
}

}  // namespace troupe::server::api
