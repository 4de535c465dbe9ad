// Flows from requests are bounded (docs/flows.md, "Limits") and validated off the I/O threads: an
// alias bomb is a 400 naming the limit, and /healthz is answered while the largest flows the limits
// allow are in flight on the background pool.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "chat/flow.h"
#include "server/api_fixture.h"
#include "server/gate.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

// The largest flow the caps allow: kMaxFlowStages stages, each with kMaxFlowTransitions /
// kMaxFlowStages transitions to the stages after it (so every stage is reachable), each condition
// one that can stop holding (affinity), so the cycles have exits.
std::string LargestAllowedFlow() {
  const size_t stages = chat::kMaxFlowStages;
  const size_t per_stage = chat::kMaxFlowTransitions / stages;
  std::string yaml = "start: s0\nstages:\n";
  for (size_t s = 0; s < stages; ++s) {
    yaml += "  s" + std::to_string(s) + ":\n    prompt: stage " + std::to_string(s) + "\n    transitions:\n";
    for (size_t t = 1; t <= per_stage; ++t) {
      yaml += "      - to: s" + std::to_string((s + t) % stages) + "\n        when: {affinity_at_least: 0.5}\n";
    }
  }
  return yaml;
}

// The probe's shape, scaled to fit the text limit: one large anchored string and many aliases.
std::string AliasBomb() {
  std::string yaml = "stages:\n  a:\n    prompt: &big " + std::string(512 * 1024, 'x') + "\n";
  for (int i = 0; i < 300; ++i) yaml += "  s" + std::to_string(i) + ":\n    prompt: *big\n";
  return yaml;
}

TEST(FlowLimitsRoutesTest, AnAliasBombIsRefusedNamingTheLimit) {
  ApiServer api;
  ASSERT_TRUE(api.ok());
  const std::string studio = api.MintKey({"studio"}).key;
  ClientResponse created = api.Call("POST", "/api/v1/characters", studio, json{{"name", "Bomb"}, {"flow", AliasBomb()}}.dump());
  ExpectApiError(created, 400, "invalid_argument", "flow");
  const std::string message = created.Json()["error"]["message"];
  EXPECT_NE(message.find("once aliases are expanded"), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(chat::kMaxFlowScalarBytes)), std::string::npos) << message;

  ClientResponse checked = api.Call("POST", "/api/v1/flows/check", studio, json{{"flow", AliasBomb()}}.dump());
  ASSERT_EQ(checked.status, 200) << checked.body;
  EXPECT_EQ(checked.Json()["valid"], false);
  EXPECT_NE(checked.Json()["error"]["message"].get<std::string>().find("once aliases are expanded"), std::string::npos);
  // Nothing was stored.
  EXPECT_EQ(api.Call("GET", "/api/v1/characters", studio).Json()["data"].size(), 0u);
}

TEST(FlowLimitsRoutesTest, ASecondYamlDocumentIsRefused) {
  ApiServer api;
  ASSERT_TRUE(api.ok());
  const std::string studio = api.MintKey({"studio"}).key;
  const std::string two = "stages:\n  a: {}\n---\nstages:\n  b: {}\n";
  ClientResponse checked = api.Call("POST", "/api/v1/flows/check", studio, json{{"flow", two}}.dump());
  ASSERT_EQ(checked.status, 200) << checked.body;
  EXPECT_EQ(checked.Json()["valid"], false);
  EXPECT_NE(checked.Json()["error"]["message"].get<std::string>().find("more than one YAML document"), std::string::npos)
      << checked.body;
}


TEST(FlowLimitsRoutesTest, HealthIsAnsweredWhileTheLargestFlowsAreValidatedTwiceAtOnce) {
  Gate gate;
  ApiServer api(Backend::kSqlite, UnlimitedOptions(), {}, [&gate](HttpServerOptions& options) {
    options.background_threads = 2;
    options.before_background_task = [&gate] { gate.Wait(); };
  });
  ASSERT_TRUE(api.ok());
  const std::string studio = api.MintKey({"studio"}).key;
  const std::string body = json{{"flow", LargestAllowedFlow()}}.dump();
  ClientResponse answers[2];
  std::thread checks[2];
  for (int i = 0; i < 2; ++i) {
    checks[i] = std::thread([&, i] { answers[i] = api.Call("POST", "/api/v1/flows/check", studio, body); });
  }
  // Both requests are on background threads, held in flight; had either been validated on an I/O
  // thread it would never have reached the gate, and /healthz would wait behind it.
  const bool both_in_flight = gate.AwaitArrivals(2);
  ClientResponse health = api.Call("GET", "/healthz", "");
  gate.Open();
  for (std::thread& check : checks) check.join();
  ASSERT_TRUE(both_in_flight);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.Json()["status"], "ok");
  for (const ClientResponse& answer : answers) {
    ASSERT_EQ(answer.status, 200) << answer.body.substr(0, 500);
    EXPECT_EQ(answer.Json()["valid"], true) << answer.body.substr(0, 500);
    EXPECT_EQ(answer.Json()["stages"].size(), chat::kMaxFlowStages);
  }
}

}  // namespace
}  // namespace troupe::server::testing
