// /api/v1/keys: API key administration (admin only). The key itself is in the create response
// and nowhere else; the store keeps its hash.
#include <nlohmann/json.hpp>

#include "server/api/api_call.h"
#include "server/api/json_io.h"
#include "store/api_keys.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

Response ListKeys(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  Result<store::Page<store::ApiKey>> found = call.store.api_keys().List(*page);
  if (!found.ok()) return Response::Error(found.status());
  return Response::Json(PageJson(*found));
}

Response CreateKey(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  store::ApiKey key;
  if (auto name = reader.OptionalString("name")) key.name = std::move(*name);
  std::optional<std::vector<std::string>> scopes = OptionalStringArray(reader, "scopes");
  if (reader.ok() && !scopes) reader.Fail("scopes", "is required");
  if (auto user_id = reader.OptionalInt("user_id", 1)) key.user_id = *user_id;
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  key.scopes = std::move(*scopes);
  if (Status status = CheckScopes(key.scopes, "scopes"); !status.ok()) return Response::Error(status);
  if (key.user_id) {
    if (Result<store::User> user = call.store.users().Get(*key.user_id); !user.ok()) {
      if (user.status().code() == StatusCode::kNotFound) {
        return Response::Error(NotFoundField("user " + std::to_string(*key.user_id) + " not found", "user_id"));
      }
      return Response::Error(user.status());
    }
  }
  Result<store::MintedKey> minted = store::MintApiKey();
  if (!minted.ok()) return Response::Error(minted.status());
  key.prefix = minted->prefix;
  key.secret_hash = minted->secret_hash;
  Result<store::ApiKey> created = call.store.api_keys().Create(std::move(key));
  if (!created.ok()) return Response::Error(created.status());
  call.Audit("key.create", "api_key", created->id,
             {{"prefix", created->prefix}, {"scopes", created->scopes}});
  json out = ToJson(*created);
  out["key"] = minted->key;
  return Response::Json(out, 201);
}

Response GetKey(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "key_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<store::ApiKey> key = call.store.api_keys().Get(*id);
  if (!key.ok()) return Response::Error(key.status());
  return Response::Json(ToJson(*key));
}

Response RevokeKey(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "key_id");
  if (!id.ok()) return Response::Error(id.status());
  if (Status status = call.store.api_keys().Revoke(*id); !status.ok()) return Response::Error(status);
  Result<store::ApiKey> key = call.store.api_keys().Get(*id);
  if (!key.ok()) return Response::Error(key.status());
  call.Audit("key.revoke", "api_key", key->id, {{"prefix", key->prefix}});
  return Response::Json(ToJson(*key));
}

// Who is calling: the key (never its secret) and, for a client key, its end user. The web UI
// signs in with this and shows what the key's scopes allow.
Response Me(ApiCall& call) {
  json me = {{"key", ToJson(call.principal().key)}, {"user", nullptr}};
  if (call.as_client()) {
    Result<store::User> user = call.EndUser();
    if (!user.ok()) return Response::Error(user.status());
    me["user"] = ToJson(*user);
  }
  return Response::Json(me);
}

}  // namespace

void AddKeyRoutes(RouteTable& table) {
  table.push_back({"GET", "/api/v1/me", "getMe", "keys",
                   "The calling key (scopes, bound user) and, for client keys, the end user",
                   {kScopeStudio, kScopeAgent, kScopeClient}, false, {}, "", "Me", false, 200, Me});
  table.push_back({"GET", "/api/v1/keys", "listKeys", "keys", "List API keys (never their secrets)",
                   {}, false, {}, "", "ApiKey", true, 200, ListKeys});
  table.push_back({"POST", "/api/v1/keys", "createKey", "keys",
                   "Create an API key; the response holds the key, shown this once", {}, false, {},
                   "ApiKeyCreate", "ApiKeyCreated", false, 201, CreateKey});
  table.push_back({"GET", "/api/v1/keys/{key_id}", "getKey", "keys", "Get an API key", {}, false,
                   {}, "", "ApiKey", false, 200, GetKey});
  table.push_back({"DELETE", "/api/v1/keys/{key_id}", "revokeKey", "keys",
                   "Revoke an API key (idempotent); it stops working at once", {}, false, {}, "",
                   "ApiKey", false, 200, RevokeKey});
}

}  // namespace troupe::server::api
