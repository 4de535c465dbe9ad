// Campaigns through the HTTP API on a real socket, with the real local engine (stories260K) and a
// real job runner: users put in a segment with PATCH /users, a campaign created, drafted by its job,
// one draft edited and approved, one rejected, the rest approved at once, delivered (an opted-out
// user skipped), the message in the user's conversation, the user's reply in the stats; and the
// errors that name their field.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "chat/campaigns.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "server/api_fixture.h"
#include "server/services/job_runner.h"
#include "support/temp_dir.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

class CampaignRoutesTest : public ::testing::Test {
 protected:
  CampaignRoutesTest() {
    server_ = std::make_unique<ApiServer>(Backend::kSqlite, UnlimitedOptions(), [this](store::Store& store,
                                                                                      ApiOptions& api) {
      static std::shared_ptr<llm::LocalModel> model(
          llm::LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf").value());
      llm::LocalProviderOptions provider_options;
      provider_options.context_length = 512;
      provider_ = llm::MakeLocalProvider(model, provider_options).value();
      JobRunnerOptions job_options;
      job_options.workers = 1;
      job_options.poll_interval_ms = 50;
      runner_ = std::make_unique<JobRunner>(store, job_options);
      chat::CampaignOptions options;
      options.draft_max_tokens = 12;
      options.on_job_enqueued = [this] { runner_->Wake(); };
      options.on_message_stored = [this](const store::Conversation&, const store::Message& message) {
        delivered_messages_.push_back(message.id);
      };
      campaigns_ = std::make_unique<chat::Campaigns>(
          store, [this](std::string_view) -> Result<llm::Provider*> { return provider_.get(); }, options);
      runner_->Register(std::string(chat::kCampaignDraftJob), [this](const store::Job& job, JobContext& context) {
        return campaigns_->RunDraftJob(job, [&context](double progress) { return context.ReportProgress(progress); });
      });
      runner_->Start();
      api.campaigns = campaigns_.get();
    });
    key_ = server_->MintKey({"studio"}).key;
    admin_ = server_->MintKey({"admin"}).key;
  }

  ~CampaignRoutesTest() override {
    runner_->Stop();
    server_.reset();
  }

  json Call(const std::string& method, const std::string& target, const json& body, int status,
            const std::string& key = "") {
    return CallExpecting(*server_, key.empty() ? key_ : key, method, target, body, status);
  }
  json WaitForJob(int64_t job_id) { return WaitForFinishedJob(*server_, key_, job_id); }

  // A user put into `segment` through the API, with `metadata`.
  int64_t SegmentMember(const std::string& external_id, const std::string& segment, json metadata = json::object()) {
    const int64_t id = server_->MakeUser(external_id).id;
    Call("PATCH", "/api/v1/users/" + std::to_string(id), {{"segment", segment}, {"metadata", metadata}}, 200, admin_);
    return id;
  }

  std::unique_ptr<llm::Provider> provider_;
  std::unique_ptr<JobRunner> runner_;
  std::unique_ptr<chat::Campaigns> campaigns_;
  std::unique_ptr<ApiServer> server_;
  std::vector<int64_t> delivered_messages_;
  std::string key_;
  std::string admin_;
};

TEST_F(CampaignRoutesTest, ACampaignDraftedApprovedDeliveredAndMeasured) {
  const store::Character character = server_->MakeCharacter("Lily", true);
  const int64_t ann = SegmentMember("ann", "vip");
  const int64_t bob = SegmentMember("bob", "vip");
  const int64_t cat = SegmentMember("cat", "vip", {{"opt_out", true}});
  SegmentMember("dan", "trial");

  json campaign = Call("POST", "/api/v1/campaigns",
                       {{"name", "Spring"},
                        {"character_id", character.id},
                        {"segment", "vip"},
                        {"brief", "Invite them to the spring market"},
                        {"daily_cap", 2}},
                       201);
  EXPECT_EQ(campaign["status"], "draft");
  EXPECT_EQ(campaign["quiet_hours"], nullptr);
  const std::string base = "/api/v1/campaigns/" + std::to_string(campaign["id"].get<int64_t>());
  EXPECT_EQ(Call("GET", base, nullptr, 200)["daily_cap"], 2);
  EXPECT_EQ(Call("GET", "/api/v1/campaigns", nullptr, 200)["data"].size(), 1u);

  json job = Call("POST", base + "/draft", json::object(), 202);
  EXPECT_EQ(job["kind"], "campaign.draft");
  job = WaitForJob(job["id"].get<int64_t>());
  EXPECT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_EQ(job["progress"], 1.0);
  EXPECT_EQ(job["result"]["drafted"], 3);
  EXPECT_EQ(Call("GET", base, nullptr, 200)["status"], "review");

  json drafts = Call("GET", base + "/messages?status=drafted", nullptr, 200)["data"];
  ASSERT_EQ(drafts.size(), 3u);
  EXPECT_EQ(drafts[0]["user_id"], ann);
  EXPECT_EQ(drafts[1]["user_id"], bob);
  EXPECT_EQ(drafts[2]["user_id"], cat);
  const std::string ann_message = base + "/messages/" + std::to_string(drafts[0]["id"].get<int64_t>());
  json edited = Call("PATCH", ann_message, {{"status", "approved"}, {"text", "Hi Ann, the market opens Sunday!"}}, 200);
  EXPECT_EQ(edited["status"], "approved");
  EXPECT_EQ(edited["text"], "Hi Ann, the market opens Sunday!");
  Call("PATCH", base + "/messages/" + std::to_string(drafts[1]["id"].get<int64_t>()), {{"status", "rejected"}}, 200);
  EXPECT_EQ(Call("POST", base + "/approve", json::object(), 200)["approved"], 1);

  json delivery = Call("POST", base + "/deliver", json::object(), 200);
  EXPECT_EQ(delivery["delivered"], 1);
  EXPECT_EQ(delivery["waiting"], 0);
  EXPECT_EQ(delivery["skipped"], (json{{"opted_out", 1}}));
  EXPECT_EQ(delivery["campaign"]["status"], "done");
  ASSERT_EQ(delivered_messages_.size(), 1u);

  // The customer sees it in their conversation with the character, and answers.
  json messages = Call("GET", base + "/messages?status=delivered", nullptr, 200)["data"];
  ASSERT_EQ(messages.size(), 1u);
  const int64_t conversation_id = messages[0]["conversation_id"];
  json conversation = Call("GET", "/api/v1/conversations/" + std::to_string(conversation_id) + "/messages", nullptr,
                           200, admin_)["data"];
  ASSERT_EQ(conversation.size(), 1u);
  EXPECT_EQ(conversation[0]["content"], "Hi Ann, the market opens Sunday!");
  EXPECT_EQ(conversation[0]["role"], "assistant");
  EXPECT_EQ(conversation[0]["metadata"]["campaign"]["id"], campaign["id"]);
  EXPECT_EQ(conversation[0]["metadata"]["campaign"]["message_id"], drafts[0]["id"]);
  EXPECT_EQ(conversation[0]["id"], delivered_messages_[0]);

  json stats = Call("GET", base + "/stats", nullptr, 200);
  EXPECT_EQ(stats["drafted"], 3);
  EXPECT_EQ(stats["delivered"], 1);
  EXPECT_EQ(stats["replied"], 0);
  EXPECT_EQ(stats["reply_rate"], 0.0);
  store::Message reply;
  reply.conversation_id = conversation_id;
  reply.role = store::MessageRole::kUser;
  reply.content = "Sounds lovely!";
  ASSERT_TRUE(server_->store().messages().Append(reply).ok());
  stats = Call("GET", base + "/stats", nullptr, 200);
  EXPECT_EQ(stats["replied"], 1);
  EXPECT_EQ(stats["reply_rate"], 1.0);
  EXPECT_EQ(stats["rejected"], 1);
  EXPECT_EQ(stats["skipped"], 1);
  EXPECT_EQ(stats["skipped_by_reason"]["opted_out"], 1);
  EXPECT_EQ(stats["skipped_by_reason"]["daily_cap"], 0);
  EXPECT_EQ(stats["status"], "done");
  EXPECT_EQ(Call("GET", base + "/messages?status=delivered", nullptr, 200)["data"][0]["replied_at"].is_number(), true);
}

TEST_F(CampaignRoutesTest, BadInputNamesTheField) {
  const store::Character character = server_->MakeCharacter("Lily", true);
  ExpectApiError(server_->Call("POST", "/api/v1/campaigns", key_,
                               json{{"name", "x"}, {"character_id", character.id}}.dump()),
                 400, "invalid_argument", "segment");
  ExpectApiError(server_->Call("POST", "/api/v1/campaigns", key_,
                               json{{"name", "x"}, {"character_id", character.id}, {"segment", "vip"},
                                    {"quiet_hours", {{"start", 22}, {"end", 24}}}}
                                   .dump()),
                 400, "invalid_argument", "quiet_hours.end");
  ExpectApiError(server_->Call("POST", "/api/v1/campaigns", key_,
                               json{{"name", "x"}, {"character_id", character.id}, {"segment", "vip"}, {"daily_cap", 0}}
                                   .dump()),
                 400, "invalid_argument", "daily_cap");
  ExpectApiError(server_->Call("POST", "/api/v1/campaigns", key_,
                               json{{"name", "x"}, {"character_id", 999}, {"segment", "vip"}}.dump()),
                 404, "not_found", "character_id");
  ExpectApiError(server_->Call("GET", "/api/v1/campaigns/77", key_), 404, "not_found");
  ExpectApiError(server_->Call("GET", "/api/v1/campaigns", server_->MintKey({"client"}, server_->MakeUser("u").id).key),
                 403, "permission_denied");

  json campaign = Call("POST", "/api/v1/campaigns",
                       {{"name", "x"}, {"character_id", character.id}, {"segment", "vip"},
                        {"quiet_hours", {{"start", 22}, {"end", 7}}}},
                       201);
  EXPECT_EQ(campaign["quiet_hours"], (json{{"start", 22}, {"end", 7}}));
  const std::string base = "/api/v1/campaigns/" + std::to_string(campaign["id"].get<int64_t>());
  ExpectApiError(server_->Call("GET", base + "/messages?status=sent", key_), 400, "invalid_argument", "status");
  ExpectApiError(server_->Call("PATCH", base + "/messages/5", key_, json{{"status", "delivered"}}.dump()), 400,
                 "invalid_argument", "status");
  ExpectApiError(server_->Call("PATCH", base + "/messages/5", key_, json{{"status", "approved"}}.dump()), 404,
                 "not_found", "message_id");
  // Delivery starts only after review.
  ExpectApiError(server_->Call("POST", base + "/deliver", key_, "{}"), 412, "failed_precondition", "status");
  json cancelled = Call("POST", base + "/cancel", json::object(), 200);
  EXPECT_EQ(cancelled["status"], "cancelled");
  ExpectApiError(server_->Call("POST", base + "/draft", key_, "{}"), 412, "failed_precondition", "status");
}

}  // namespace
}  // namespace troupe::server::testing
