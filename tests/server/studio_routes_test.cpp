// The studio's generation over a real socket, with the real local engine (stories260K) and a real
// job runner: a generation request becomes a queued job, its progress streams as job.updated
// events on /api/v1/events until it succeeds, a candidate's draft from the result is saved as an
// unpublished character; and the errors that name their field, and the scopes.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/flow.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "server/api_fixture.h"
#include "support/test_flows.h"
#include "server/services/job_runner.h"
#include "server/services/studio_jobs.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

// The job.updated events' payloads in an event stream's body, in order.
std::vector<json> JobUpdates(const std::string& body) {
  const std::string marker = "event: job.updated\n";
  std::vector<json> updates;
  for (size_t at = body.find(marker); at != std::string::npos; at = body.find(marker, at)) {
    at = body.find("data: ", at);  // after the event's id line
    if (at == std::string::npos) break;
    at += 6;
    const size_t end = body.find('\n', at);
    if (end == std::string::npos) break;
    updates.push_back(json::parse(body.substr(at, end - at)));
  }
  return updates;
}

class StudioRoutesTest : public ::testing::Test {
 protected:
  StudioRoutesTest() {
    server_ = std::make_unique<ApiServer>(Backend::kSqlite, UnlimitedOptions(), [this](store::Store& store,
                                                                                      ApiOptions& api) {
      static std::shared_ptr<llm::LocalModel> model(
          llm::LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf").value());
      llm::LocalProviderOptions provider_options;
      provider_options.context_length = 512;
      provider_ = llm::MakeLocalProvider(model, provider_options).value();
      api.providers = [this](std::string_view name) -> Result<llm::Provider*> {
        if (name.empty() || name == "local") return provider_.get();
        return NotFound("no provider named '" + std::string(name) + "'");
      };
      api.events = &events_;
      api.on_job_enqueued = [this] { runner_->Wake(); };
      JobRunnerOptions job_options;
      job_options.workers = 1;
      job_options.poll_interval_ms = 50;
      job_options.on_change = [this](const store::Job& job) { PublishJobUpdated(events_, job); };
      runner_ = std::make_unique<JobRunner>(store, job_options);
      RegisterStudioJobs(*runner_, store, api.providers);
      runner_->Start();
    });
    key_ = server_->MintKey({"studio"}).key;
  }

  ~StudioRoutesTest() override {
    runner_->Stop();
    server_.reset();
  }

  json Call(const std::string& method, const std::string& target, const json& body, int status) {
    return CallExpecting(*server_, key_, method, target, body, status);
  }
  json WaitForJob(int64_t job_id) { return WaitForFinishedJob(*server_, key_, job_id); }

  static json Brief() {
    return {{"theme", "a lighthouse keeper on a stormy coast"},
            {"audience", "adults who like cosy mysteries"},
            {"role", "advisor"},
            {"seed", 5}};
  }

  EventHub events_;
  std::unique_ptr<llm::Provider> provider_;
  std::unique_ptr<JobRunner> runner_;
  std::unique_ptr<ApiServer> server_;
  std::string key_;
};

TEST_F(StudioRoutesTest, AGenerationJobStreamsItsProgressAndItsDraftIsSavedAsACharacter) {
  TestClient feed(server_->port(), std::chrono::seconds(120));
  ASSERT_EQ(feed.StartStream("/api/v1/events", {{"Authorization", "Bearer " + key_}}).status, 200);
  ASSERT_NE(feed.ReadEvents(1).find("event: ready"), std::string::npos);

  const json queued = Call("POST", "/api/v1/studio/characters/generate", Brief(), 202);
  EXPECT_EQ(queued["kind"], "studio.generate_characters");
  EXPECT_EQ(queued["payload"]["candidates"], 1);
  const int64_t job_id = queued["id"].get<int64_t>();

  // Events until the job's last: claimed, a progress report per step, succeeded.
  std::vector<json> updates;
  std::string previous;
  for (size_t count = 2; count < 500; ++count) {
    const std::string body = feed.ReadEvents(count);
    updates = JobUpdates(body);
    if (!updates.empty() && (updates.back()["status"] == "succeeded" || updates.back()["status"] == "failed")) break;
    if (body == previous) break;  // the stream ended, or nothing came for the client's read timeout
    previous = body;
  }
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.front()["status"], "running");
  EXPECT_EQ(updates.back()["status"], "succeeded");
  EXPECT_EQ(updates.back()["id"], job_id);
  EXPECT_GE(updates.size(), 3u);

  const json job = Call("GET", "/api/v1/jobs/" + std::to_string(job_id), nullptr, 200);
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  const json& candidate = job["result"]["candidates"][0];
  EXPECT_FALSE(candidate.contains("character"));

