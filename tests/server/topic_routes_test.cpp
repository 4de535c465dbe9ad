// Topics of stored messages over a real socket with a real job runner: three weeks of users'
// messages about two planted subjects, one growing and one fading, found through the API as a job
// whose result has both subjects' words, the weeks and the trends' signs; names written by the
// real local engine (stories260K) when asked; the feedback comments as the source instead, on
// subjects of their own; and the errors that name their field.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "server/api_fixture.h"
#include "server/services/job_runner.h"
#include "server/services/topic_jobs.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

constexpr int64_t kMonday = 1'789'948'800'000;  // 2026-09-21 00:00 UTC
constexpr int64_t kWeekMs = 7 * 86'400'000LL;

const std::vector<std::string> kFood = {"pizza", "pasta", "cheese", "oven", "sauce", "garlic", "basil", "dough"};
const std::vector<std::string> kTravel = {"flight", "airport", "hotel", "luggage", "passport", "beach", "train", "ticket"};
const std::vector<std::string> kBilling = {"invoice", "refund", "charge", "payment", "billing", "receipt", "price", "card"};
const std::vector<std::string> kWaiting = {"slow", "waiting", "delay", "lag", "loading", "timeout", "minutes", "queue"};

class TopicRoutesTest : public ::testing::Test {
 protected:
  TopicRoutesTest() {
    ApiOptions options = UnlimitedOptions();
    options.clock = &clock_;
    server_ = std::make_unique<ApiServer>(Backend::kSqlite, options, [this](store::Store& store, ApiOptions& api) {
      static std::shared_ptr<llm::LocalModel> model(
          llm::LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf").value());
      llm::LocalProviderOptions provider_options;
      provider_options.context_length = 512;
      provider_ = llm::MakeLocalProvider(model, provider_options).value();
      api.providers = [this](std::string_view name) -> Result<llm::Provider*> {
        if (name.empty() || name == "local") return provider_.get();
        return NotFound("no provider named '" + std::string(name) + "'");
      };
      api.on_job_enqueued = [this] { runner_->Wake(); };
      JobRunnerOptions job_options;
      job_options.workers = 1;
      job_options.poll_interval_ms = 50;
      runner_ = std::make_unique<JobRunner>(store, job_options);
      RegisterTopicsJob(*runner_, store, clock_, api.providers);
      runner_->Start();
    });
    key_ = server_->MintKey({"studio"}).key;
    user_ = server_->MakeUser("traveller").id;
    character_ = server_->MakeCharacter("Juno", true).id;
  }

  ~TopicRoutesTest() override {
    runner_->Stop();
    server_.reset();
  }

  json Call(const std::string& method, const std::string& target, const json& body, int status) {
    return CallExpecting(*server_, key_, method, target, body, status);
  }

  // Week w (0, 1, 2) holds 10 + 10w food messages and 30 - 10w travel ones, each of six words of
  // its subject, stored on that week's Wednesday.
  void SeedThreeWeeks() {
    const store::Conversation conversation = server_->MakeConversation(user_, character_);
    uint64_t state = 7;
    auto next = [&state](size_t bound) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return static_cast<size_t>((state >> 33) % bound);
    };
    for (int week = 0; week < 3; ++week) {
      clock_.Set(kMonday + week * kWeekMs + 2 * 86'400'000LL);
      for (int i = 0; i < 40; ++i) {
        const std::vector<std::string>& subject = i < 10 + 10 * week ? kFood : kTravel;
        std::string text;
        for (int word = 0; word < 6; ++word) text += (word == 0 ? "" : " ") + subject[next(subject.size())];
        store::Message message;
        message.conversation_id = conversation.id;
        message.role = store::MessageRole::kUser;
        message.content = text;
        ASSERT_TRUE(server_->store().messages().Append(message).ok());
      }
    }
    clock_.Set(kMonday + 3 * kWeekMs);
  }

