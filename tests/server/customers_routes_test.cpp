// Customer profiles, CSV import and segments over a real socket, on SQLite and PostgreSQL: who may
// read and write a profile, the activity the profile shows, the import's counts and line errors,
// and segments defined, applied, listed, paged and deleted with users.segment following.
#include <gtest/gtest.h>

#include "server/api_fixture.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

class CustomerRoutesTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    api_ = std::make_unique<ApiServer>(GetParam());
    ASSERT_TRUE(api_->ok());
    admin_ = api_->MintKey({"admin"}).key;
  }

  ClientResponse Call(const std::string& method, const std::string& target, const std::string& body = {},
                      const std::string& key = "") {
    return api_->Call(method, target, key.empty() ? admin_ : key, body);
  }

  ClientResponse ImportCsv(const std::string& csv, const std::string& key = "") {
    return api_->Call("POST", "/api/v1/users/import", key.empty() ? admin_ : key, csv, {{"Content-Type", "text/csv"}});
  }

  std::string SegmentOf(const std::string& external_id) {
    Result<store::User> user = api_->store().users().GetByExternalId(external_id);
    EXPECT_TRUE(user.ok());
    return user.ok() ? user->segment : "?";
  }

  std::unique_ptr<ApiServer> api_;
  std::string admin_;
};

TEST_P(CustomerRoutesTest, ProfilesAreWrittenByStudioAndReadByTheirOwnClient) {
  const store::User ann = api_->MakeUser("ann");
  const store::User bob = api_->MakeUser("bob");
  const std::string path = "/api/v1/users/" + std::to_string(ann.id) + "/profile";
  const std::string studio = api_->MintKey({"studio"}).key;

  ClientResponse put = Call("PUT", path, R"({"profile":{"age":34,"vip":true,"joined":"2025-01-02"}})", studio);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.Json()["profile"], json({{"age", 34}, {"vip", true}, {"joined", "2025-01-02"}}));
  ClientResponse patched = Call("PATCH", path, R"({"profile":{"vip":null,"city":"Oslo"}})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.Json()["profile"], json({{"age", 34}, {"joined", "2025-01-02"}, {"city", "Oslo"}}));

  const store::Character character = api_->MakeCharacter("Juno", true);
  const store::Conversation conversation = api_->MakeConversation(ann.id, character.id);
  store::Message said;
  said.conversation_id = conversation.id;
  said.role = store::MessageRole::kUser;
  said.content = "hello";
  ASSERT_TRUE(api_->store().messages().Append(said).ok());
  api_->MakeMessage(conversation.id, "hi, Ann");
  ClientResponse read = Call("GET", path);
  ASSERT_EQ(read.status, 200) << read.body;
  const json activity = read.Json()["activity"];
  EXPECT_EQ(activity["conversations"], 1);
  EXPECT_EQ(activity["messages_sent"], 1);
  EXPECT_EQ(activity["frequency_30d"], 1);
  EXPECT_EQ(activity["recency_days"], 0);
  EXPECT_FALSE(activity["last_active_at"].is_null());
  EXPECT_EQ(read.Json()["external_id"], "ann");

  const std::string anns_client = api_->MintKey({"client"}, ann.id).key;
  EXPECT_EQ(Call("GET", path, "", anns_client).status, 200);
  ExpectApiError(Call("GET", "/api/v1/users/" + std::to_string(bob.id) + "/profile", "", anns_client), 404, "not_found");
  ExpectApiError(Call("PUT", path, R"({"profile":{}})", anns_client), 403, "permission_denied");
  ExpectApiError(Call("GET", path, "", api_->MintKey({"agent"}).key), 403, "permission_denied");
}

TEST_P(CustomerRoutesTest, BadProfilesNameTheirField) {
  const store::User ann = api_->MakeUser("ann");
  const std::string path = "/api/v1/users/" + std::to_string(ann.id) + "/profile";
  ExpectApiError(Call("PUT", path, R"({"profile":{"address":{"city":"Oslo"}}})"), 400, "invalid_argument",
                 "profile.address");
  ExpectApiError(Call("PUT", path, R"({"profile":[1]})"), 400, "invalid_argument", "profile");
  ExpectApiError(Call("PUT", path, R"({"fields":{}})"), 400, "invalid_argument", "fields");
  ExpectApiError(Call("GET", "/api/v1/users/999999/profile"), 404, "not_found");
}

TEST_P(CustomerRoutesTest, ImportCountsCreatedUpdatedAndLinesLeftOut) {
  api_->MakeUser("ann");
  ClientResponse imported = ImportCsv("external_id,display_name,age,vip\nann,Ann,34,true\nbob,Bob,abc,false\ncy,,41,\n");
  ASSERT_EQ(imported.status, 200) << imported.body;
  const json report = imported.Json();
  EXPECT_EQ(report["lines"], 3);
  EXPECT_EQ(report["created"], 1);
  EXPECT_EQ(report["updated"], 1);
  EXPECT_EQ(report["failed"], 1);
  EXPECT_EQ(report["errors"], json({"line 3: column age: 'abc' is not a number"}));
  EXPECT_EQ(report["columns"], json({{"age", "number"}, {"vip", "boolean"}}));
  Result<store::User> cy = api_->store().users().GetByExternalId("cy");
  ASSERT_TRUE(cy.ok());
  EXPECT_EQ(Call("GET", "/api/v1/users/" + std::to_string(cy->id) + "/profile").Json()["profile"], json({{"age", 41}}));

  ExpectApiError(ImportCsv("name,age\nx,1\n"), 400, "invalid_argument", "csv");
  ExpectApiError(Call("POST", "/api/v1/users/import", R"({"external_id":"x"})"), 415, "unsupported_media_type");
  ExpectApiError(ImportCsv("external_id\nx\n", api_->MintKey({"agent"}).key), 403, "permission_denied");
}