  json draft = candidate["draft"];
  draft["steps"]["concept"]["name"] = "Captain Ada";  // edited in the wizard
  const json saved = Call("POST", "/api/v1/studio/drafts", {{"draft", draft}}, 201);
  EXPECT_EQ(saved["name"], "Captain Ada");
  EXPECT_EQ(saved["published"], false);
  EXPECT_FALSE(saved["flow"].get<std::string>().empty());
}


TEST_F(StudioRoutesTest, FlowsAreGeneratedAndOptimizedAsJobs) {
  const json brief = {{"topic", "a pen pal from another country"}, {"goal", "the user writes a whole letter"},
                      {"min_stages", 3}, {"max_stages", 4}};
  const json generating = Call("POST", "/api/v1/studio/flows/generate", brief, 202);
  EXPECT_EQ(generating["kind"], "studio.generate_flow");
  const json generated = WaitForJob(generating["id"].get<int64_t>());
  ASSERT_EQ(generated["status"], "succeeded") << generated.dump();
  Result<chat::Flow> flow = chat::ParseFlow(generated["result"]["flow"].get<std::string>());
  ASSERT_TRUE(flow.ok()) << flow.status().ToString();
  EXPECT_EQ(generated["result"]["stages"].size(), flow->stages.size());

  store::Character juno = server_->MakeCharacter("Juno", true);
  juno.flow = std::string(::troupe::testing::kThreeStageFlow);
  ASSERT_TRUE(server_->store().characters().Update(juno).ok());
  const int64_t user = server_->MakeUser("alice").id;
  for (const char* stage : {"intro", "intro", "friendly", "close"}) {
    store::Conversation conversation = server_->MakeConversation(user, juno.id);
    conversation.stage = stage;
    ASSERT_TRUE(server_->store().conversations().UpdateState(conversation).ok());
  }
  const json optimizing = Call("POST", "/api/v1/studio/flows/optimize", {{"character_id", juno.id}, {"max_edits", 2}}, 202);
  EXPECT_EQ(optimizing["payload"]["character_id"], juno.id);
  EXPECT_TRUE(optimizing["payload"]["from"].is_string());
  const json optimized = WaitForJob(optimizing["id"].get<int64_t>());
  ASSERT_EQ(optimized["status"], "succeeded") << optimized.dump();
  const json& result = optimized["result"];
  ASSERT_EQ(result["performance"].size(), 3u);
  EXPECT_EQ(result["performance"][0]["stage"], "intro");
  EXPECT_EQ(result["performance"][0]["reached"], 4);
  EXPECT_EQ(result["performance"][1]["reached"], 2);
  EXPECT_EQ(result["performance"][0]["drop_off_rate"], 0.5);
  EXPECT_GE(result["edits"].size(), 1u);
  EXPECT_TRUE(chat::ParseFlow(result["flow_after"].get<std::string>()).ok());
  EXPECT_EQ(result["diff"].get<std::string>().empty(), result["flow_before"] == result["flow_after"]);

  store::Character plain = server_->MakeCharacter("Plain", true);
  ExpectApiError(server_->Call("POST", "/api/v1/studio/flows/optimize", key_, json{{"character_id", plain.id}}.dump()),
                 412, "failed_precondition", "character_id");
  EXPECT_EQ(server_->Call("POST", "/api/v1/studio/flows/optimize", key_, json{{"character_id", 9999}}.dump()).status,
            404);
  ExpectApiError(server_->Call("POST", "/api/v1/studio/flows/optimize", key_, json::object().dump()), 400,
                 "invalid_argument", "character_id");
  ExpectApiError(server_->Call("POST", "/api/v1/studio/flows/generate", key_, json{{"topic", "t"}}.dump()), 400,
                 "invalid_argument", "goal");
}

