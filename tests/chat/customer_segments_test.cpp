// Segments and profile import end to end over a real SQLite store: rule segments and k-means
// segments defined, applied (users.segment written), re-applied, and refused where they must be.
#include <gtest/gtest.h>

#include <random>

#include "chat/customers/profile_import.h"
#include "chat/customers/segments.h"
#include "store/store.h"
#include "support/temp_dir.h"

namespace troupe::chat::customers {
namespace {

using nlohmann::json;

class CustomerSegmentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.url = "sqlite://" + (dir_ / "troupe.db").string();
    options.clock = &clock_;
    Result<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->Migrate().ok());
  }

  void Import(const std::string& csv) {
    Result<ProfileImportReport> report = ImportProfiles(*store_, csv);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_EQ(report->failed, 0) << json(report->errors).dump();
  }

  std::string SegmentOf(const std::string& external_id) {
    Result<store::User> user = store_->users().GetByExternalId(external_id);
    EXPECT_TRUE(user.ok());
    return user.ok() ? user->segment : "?";
  }

  ManualClock clock_;
  ::troupe::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(CustomerSegmentsTest, ImportCreatesUpdatesAndMergesProfiles) {
  Result<ProfileImportReport> first = ImportProfiles(*store_, "external_id,display_name,age,city\na,Ann,30,Oslo\nb,,abc,Rome\nc,Cy,40,\n");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->lines, 3);
  EXPECT_EQ(first->created, 2);
  EXPECT_EQ(first->failed, 1);
  EXPECT_EQ(first->errors, (std::vector<std::string>{"line 3: column age: 'abc' is not a number"}));
  EXPECT_EQ(first->columns, json({{"age", "number"}, {"city", "string"}}));

  Result<ProfileImportReport> second = ImportProfiles(*store_, "external_id,vip\na,true\nd,false\n");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->created, 1);
  EXPECT_EQ(second->updated, 1);
  Result<store::User> ann = store_->users().GetByExternalId("a");
  ASSERT_TRUE(ann.ok());
  EXPECT_EQ(ann->display_name, "Ann");
  Result<store::UserProfile> profile = store_->customers().GetProfile(ann->id);
  ASSERT_TRUE(profile.ok());
  EXPECT_EQ(json::parse(profile->profile_json), json({{"age", 30}, {"city", "Oslo"}, {"vip", true}}));
  EXPECT_EQ(store_->users().GetByExternalId("b").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ImportProfiles(*store_, "id,age\n1,2\n").status().field(), "csv");
}

TEST_F(CustomerSegmentsTest, ARuleSegmentAppliedMakesTheMatchingUsersMembers) {
  Import("external_id,spend,vip\na,900,true\nb,50,true\nc,700,false\nd,,true\n");
  const json body = {{"name", "big-spenders"},
                     {"rules", {{"all", {{{"field", "monetary"}, {"op", ">="}, {"value", 500}}}},
                                {"monetary_field", "spend"}}}};
  Result<store::Segment> defined = DefineSegment(*store_, body, clock_.NowMillis());
  ASSERT_TRUE(defined.ok()) << defined.status().ToString();
  EXPECT_EQ(defined->kind, "rules");
  EXPECT_EQ(SegmentOf("a"), "") << "defining writes no user";

  Result<SegmentApplyReport> applied = ApplySegment(*store_, "big-spenders", clock_.NowMillis());
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->evaluated, 4);
  EXPECT_EQ(applied->members, 2);
  EXPECT_EQ(applied->added, 2);
  EXPECT_EQ(SegmentOf("a"), "big-spenders");
  EXPECT_EQ(SegmentOf("b"), "");
  EXPECT_EQ(SegmentOf("c"), "big-spenders");

  // c's spend drops: the next application takes c out.
  Import("external_id,spend\nc,10\n");
  applied = ApplySegment(*store_, "big-spenders", clock_.NowMillis());
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->members, 1);
  EXPECT_EQ(applied->added, 0);
  EXPECT_EQ(applied->removed, 1);
  EXPECT_EQ(SegmentOf("c"), "");
}