  // 40 feedback comments through the feedback route, on the Wednesdays of the first two weeks: half
  // about billing, half about waiting, six words each; of every kind that carries text.
  void SeedComments() {
    const store::Conversation conversation = server_->MakeConversation(user_, character_);
    const std::string path = "/api/v1/conversations/" + std::to_string(conversation.id) + "/feedback";
    uint64_t state = 11;
    auto next = [&state](size_t bound) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return static_cast<size_t>((state >> 33) % bound);
    };
    for (int i = 0; i < 40; ++i) {
      clock_.Set(kMonday + (i % 2) * kWeekMs + 2 * 86'400'000LL + i);
      const std::vector<std::string>& subject = i < 20 ? kBilling : kWaiting;
      std::string text;
      for (int word = 0; word < 6; ++word) text += (word == 0 ? "" : " ") + subject[next(subject.size())];
      json body = {{"kind", i % 3 == 0 ? "report" : "comment"}, {"comment", text}};
      if (i % 5 == 0) body = {{"kind", "csat"}, {"rating", 2}, {"comment", text}};
      Call("POST", path, body, 201);
    }
    Call("POST", path, {{"kind", "csat"}, {"rating", 5}}, 201);  // no text: not read
    clock_.Set(kMonday + 3 * kWeekMs);
  }

  static json Request() {
    return {{"from", "2026-09-21"}, {"to", "2026-10-11"}, {"topics", 2}, {"iterations", 60},
            {"seed", 3},           {"min_documents", 2}, {"top_words", 5}};
  }

  ManualClock clock_{kMonday};
  std::unique_ptr<llm::Provider> provider_;
  std::unique_ptr<JobRunner> runner_;
  std::unique_ptr<ApiServer> server_;
  std::string key_;
  int64_t user_ = 0;
  int64_t character_ = 0;
};

// Which planted subject a topic's top words come from, or "" when they mix.
std::string SubjectOf(const json& topic) {
  size_t food = 0;
  size_t travel = 0;
  for (const json& word : topic["words"]) {
    const std::string text = word.get<std::string>();
    if (std::find(kFood.begin(), kFood.end(), text) != kFood.end()) ++food;
    if (std::find(kTravel.begin(), kTravel.end(), text) != kTravel.end()) ++travel;
  }
  if (food > 0 && travel == 0) return "food";
  if (travel > 0 && food == 0) return "travel";
  return "";
}

TEST_F(TopicRoutesTest, AJobFindsThePlantedSubjectsWithTheirWeeksAndTrends) {
  SeedThreeWeeks();
  const json queued = Call("POST", "/api/v1/analytics/topics", Request(), 202);
  EXPECT_EQ(queued["kind"], "analytics.topics");
  EXPECT_EQ(queued["payload"]["topics"], "2");
  EXPECT_EQ(queued["payload"]["from"], "2026-09-21");
  const json job = WaitForFinishedJob(*server_, key_, queued["id"].get<int64_t>());
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  const json& result = job["result"];
  EXPECT_EQ(result["messages"], 120);
  EXPECT_EQ(result["topic_count"], 2);
  EXPECT_EQ(result["from"], "2026-09-21");
  EXPECT_EQ(result["to"], "2026-10-11");
  EXPECT_TRUE(result["character_id"].is_null());
  ASSERT_EQ(result["topics"].size(), 2u);
  std::set<std::string> subjects;
  json growing;
  json fading;
  for (const json& topic : result["topics"]) {
    const std::string subject = SubjectOf(topic);
    subjects.insert(subject);
    (subject == "food" ? growing : fading) = topic;
  }
  EXPECT_EQ(subjects, (std::set<std::string>{"food", "travel"}));
  EXPECT_GT(growing["slope_per_week"].get<double>(), 0.1);
  EXPECT_LT(fading["slope_per_week"].get<double>(), -0.1);
  EXPECT_NEAR(growing["share"].get<double>() + fading["share"].get<double>(), 1.0, 1e-6);
  EXPECT_FALSE(growing.contains("name"));

  ASSERT_EQ(result["weeks"].size(), 3u);
  EXPECT_EQ(result["weeks"][0]["week"], "2026-09-21");
  EXPECT_EQ(result["weeks"][2]["week"], "2026-10-05");
  const size_t food_index = growing["topic"].get<size_t>();
  for (const json& week : result["weeks"]) EXPECT_EQ(week["messages"], 40);
  EXPECT_LT(result["weeks"][0]["shares"][food_index].get<double>(), 0.4);
  EXPECT_GT(result["weeks"][2]["shares"][food_index].get<double>(), 0.6);

  // The same request gives the same topics.
  const json again = WaitForFinishedJob(*server_, key_, Call("POST", "/api/v1/analytics/topics", Request(), 202)["id"]);
  EXPECT_EQ(again["result"]["topics"], result["topics"]);
}

