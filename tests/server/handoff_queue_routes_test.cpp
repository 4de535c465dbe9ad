// The support desk over a real socket, on SQLite and PostgreSQL: agents' presence and its expiry,
// automatic assignment when a customer asks for a person (least busy available agent, else the
// queue until one becomes available), claims and admin assignment with their refusals, the queue's
// waiting times, and the customer writing to the agent in the same stream while the character
// stays quiet.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "chat/runtime.h"
#include "server/api_fixture.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

constexpr int64_t kTimeoutMs = 90'000;

// Event names of an SSE body, in order.
std::vector<std::string> EventNames(const std::string& body) {
  std::vector<std::string> names;
  size_t at = 0;
  while ((at = body.find("event: ", at)) != std::string::npos) {
    at += 7;
    names.push_back(body.substr(at, body.find('\n', at) - at));
  }
  return names;
}

// The data of the first event named `name` in an SSE body.
json EventData(const std::string& body, const std::string& name) {
  const size_t event = body.find("event: " + name + "\n");
  if (event == std::string::npos) return json();
  const size_t data = body.find("data: ", event) + 6;
  return json::parse(body.substr(data, body.find('\n', data) - data), nullptr, false);
}

class HandoffQueueTest : public ::testing::TestWithParam<Backend> {
 protected:
  HandoffQueueTest() {
    ApiOptions options = UnlimitedOptions();
    options.clock = &clock_;
    options.agent_presence_timeout_ms = kTimeoutMs;
    api_ = std::make_unique<ApiServer>(GetParam(), options, [this](store::Store& store, ApiOptions& api) {
      chat::RuntimeOptions runtime_options;
      runtime_options.clock = &clock_;
      // No model: a message to an agent never reaches one.
      runtime_ = std::make_unique<chat::ChatRuntime>(
          store, [](std::string_view) -> Result<llm::Provider*> { return Status(StatusCode::kUnavailable, "no model"); },
          runtime_options);
      api.runtime = runtime_.get();
    });
  }

  ~HandoffQueueTest() override {
    runtime_->Shutdown();
    api_.reset();
  }

  // A conversation of a new customer, by its client key.
  std::string NewConversation(const std::string& customer) {
    const std::vector<std::pair<std::string, std::string>> as = {{"X-Troupe-User", customer}};
    ClientResponse created =
        api_->Call("POST", "/api/v1/conversations", client_, json{{"character_id", character_id_}}.dump(), as);
    EXPECT_EQ(created.status, 201) << created.body;
    return "/api/v1/conversations/" + std::to_string(created.Json().value("id", int64_t{0}));
  }

  json AskForAPerson(const std::string& base, const std::string& customer) {
    ClientResponse asked = api_->Call("POST", base + "/handoff", client_, R"({"reason":"billing"})",
                                      {{"X-Troupe-User", customer}});
    EXPECT_EQ(asked.status, 200) << asked.body;
    return asked.Json();
  }

  json Presence(const std::string& key, const std::string& body) {
    ClientResponse set = api_->Call("PUT", "/api/v1/agents/me/presence", key, body);
    EXPECT_EQ(set.status, 200) << set.body;
    return set.Json();
  }

  json Agent(const std::string& prefix) {
    const json agents = api_->Call("GET", "/api/v1/agents", admin_).Json();
    for (const json& agent : agents["data"]) {
      if (agent["key_prefix"] == prefix) return agent;
    }
    return json();
  }

  json Queue() { return api_->Call("GET", "/api/v1/handoff-queue", ana_.key).Json()["data"]; }

  json Handoff(const std::string& base) { return api_->Call("GET", base, admin_).Json()["metadata"]["handoff"]; }

  void SetUp() override {
    ASSERT_TRUE(api_->ok());
    character_id_ = api_->MakeCharacter("Juno", true).id;
    client_ = api_->MintKey({"client"}).key;
    admin_ = api_->MintKey({"admin"}).key;
    ana_ = api_->MintKey({"agent"});
    ben_ = api_->MintKey({"agent"});
  }

  ManualClock clock_{1'790'000'000'000};
  std::unique_ptr<chat::ChatRuntime> runtime_;
  std::unique_ptr<ApiServer> api_;
  int64_t character_id_ = 0;
  std::string client_;
  std::string admin_;
  MintedTestKey ana_;
  MintedTestKey ben_;
};