TEST_P(CustomerRoutesTest, RuleSegmentsAreAppliedListedAndPaged) {
  ASSERT_EQ(ImportCsv("external_id,spend\na,900\nb,10\nc,700\nd,800\n").status, 200);
  const std::string body =
      R"({"name":"big","description":"spend at least 500","rules":{"all":[{"field":"monetary","op":">=","value":500}],"monetary_field":"spend"}})";
  ClientResponse created = Call("POST", "/api/v1/segments", body);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Json()["kind"], "rules");
  EXPECT_EQ(created.Json()["member_count"], 0);
  ExpectApiError(Call("POST", "/api/v1/segments", body), 409, "conflict", "name");
  ExpectApiError(Call("POST", "/api/v1/segments", R"({"name":"x","rules":{"all":[{"field":"spend","op":"~","value":1}]}})"),
                 400, "invalid_argument", "rules.all[0].op");

  ClientResponse applied = Call("POST", "/api/v1/segments/big/apply");
  ASSERT_EQ(applied.status, 200) << applied.body;
  EXPECT_EQ(applied.Json()["members"], 3);
  EXPECT_EQ(applied.Json()["evaluated"], 4);
  EXPECT_EQ(SegmentOf("a"), "big");
  EXPECT_EQ(SegmentOf("b"), "");

  EXPECT_EQ(Call("GET", "/api/v1/segments/big").Json()["member_count"], 3);
  ClientResponse page = Call("GET", "/api/v1/segments/big/members?limit=2");
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_EQ(page.Json()["data"].size(), 2u);
  EXPECT_EQ(page.Json()["data"][0]["external_id"], "a");
  const std::string cursor = page.Json()["next_cursor"];
  ClientResponse rest = Call("GET", "/api/v1/segments/big/members?limit=2&cursor=" + cursor);
  ASSERT_EQ(rest.Json()["data"].size(), 1u);
  EXPECT_EQ(rest.Json()["data"][0]["external_id"], "d");

  ClientResponse listed = Call("GET", "/api/v1/segments");
  ASSERT_EQ(listed.Json()["data"].size(), 1u);
  EXPECT_EQ(listed.Json()["data"][0]["member_count"], 3);
  ExpectApiError(Call("GET", "/api/v1/segments/none"), 404, "not_found");
  ExpectApiError(Call("POST", "/api/v1/segments/none/apply"), 404, "not_found");

  ClientResponse deleted = Call("DELETE", "/api/v1/segments/big");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.Json()["members_removed"], 3);
  EXPECT_EQ(SegmentOf("a"), "");
}

TEST_P(CustomerRoutesTest, KMeansSegmentsReportClustersWithCentroids) {
  std::string csv = "external_id,spend,visits\n";
  for (int i = 0; i < 6; ++i) csv += "low" + std::to_string(i) + "," + std::to_string(10 + i) + ",1\n";
  for (int i = 0; i < 4; ++i) csv += "high" + std::to_string(i) + "," + std::to_string(1000 + i) + ",30\n";
  ASSERT_EQ(ImportCsv(csv).status, 200);
  ClientResponse created =
      Call("POST", "/api/v1/segments", R"({"name":"tier","kmeans":{"fields":["spend","visits"],"k":2,"seed":3}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const json clusters = created.Json()["clusters"];
  ASSERT_EQ(clusters.size(), 2u);
  EXPECT_EQ(clusters[0]["name"], "tier-1");
  EXPECT_EQ(clusters[0]["size"], 6);
  EXPECT_NEAR(clusters[0]["centroid"]["spend"].get<double>(), 12.5, 1e-9);
  EXPECT_NEAR(clusters[1]["centroid"]["visits"].get<double>(), 30, 1e-9);
  EXPECT_EQ(clusters[1]["member_count"], 0);

  ClientResponse applied = Call("POST", "/api/v1/segments/tier/apply");
  ASSERT_EQ(applied.status, 200) << applied.body;
  EXPECT_EQ(applied.Json()["members"], 10);
  EXPECT_EQ(SegmentOf("low3"), "tier-1");
  EXPECT_EQ(SegmentOf("high0"), "tier-2");
  ClientResponse cluster = Call("GET", "/api/v1/segments/tier-2");
  ASSERT_EQ(cluster.status, 200);
  EXPECT_EQ(cluster.Json()["kind"], "cluster");
  EXPECT_EQ(cluster.Json()["parent"], "tier");
  EXPECT_EQ(cluster.Json()["member_count"], 4);
  EXPECT_EQ(Call("GET", "/api/v1/segments/tier").Json()["member_count"], 10);
  ExpectApiError(Call("POST", "/api/v1/segments/tier-2/apply"), 412, "failed_precondition");
}

INSTANTIATE_TEST_SUITE_P(Backends, CustomerRoutesTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::server::testing