TEST_F(StudioRoutesTest, ABiasReviewHoldsItsConversationsAsAJobAndLeavesNothingStored) {
  store::Character juno = server_->MakeCharacter("Juno", true);
  juno.flow = std::string(::troupe::testing::kThreeStageFlow);
  ASSERT_TRUE(server_->store().characters().Update(juno).ok());
  const json request = {{"character_id", juno.id},
                        {"prompts", {"Hi.", "Tell me a story.", "Thanks."}},
                        {"repeats", 2},
                        {"max_tokens", 4}};
  const json queued = Call("POST", "/api/v1/studio/bias", request, 202);
  EXPECT_EQ(queued["kind"], "studio.bias_review");
  EXPECT_EQ(queued["payload"]["temperature"], 0.7);
  const json finished = WaitForJob(queued["id"].get<int64_t>());
  ASSERT_EQ(finished["status"], "succeeded") << finished.dump();
  EXPECT_EQ(finished["progress"], 1.0);
  const json& report = finished["result"];
  EXPECT_EQ(report["character_id"], juno.id);
  EXPECT_EQ(report["prompts"].size(), 3u);
  EXPECT_EQ(report["conversations"], (3 + 3 + 5 + 3) * 2);
  EXPECT_EQ(report["messages"], (3 + 3 + 5 + 3) * 2 * 3);
  ASSERT_EQ(report["dimensions"].size(), 4u);
  // The flow moves on by message counts alone, so every conversation walks the same stages.
  const json reference_stages = report["dimensions"][0]["variants"][0]["final_stages"];
  ASSERT_EQ(reference_stages.size(), 1u);
  EXPECT_EQ(reference_stages.begin().value(), 2);
  for (const json& dimension : report["dimensions"]) {
    EXPECT_EQ(dimension["variants"][1]["tests"].size(), 4u);
    for (const json& variant : dimension["variants"]) {
      EXPECT_EQ(variant["replies"].get<int>() + variant["failed"].get<int>(), 6) << variant["label"];
      EXPECT_EQ(variant["final_stages"], reference_stages) << variant["label"];
      EXPECT_GE(variant["mean_stages"].get<double>(), 2.0) << variant["label"];
    }
  }
  // The conversations were held in a scratch store.
  Result<store::Page<store::User>> users = server_->store().users().List(store::PageRequest{});
  ASSERT_TRUE(users.ok());
  EXPECT_TRUE(users->items.empty());

  ExpectApiError(server_->Call("POST", "/api/v1/studio/bias", key_, "{}"), 400, "invalid_argument", "character_id");
  ExpectApiError(server_->Call("POST", "/api/v1/studio/bias", key_, json{{"character_id", juno.id}, {"prompts", json::array()}}.dump()),
                 400, "invalid_argument", "prompts");
  ExpectApiError(server_->Call("POST", "/api/v1/studio/bias", key_, json{{"character_id", juno.id}, {"prompts", {"ok", " "}}}.dump()),
                 400, "invalid_argument", "prompts");
  ExpectApiError(server_->Call("POST", "/api/v1/studio/bias", key_, json{{"character_id", juno.id}, {"repeats", 0}}.dump()),
                 400, "invalid_argument", "repeats");
  ExpectApiError(server_->Call("POST", "/api/v1/studio/bias", key_, json{{"character_id", juno.id + 100}}.dump()), 404,
                 "not_found", "character_id");
  const std::string agent = server_->MintKey({"agent"}).key;
  EXPECT_EQ(server_->Call("POST", "/api/v1/studio/bias", agent, request.dump()).status, 403);
}

TEST_F(StudioRoutesTest, BadRequestsNameTheirFieldAndOnlyStudioKeysMayCall) {
  json brief = Brief();
  brief["role"] = "villain";
  ExpectApiError(server_->Call("POST", "/api/v1/studio/characters/generate", key_, brief.dump()), 400,
                 "invalid_argument", "role");
  brief = Brief();
  brief["candidates"] = 50;
  ExpectApiError(server_->Call("POST", "/api/v1/studio/characters/generate", key_, brief.dump()), 400,
                 "invalid_argument", "candidates");
  brief = Brief();
  brief["provider"] = "elsewhere";
  EXPECT_EQ(server_->Call("POST", "/api/v1/studio/characters/generate", key_, brief.dump()).status, 404);

  const json incomplete = {{"brief", {{"theme", "t"}, {"audience", "a"}, {"role", "mascot"}}},
                           {"steps", json::object()}};
  ExpectApiError(server_->Call("POST", "/api/v1/studio/drafts", key_, json{{"draft", incomplete}}.dump()), 412,
                 "failed_precondition");
  json bad_age = incomplete;
  bad_age["steps"]["concept"] = {{"name", "Ada"}, {"age", 0},          {"role", "r"},
                                 {"setting", "s"}, {"pitch", "p"},     {"traits", {"calm"}}};
  const ClientResponse refused = server_->Call("POST", "/api/v1/studio/drafts", key_, json{{"draft", bad_age}}.dump());
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("draft.steps.concept"), std::string::npos) << refused.body;
  ExpectApiError(server_->Call("POST", "/api/v1/studio/drafts", key_, "{}"), 400, "invalid_argument", "draft");

  const std::string agent = server_->MintKey({"agent"}).key;
  EXPECT_EQ(server_->Call("POST", "/api/v1/studio/characters/generate", agent, Brief().dump()).status, 403);
  EXPECT_EQ(server_->Call("POST", "/api/v1/studio/drafts", agent, "{}").status, 403);
}

}  // namespace
}  // namespace troupe::server::testing