TEST_F(CustomerSegmentsTest, KMeansSegmentsPutEachBlobInItsOwnCluster) {
  // Three blobs of customers on (spend, visits), of sizes 12, 8 and 5, so cluster n is blob n.
  std::mt19937_64 generator(11);
  std::normal_distribution<double> noise(0.0, 1.0);
  const double centres[3][2] = {{100, 5}, {500, 40}, {1000, 10}};
  const int sizes[3] = {12, 8, 5};
  std::string csv = "external_id,spend,visits\n";
  std::map<std::string, int> blob_of;
  for (int b = 0; b < 3; ++b) {
    for (int i = 0; i < sizes[b]; ++i) {
      const std::string id = "blob" + std::to_string(b) + "-" + std::to_string(i);
      blob_of[id] = b;
      csv += id + "," + std::to_string(centres[b][0] + 10 * noise(generator)) + "," +
             std::to_string(centres[b][1] + noise(generator)) + "\n";
    }
  }
  csv += "no-spend,,3\n";
  Import(csv);

  const json body = {{"name", "value"}, {"kmeans", {{"fields", {"spend", "visits"}}, {"k", 3}, {"seed", 7}}}};
  Result<store::Segment> defined = DefineSegment(*store_, body, clock_.NowMillis());
  ASSERT_TRUE(defined.ok()) << defined.status().ToString();
  const json result = json::parse(defined->result_json);
  EXPECT_EQ(result["evaluated"], 26);
  EXPECT_EQ(result["skipped"], 1);
  ASSERT_EQ(result["clusters"].size(), 3u);
  for (int b = 0; b < 3; ++b) {
    const json& cluster = result["clusters"][b];
    EXPECT_EQ(cluster["name"], "value-" + std::to_string(b + 1));
    EXPECT_EQ(cluster["size"], sizes[b]);
    EXPECT_NEAR(cluster["centroid"]["spend"].get<double>(), centres[b][0], 10);
    EXPECT_NEAR(cluster["centroid"]["visits"].get<double>(), centres[b][1], 1);
  }
  EXPECT_TRUE(store_->segments().Get("value-2").ok()) << "clusters are segments";

  Result<SegmentApplyReport> applied = ApplySegment(*store_, "value", clock_.NowMillis());
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->members, 25);
  for (const auto& [id, blob] : blob_of) EXPECT_EQ(SegmentOf(id), "value-" + std::to_string(blob + 1)) << id;
  EXPECT_EQ(SegmentOf("no-spend"), "");

  // Same seed, same data: applying again moves nobody.
  applied = ApplySegment(*store_, "value", clock_.NowMillis());
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->added, 0);
  EXPECT_EQ(applied->removed, 0);
  Result<SegmentApplyReport> cluster = ApplySegment(*store_, "value-1", clock_.NowMillis());
  EXPECT_EQ(cluster.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(CustomerSegmentsTest, DefinitionsAreCheckedBeforeAnythingIsStored) {
  Import("external_id,spend\na,1\nb,2\n");
  const auto field_of = [&](const json& body) { return DefineSegment(*store_, body, clock_.NowMillis()).status().field(); };
  EXPECT_EQ(field_of({{"name", "x"}}), "rules");
  EXPECT_EQ(field_of({{"name", "x"}, {"rules", json::object()}, {"kmeans", json::object()}}), "rules");
  EXPECT_EQ(field_of({{"name", "x"}, {"colour", "red"}, {"rules", json::object()}}), "colour");
  EXPECT_EQ(field_of({{"name", "x"}, {"kmeans", {{"fields", {"spend"}}, {"k", 0}}}}), "kmeans.k");
  EXPECT_EQ(field_of({{"name", "x"}, {"kmeans", {{"fields", json::array()}, {"k", 2}}}}), "kmeans.fields");
  // Two customers cannot make three clusters.
  Result<store::Segment> too_few =
      DefineSegment(*store_, {{"name", "x"}, {"kmeans", {{"fields", {"spend"}}, {"k", 3}}}}, clock_.NowMillis());
  EXPECT_EQ(too_few.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(too_few.status().field(), "kmeans.k");
  EXPECT_EQ(store_->segments().Get("x").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ApplySegment(*store_, "nothing", clock_.NowMillis()).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace troupe::chat::customers