// The users' messages are about food and travel; their comments, about billing and waiting. With
// source "comments" only the comments are read, and the topics are theirs.
TEST_F(TopicRoutesTest, CommentsAreASourceOfTheirOwn) {
  SeedThreeWeeks();
  SeedComments();
  json request = Request();
  request["source"] = "comments";
  const json queued = Call("POST", "/api/v1/analytics/topics", request, 202);
  EXPECT_EQ(queued["payload"]["source"], "comments");
  const json job = WaitForFinishedJob(*server_, key_, queued["id"].get<int64_t>());
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  const json& result = job["result"];
  EXPECT_EQ(result["messages"], 40);
  EXPECT_EQ(result["source"], "feedback comments from 2026-09-21 to 2026-10-11");
  std::set<std::string> subjects;
  for (const json& topic : result["topics"]) {
    size_t billing = 0;
    size_t waiting = 0;
    for (const json& word : topic["words"]) {
      const std::string text = word.get<std::string>();
      billing += std::count(kBilling.begin(), kBilling.end(), text);
      waiting += std::count(kWaiting.begin(), kWaiting.end(), text);
    }
    EXPECT_EQ(billing + waiting, topic["words"].size()) << "a word not from the comments: " << topic.dump();
    subjects.insert(billing > 0 && waiting == 0 ? "billing" : waiting > 0 && billing == 0 ? "waiting" : "");
  }
  EXPECT_EQ(subjects, (std::set<std::string>{"billing", "waiting"}));
  ASSERT_EQ(result["weeks"].size(), 2u);  // by the comments' own times; the third week has none
  EXPECT_EQ(result["weeks"][0]["messages"], 20);
  EXPECT_EQ(result["weeks"][1]["messages"], 20);

  // The default is still the users' messages.
  const json messages = WaitForFinishedJob(*server_, key_, Call("POST", "/api/v1/analytics/topics", Request(), 202)["id"]);
  EXPECT_EQ(messages["result"]["messages"], 120);
  EXPECT_EQ(messages["payload"]["source"], "messages");

  // Another character's conversations have no comments: the job says so in comments.
  request["character_id"] = server_->MakeCharacter("Quiet", true).id;
  const json quiet = WaitForFinishedJob(*server_, key_, Call("POST", "/api/v1/analytics/topics", request, 202)["id"]);
  EXPECT_EQ(quiet["status"], "failed");
  EXPECT_NE(quiet["error"].get<std::string>().find("0 comments"), std::string::npos) << quiet.dump();
}

TEST_F(TopicRoutesTest, NamesComeFromTheLanguageModelOrFallBackToTheTopWords) {
  SeedThreeWeeks();
  json request = Request();
  request["name_topics"] = true;
  request["character_id"] = character_;
  const json job = WaitForFinishedJob(*server_, key_, Call("POST", "/api/v1/analytics/topics", request, 202)["id"]);
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_EQ(job["result"]["character_id"], character_);
  for (const json& topic : job["result"]["topics"]) {
    ASSERT_TRUE(topic.contains("name")) << topic.dump();
    const std::string name = topic["name"].get<std::string>();
    EXPECT_FALSE(name.empty());
    EXPECT_LE(name.size(), 40u * 4);  // at most 40 characters of UTF-8
    if (!topic["name_from_model"].get<bool>()) {
      EXPECT_TRUE(topic.contains("name_problem"));
    }
  }
}

TEST_F(TopicRoutesTest, BadRequestsNameTheirFieldAndAnEmptyPeriodFailsTheJob) {
  json request = Request();
  request["topics"] = "0";
  EXPECT_EQ(Call("POST", "/api/v1/analytics/topics", request, 400)["error"]["field"], "topics");
  request = Request();
  request["from"] = "2026-13-01";
  EXPECT_EQ(Call("POST", "/api/v1/analytics/topics", request, 400)["error"]["field"], "from");
  request = Request();
  request["max_document_fraction"] = 0;
  EXPECT_EQ(Call("POST", "/api/v1/analytics/topics", request, 400)["error"]["field"], "max_document_fraction");
  request = Request();
  request["character_id"] = 9999;
  EXPECT_EQ(Call("POST", "/api/v1/analytics/topics", request, 404)["error"]["field"], "character_id");
  request = Request();
  request["source"] = "tweets";
  const json unknown_source = Call("POST", "/api/v1/analytics/topics", request, 400);
  EXPECT_EQ(unknown_source["error"]["field"], "source");
  EXPECT_NE(unknown_source["error"]["message"].get<std::string>().find("messages or comments"), std::string::npos);
  request["source"] = 3;
  EXPECT_EQ(Call("POST", "/api/v1/analytics/topics", request, 400)["error"]["field"], "source");
  request = Request();
  request["colour"] = "blue";
  EXPECT_EQ(Call("POST", "/api/v1/analytics/topics", request, 400)["error"]["field"], "colour");

  // Nothing stored in the period: the job fails and says why.
  const json job = WaitForFinishedJob(*server_, key_, Call("POST", "/api/v1/analytics/topics", Request(), 202)["id"]);
  EXPECT_EQ(job["status"], "failed");
  EXPECT_NE(job["error"].get<std::string>().find("0 messages"), std::string::npos) << job.dump();
}

}  // namespace
}  // namespace troupe::server::testing
