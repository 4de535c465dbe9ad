// An end user's right of access and right to erasure through the API, on SQLite and PostgreSQL:
// GET /api/v1/users/{id}/export is one JSON archive of everything about them (for an operator, or
// for a client key on its own end user) with no secret and nothing of anyone else; DELETE
// /api/v1/users/{id} removes it all, search included, and the audit log says who did it without
// saying anything about the user.
#include <gtest/gtest.h>

#include "server/api_fixture.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

class UserPrivacyRoutesTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    api_ = std::make_unique<ApiServer>(GetParam());
    ASSERT_TRUE(api_->ok());
    admin_ = api_->MintKey({"admin"});
    character_ = api_->MakeCharacter("Juno", true);
  }

  ClientResponse Call(const std::string& method, const std::string& target, const std::string& body = {},
                      const std::string& key = "") {
    return api_->Call(method, target, key.empty() ? admin_.key : key, body);
  }

  // A user made through the API, with two conversations of messages holding `word`, a pinned
  // memory, a rating and a comment in each, and a client key bound to them (its secret returned).
  std::pair<int64_t, std::string> MakeUserWithData(const std::string& external_id, const std::string& word) {
    ClientResponse user = Call("POST", "/api/v1/users",
                               json{{"external_id", external_id}, {"display_name", external_id + " Doe"}}.dump());
    EXPECT_EQ(user.status, 201) << user.body;
    const int64_t id = user.Json().value("id", int64_t{0});
    for (int c = 0; c < 2; ++c) {
      ClientResponse conversation = Call(
          "POST", "/api/v1/conversations", json{{"user_id", id}, {"character_id", character_.id}}.dump());
      EXPECT_EQ(conversation.status, 201) << conversation.body;
      const int64_t conversation_id = conversation.Json().value("id", int64_t{0});
      const std::string path = "/api/v1/conversations/" + std::to_string(conversation_id);
      int64_t last = 0;
      for (int i = 0; i < 3; ++i) last = api_->MakeMessage(conversation_id, word + " story " + std::to_string(i)).id;
      EXPECT_EQ(Call("POST", path + "/memories", json{{"content", word + " keeps a diary"}}.dump()).status, 201);
      EXPECT_EQ(Call("POST", path + "/feedback", json{{"kind", "rating"}, {"message_id", last}, {"rating", 1}}.dump())
                    .status,
                201);
      EXPECT_EQ(Call("POST", path + "/feedback", json{{"kind", "comment"}, {"comment", "loved the " + word}}.dump())
                    .status,
                201);
    }
    ClientResponse key =
        Call("POST", "/api/v1/keys", json{{"name", external_id + " app"}, {"scopes", {"client"}}, {"user_id", id}}.dump());
    EXPECT_EQ(key.status, 201) << key.body;
    return {id, key.Json().value("key", std::string())};
  }

  std::unique_ptr<ApiServer> api_;
  MintedTestKey admin_;
  store::Character character_;
};

TEST_P(UserPrivacyRoutesTest, ExportIsOneArchiveOfEverythingAboutTheUserAndNothingElse) {
  const auto [mia, mia_key] = MakeUserWithData("mia", "lighthouse");
  const auto [noah, noah_key] = MakeUserWithData("noah", "volcano");
  const std::string path = "/api/v1/users/" + std::to_string(mia) + "/export";

  ClientResponse exported = Call("GET", path);
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_EQ(exported.Header("content-type"), "application/json");
  EXPECT_EQ(exported.Header("content-disposition"),
            "attachment; filename=\"user-" + std::to_string(mia) + "-export.json\"");
  const json archive = exported.Json();
  EXPECT_EQ(archive["format"], "troupe-user-export");
  EXPECT_EQ(archive["version"], 1);
  EXPECT_TRUE(archive["exported_at"].is_number_integer());
  EXPECT_EQ(archive["user"]["external_id"], "mia");
  EXPECT_EQ(archive["user"]["display_name"], "mia Doe");
  ASSERT_EQ(archive["conversations"].size(), 2u) << archive;
  for (const json& conversation : archive["conversations"]) {
    EXPECT_EQ(conversation["user_id"], mia);
    EXPECT_EQ(conversation["character_name"], "Juno");
    ASSERT_EQ(conversation["messages"].size(), 3u);
    EXPECT_EQ(conversation["messages"][0]["content"], "lighthouse story 0");
    ASSERT_EQ(conversation["memories"].size(), 1u);
    EXPECT_EQ(conversation["memories"][0]["content"], "lighthouse keeps a diary");
    ASSERT_EQ(conversation["feedback"].size(), 2u);
    EXPECT_EQ(conversation["feedback"][1]["comment"], "loved the lighthouse");
    EXPECT_TRUE(conversation["tool_calls"].is_array());
  }
  EXPECT_EQ(archive["feedback_elsewhere"], json::array());
  EXPECT_EQ(archive["profile"], json::object());
  EXPECT_EQ(archive["campaign_messages"], json::array());
  ASSERT_EQ(archive["api_keys"].size(), 1u);
  EXPECT_EQ(archive["api_keys"][0]["name"], "mia app");
  EXPECT_EQ(mia_key.find("trp_" + archive["api_keys"][0]["prefix"].get<std::string>() + "_"), 0u);
  // No secret of any kind, and nothing of Noah's.
  EXPECT_EQ(exported.body.find("secret_hash"), std::string::npos);
  EXPECT_EQ(exported.body.find(mia_key.substr(17)), std::string::npos);
  EXPECT_EQ(exported.body.find("volcano"), std::string::npos);
  EXPECT_EQ(exported.body.find("noah"), std::string::npos);

  // Her own client key reads the same archive; it cannot read Noah's, nor can agents or the studio.
  ClientResponse own = Call("GET", path, "", mia_key);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.Json()["conversations"], archive["conversations"]);
  ExpectApiError(Call("GET", "/api/v1/users/" + std::to_string(noah) + "/export", "", mia_key), 404, "not_found");
  EXPECT_EQ(Call("GET", path, "", api_->MintKey({"agent"}).key).status, 403);
  ExpectApiError(Call("GET", "/api/v1/users/999999/export"), 404, "not_found", "user_id");
}