TEST_P(HandoffQueueTest, PresenceIsKeptAndExpires) {
  json ana = Presence(ana_.key, R"({"status":"available","max_conversations":2})");
  EXPECT_EQ(ana["key_prefix"], ana_.record.prefix);
  EXPECT_EQ(ana["status"], "available");
  EXPECT_EQ(ana["max_conversations"], 2);
  EXPECT_EQ(ana["last_seen_at"], clock_.NowMillis());
  EXPECT_EQ(ana["assigned"], 0);
  // Ben never said anything: offline, never seen.
  EXPECT_EQ(Agent(ben_.record.prefix)["status"], "offline");
  EXPECT_TRUE(Agent(ben_.record.prefix)["last_seen_at"].is_null());

  clock_.Advance(kTimeoutMs);
  EXPECT_EQ(Agent(ana_.record.prefix)["status"], "available");
  clock_.Advance(1);
  EXPECT_EQ(Agent(ana_.record.prefix)["status"], "offline");  // not seen for longer than the timeout
  EXPECT_EQ(Presence(ana_.key, R"({"status":"away"})")["max_conversations"], 2);  // kept
  EXPECT_EQ(Agent(ana_.record.prefix)["status"], "away");

  ExpectApiError(api_->Call("PUT", "/api/v1/agents/me/presence", ana_.key, R"({"status":"busy"})"), 400,
                 "invalid_argument", "status");
  ExpectApiError(api_->Call("PUT", "/api/v1/agents/me/presence", ana_.key,
                            R"({"status":"available","max_conversations":0})"),
                 400, "invalid_argument", "max_conversations");
  ExpectApiError(api_->Call("PUT", "/api/v1/agents/me/presence", ana_.key, R"({})"), 400, "invalid_argument",
                 "status");
}

TEST_P(HandoffQueueTest, HandoffsGoToTheLeastBusyAgentOrWaitInTheQueue) {
  Presence(ana_.key, R"({"status":"available","max_conversations":1})");
  const std::string first = NewConversation("tim");
  EXPECT_EQ(AskForAPerson(first, "tim")["metadata"]["handoff"]["assigned_to"], ana_.record.prefix);
  EXPECT_EQ(Handoff(first)["assigned_at"], clock_.NowMillis());
  EXPECT_EQ(Agent(ana_.record.prefix)["assigned"], 1);

  // Ana is full, Ben offline: the second waits.
  clock_.Advance(1000);
  const std::string second = NewConversation("uma");
  EXPECT_TRUE(AskForAPerson(second, "uma")["metadata"]["handoff"]["assigned_to"].is_null());
  clock_.Advance(4000);
  json queue = Queue();
  ASSERT_EQ(queue.size(), 2u) << queue;
  EXPECT_EQ(queue[0]["waiting_ms"], 5000);  // oldest first
  EXPECT_EQ(queue[0]["assigned_to"], ana_.record.prefix);
  EXPECT_EQ(queue[0]["reason"], "billing");
  EXPECT_EQ(queue[0]["requested_by"], "user");
  EXPECT_EQ(queue[1]["waiting_ms"], 4000);
  EXPECT_TRUE(queue[1]["assigned_to"].is_null());
  EXPECT_FALSE(queue[1]["answered"].get<bool>());

  // Ben cannot claim while offline; becoming available, he gets the waiting one at once.
  ExpectApiError(api_->Call("POST", second + "/assign", ben_.key), 412, "failed_precondition", "agent");
  EXPECT_EQ(Presence(ben_.key, R"({"status":"available"})")["assigned"], 1);
  EXPECT_EQ(Handoff(second)["assigned_to"], ben_.record.prefix);

  // Ana answers: the waiting time stops; she hands back and the assignment ends.
  ASSERT_EQ(api_->Call("POST", first + "/agent-messages", ana_.key, R"({"content":"Hi, I am Ana."})").status, 201);
  EXPECT_EQ(Handoff(first)["first_agent_reply_at"], clock_.NowMillis());
  clock_.Advance(60'000);
  EXPECT_EQ(Queue()[0]["waiting_ms"], 5000);
  EXPECT_TRUE(Queue()[0]["answered"].get<bool>());
  ASSERT_EQ(api_->Call("POST", first + "/handback", ana_.key).status, 200);
  EXPECT_EQ(Handoff(first)["handed_back_at"], clock_.NowMillis());
  EXPECT_EQ(Agent(ana_.record.prefix)["assigned"], 0);
  ASSERT_EQ(Queue().size(), 1u);
}

TEST_P(HandoffQueueTest, ClaimsAndAssignmentsAreCheckedAndAnnounced) {
  Presence(ana_.key, R"({"status":"away"})");
  const std::string base = NewConversation("tim");
  ExpectApiError(api_->Call("POST", base + "/assign", ana_.key), 412, "failed_precondition");  // not handed off
  AskForAPerson(base, "tim");
  EXPECT_TRUE(Handoff(base)["assigned_to"].is_null());  // away: nothing assigned on its own

  TestClient feed(api_->port());
  ASSERT_EQ(feed.StartStream("/api/v1/events", {{"Authorization", "Bearer " + ben_.key}}).status, 200);
  ASSERT_NE(feed.ReadEvents(1).find("event: ready"), std::string::npos);
  ClientResponse claimed = api_->Call("POST", base + "/assign", ana_.key);  // away agents may still claim
  ASSERT_EQ(claimed.status, 200) << claimed.body;
  EXPECT_EQ(claimed.Json()["metadata"]["handoff"]["assigned_to"], ana_.record.prefix);
  const std::string announced = feed.ReadEvents(2);
  EXPECT_NE(announced.find("event: conversation.updated"), std::string::npos) << announced;
  EXPECT_NE(announced.find(ana_.record.prefix), std::string::npos) << announced;

  // Agents claim for themselves only; admins name the agent, which must exist, be one and be present.
  ExpectApiError(api_->Call("POST", base + "/assign", ana_.key, json{{"agent", ben_.record.prefix}}.dump()), 403,
                 "permission_denied", "agent");
  ExpectApiError(api_->Call("POST", base + "/assign", admin_, R"({"agent":"nosuchprefix"})"), 404, "not_found",
                 "agent");
  const MintedTestKey client_key = api_->MintKey({"client"});
  ExpectApiError(api_->Call("POST", base + "/assign", admin_, json{{"agent", client_key.record.prefix}}.dump()), 400,
                 "invalid_argument", "agent");
  ExpectApiError(api_->Call("POST", base + "/assign", admin_, json{{"agent", ben_.record.prefix}}.dump()), 412,
                 "failed_precondition", "agent");
  ExpectApiError(api_->Call("POST", base + "/assign", admin_, R"({"agent":7})"), 400, "invalid_argument", "agent");
  Presence(ben_.key, R"({"status":"away"})");
  ClientResponse moved = api_->Call("POST", base + "/assign", admin_, json{{"agent", ben_.record.prefix}}.dump());
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.Json()["metadata"]["handoff"]["assigned_to"], ben_.record.prefix);
  EXPECT_EQ(Agent(ben_.record.prefix)["assigned"], 1);
  EXPECT_EQ(Agent(ana_.record.prefix)["assigned"], 0);
}

