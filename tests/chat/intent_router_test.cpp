// The two-level router on Juno's catalog: the classifier's thresholds, handoff intents, and the
// LLM level through a real local provider (stories260K: it cannot know the intents, but its answer
// is constrained to their names, so its shape is what is tested).
#include "chat/intents/intent_router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>

#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "support/temp_dir.h"

namespace troupe::chat::intents {
namespace {

using ::testing::HasSubstr;

IntentCatalog JunoCatalog() {
  Result<IntentCatalog> catalog = LoadIntentCatalog(std::string(TROUPE_SOURCE_DIR) + "/examples/intents/juno.yaml");
  EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
  return catalog.ok() ? *catalog : IntentCatalog{};
}

std::shared_ptr<const IntentRouter> Router(RoutingThresholds thresholds) {
  IntentCatalog catalog = JunoCatalog();
  catalog.routing = thresholds;
  Result<std::shared_ptr<const IntentRouter>> router = IntentRouter::Build(std::move(catalog));
  EXPECT_TRUE(router.ok()) << router.status().ToString();
  return router.ok() ? *router : nullptr;
}

llm::Provider& Stories() {
  static std::unique_ptr<llm::Provider> provider = [] {
    std::shared_ptr<llm::LocalModel> model(
        llm::LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf").value());
    llm::LocalProviderOptions options;
    options.context_length = 512;
    return llm::MakeLocalProvider(model, options).value();
  }();
  return *provider;
}

bool IsCandidate(const RoutingDecision& decision, const std::string& intent) {
  for (const RoutingCandidate& candidate : decision.candidates) {
    if (candidate.intent == intent) return true;
  }
  return false;
}

TEST(IntentRouterTest, ClassifierLevelDecidesWhenConfident) {
  const auto router = Router({.classifier = 0.45, .llm = 0.25});
  const RoutingDecision decision = router->Classify("what's my balance");
  EXPECT_EQ(decision.level, RoutingLevel::kClassifier);
  EXPECT_EQ(decision.reason, "confident");
  EXPECT_EQ(decision.intent, "check_balance");
  EXPECT_GE(decision.confidence, 0.45);
  ASSERT_EQ(decision.candidates.size(), IntentRouter::kLlmCandidates);
  EXPECT_EQ(decision.candidates.front().intent, "check_balance");

  // Asked by name: a person takes over, and the intent says why.
  const RoutingDecision handoff = router->Classify("I want to talk to a human");
  EXPECT_EQ(handoff.level, RoutingLevel::kHuman);
  EXPECT_EQ(handoff.reason, "handoff_intent");
  EXPECT_EQ(handoff.intent, "human_agent");
}

TEST(IntentRouterTest, BelowTheLowerThresholdAHumanDecides) {
  const auto router = Router({.classifier = 0.99, .llm = 0.98});
  const RoutingDecision decision = router->Classify("zxqv wmbrl");
  EXPECT_EQ(decision.level, RoutingLevel::kHuman);
  EXPECT_EQ(decision.reason, "low_confidence");
  EXPECT_EQ(decision.intent, "");
  EXPECT_FALSE(decision.candidates.empty());  // the best guesses stay for the agent
  const RoutingDecision routed = router->RouteAndWait("zxqv wmbrl", Stories());
  EXPECT_EQ(routed.level, RoutingLevel::kHuman);
  EXPECT_TRUE(routed.llm_answer.empty());  // no LLM call was made
}

TEST(IntentRouterTest, LlmRequestOffersTheCandidatesUnderASchema) {
  const auto router = Router({.classifier = 1.0, .llm = 0.0});
  const RoutingDecision first = router->Classify("my bill looks wrong and my data is slow");
  ASSERT_EQ(first.level, RoutingLevel::kLlm);
  EXPECT_EQ(first.reason, "uncertain");
  const llm::ChatRequest request = router->LlmRequest("my bill looks wrong", first);
  ASSERT_EQ(request.messages.size(), 2u);
  EXPECT_EQ(request.messages[1].content, "my bill looks wrong");
  EXPECT_THAT(request.messages[0].content, HasSubstr("- payment: The customer asks about a bill"));
  EXPECT_EQ(request.response_format.kind, llm::ResponseFormat::Kind::kJsonSchema);
  const nlohmann::json schema = nlohmann::json::parse(request.response_format.schema_json);
  const nlohmann::json& names = schema["properties"]["intent"]["enum"];
  ASSERT_EQ(names.size(), first.candidates.size() + 1);
  for (size_t i = 0; i < first.candidates.size(); ++i) EXPECT_EQ(names[i], first.candidates[i].intent);
  EXPECT_EQ(names.back(), "none");
  EXPECT_EQ(request.sampling.temperature, 0.0);
}

TEST(IntentRouterTest, LlmAnswersBecomeDecisions) {
  const auto router = Router({.classifier = 1.0, .llm = 0.0});
  const RoutingDecision first = router->Classify("my bill looks wrong and my data is slow");
  ASSERT_TRUE(IsCandidate(first, "payment"));
  auto answer = [](std::string content) {
    llm::ChatResult result;
    result.content = std::move(content);
    return Result<llm::ChatResult>(std::move(result));
  };

  const RoutingDecision chosen = router->WithLlmAnswer(first, answer(R"({"intent":"payment"})"));
  EXPECT_EQ(chosen.level, RoutingLevel::kLlm);
  EXPECT_EQ(chosen.intent, "payment");
  EXPECT_EQ(chosen.llm_answer, R"({"intent":"payment"})");
  const RoutingDecision none = router->WithLlmAnswer(first, answer(R"({"intent":"none"})"));
  EXPECT_EQ(none.level, RoutingLevel::kHuman);
  EXPECT_EQ(none.reason, "llm_none");
  EXPECT_EQ(router->WithLlmAnswer(first, answer("payment, I think")).reason, "llm_failed");
  EXPECT_EQ(router->WithLlmAnswer(first, answer(R"({"intent":"greeting_x"})")).reason, "llm_failed");
  const RoutingDecision failed =
      router->WithLlmAnswer(first, Result<llm::ChatResult>(Status(StatusCode::kUnavailable, "no model")));
  EXPECT_EQ(failed.reason, "llm_failed");
  EXPECT_EQ(failed.llm_answer, "no model");
  if (IsCandidate(first, "human_agent")) {
    EXPECT_EQ(router->WithLlmAnswer(first, answer(R"({"intent":"human_agent"})")).reason, "handoff_intent");
  }

  const nlohmann::json json = chosen.ToJson();
  EXPECT_EQ(json["intent"], "payment");
  EXPECT_EQ(json["level"], "llm");
  EXPECT_EQ(json["reason"], "uncertain");
  EXPECT_EQ(json["candidates"].size(), first.candidates.size());
  EXPECT_EQ(json["llm_answer"], R"({"intent":"payment"})");
}

TEST(IntentRouterTest, LlmLevelThroughTheLocalEngine) {
  const auto router = Router({.classifier = 1.0, .llm = 0.0});
  std::promise<RoutingDecision> decided;
  std::shared_ptr<llm::ChatCall> call = router->Route(
      "can you check how much data is left", Stories(), [&](RoutingDecision decision) { decided.set_value(decision); });
  EXPECT_NE(call, nullptr);
  const RoutingDecision decision = decided.get_future().get();
  // stories260K knows no intents, but the constrained answer always names a candidate or none.
  const nlohmann::json answer = nlohmann::json::parse(decision.llm_answer);
  const std::string intent = answer.at("intent");
  if (intent == "none") {
    EXPECT_EQ(decision.level, RoutingLevel::kHuman);
    EXPECT_EQ(decision.reason, "llm_none");
  } else {
    EXPECT_TRUE(IsCandidate(decision, intent)) << intent;
    EXPECT_EQ(decision.intent, intent);
    EXPECT_TRUE(decision.level == RoutingLevel::kLlm || decision.reason == "handoff_intent");
  }
  const RoutingDecision again = router->RouteAndWait("can you check how much data is left", Stories());
  EXPECT_EQ(again.llm_answer, decision.llm_answer);  // greedy: the same answer
}

}  // namespace
}  // namespace troupe::chat::intents