TEST_P(UserPrivacyRoutesTest, DeleteRemovesEverythingAboutTheUserAndAuditsItWithoutTheirData) {
  const auto [mia, mia_key] = MakeUserWithData("mia", "lighthouse");
  const auto [noah, noah_key] = MakeUserWithData("noah", "volcano");
  const json before = Call("GET", "/api/v1/users/" + std::to_string(mia) + "/export").Json();
  const json noah_before = Call("GET", "/api/v1/users/" + std::to_string(noah) + "/export").Json();
  std::vector<std::string> conversations;
  for (const json& conversation : before["conversations"]) {
    conversations.push_back("/api/v1/conversations/" + std::to_string(conversation["id"].get<int64_t>()));
  }
  ASSERT_EQ(conversations.size(), 2u);
  ASSERT_EQ(Call("GET", conversations[0] + "/search?q=lighthouse").Json()["data"].size(), 3u);

  const std::string path = "/api/v1/users/" + std::to_string(mia);
  EXPECT_EQ(Call("DELETE", path, "", mia_key).status, 403);  // erasure is the operator's to do
  ClientResponse deleted = Call("DELETE", path);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.Json(), (json{{"user_id", mia},
                                  {"deleted",
                                   {{"conversations", 2},
                                    {"messages", 6},
                                    {"memories", 2},
                                    {"feedback_events", 4},
                                    {"tool_calls", 0},
                                    {"api_keys", 1},
                                    {"profiles", 0},
                                    {"campaign_messages", 0},
                                    {"jobs", 0}}},
                                  {"jobs_cancelled", 0}}));

  ExpectApiError(Call("GET", path), 404, "not_found");
  for (const std::string& conversation : conversations) {
    ExpectApiError(Call("GET", conversation), 404, "not_found");
    ExpectApiError(Call("GET", conversation + "/search?q=lighthouse"), 404, "not_found");
    const int64_t id = std::stoll(conversation.substr(conversation.rfind('/') + 1));
    Result<std::vector<store::Message>> found = api_->store().messages().Search(id, "lighthouse", 50);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    EXPECT_TRUE(found->empty());
  }
  ExpectApiError(Call("GET", path + "/export"), 404, "not_found", "user_id");
  ExpectApiError(api_->Call("GET", path, mia_key), 401, "unauthenticated");  // her key went with her
  ExpectApiError(Call("DELETE", path), 404, "not_found", "user_id");

  // Noah is untouched.
  EXPECT_EQ(Call("GET", "/api/v1/users/" + std::to_string(noah) + "/export").Json()["conversations"],
            noah_before["conversations"]);

  // The audit log names the operator's key, the action and the user's id; none of her data.
  Result<store::Page<store::AuditEntry>> entries = api_->store().audit().List({});
  ASSERT_TRUE(entries.ok());
  const store::AuditEntry* deletion = nullptr;
  for (const store::AuditEntry& entry : entries->items) {
    if (entry.action == "user.delete") deletion = &entry;
  }
  ASSERT_NE(deletion, nullptr);
  EXPECT_EQ(deletion->actor, "key:" + admin_.record.prefix);
  EXPECT_EQ(deletion->target_type, "user");
  EXPECT_EQ(deletion->target_id, std::to_string(mia));
  EXPECT_EQ(json::parse(deletion->details_json)["messages"], 6);
  EXPECT_EQ(deletion->details_json.find("mia"), std::string::npos);
  EXPECT_EQ(deletion->details_json.find("lighthouse"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, UserPrivacyRoutesTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::server::testing