TEST_P(HandoffQueueTest, TheCustomerWritesToTheAgentAndTheCharacterStaysQuiet) {
  Presence(ana_.key, R"({"status":"available"})");
  const std::string base = NewConversation("tim");
  AskForAPerson(base, "tim");

  TestClient agents_feed(api_->port());
  ASSERT_EQ(agents_feed.StartStream("/api/v1/events", {{"Authorization", "Bearer " + ana_.key}}).status, 200);
  ASSERT_NE(agents_feed.ReadEvents(1).find("event: ready"), std::string::npos);

  TestClient customer(api_->port());
  ClientResponse posted = customer.StartStream(
      "POST", base + "/messages", R"({"content":"Are you there? My bill doubled."})",
      {{"Authorization", "Bearer " + client_}, {"X-Troupe-User", "tim"}, {"Content-Type", "application/json"}});
  ASSERT_EQ(posted.status, 200) << posted.body;
  ASSERT_TRUE(customer.ReadStreamToEnd());
  const std::string stream = customer.stream_body();
  EXPECT_EQ(EventNames(stream), (std::vector<std::string>{"message", "handoff", "done"})) << stream;
  EXPECT_EQ(EventData(stream, "message")["role"], "user");
  EXPECT_EQ(EventData(stream, "message")["metadata"]["to_agent"], true);
  EXPECT_EQ(EventData(stream, "handoff")["assigned_to"], ana_.record.prefix);
  EXPECT_EQ(EventData(stream, "done")["conversation"]["status"], "handed_off");

  const std::string seen = agents_feed.ReadEvents(2);
  EXPECT_NE(seen.find("event: message.created"), std::string::npos) << seen;
  EXPECT_NE(seen.find("My bill doubled."), std::string::npos) << seen;
  json messages = api_->Call("GET", base + "/messages", ana_.key).Json()["data"];
  ASSERT_EQ(messages.size(), 1u);  // no reply from the character
  EXPECT_EQ(Queue()[0]["last_customer_message"]["content"], "Are you there? My bill doubled.");

  // Closed, the conversation takes no more messages.
  ASSERT_EQ(api_->Call("POST", base + "/close", client_, "", {{"X-Troupe-User", "tim"}}).status, 200);
  TestClient late(api_->port());
  ClientResponse refused =
      late.StartStream("POST", base + "/messages", R"({"content":"hello?"})",
                       {{"Authorization", "Bearer " + client_}, {"X-Troupe-User", "tim"},
                        {"Content-Type", "application/json"}});
  EXPECT_EQ(refused.status, 412) << refused.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, HandoffQueueTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::server::testing
