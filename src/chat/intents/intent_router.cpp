#include "chat/intents/intent_router.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace troupe::chat::intents {

namespace {

constexpr std::string_view kNone = "none";

// How an intent is described to the LLM: its description, or a few of its examples.
std::string Describe(const Intent& intent) {
  if (!intent.description.empty()) return intent.description;
  std::string examples;
  for (size_t i = 0; i < intent.examples.size() && i < 3; ++i) {
    examples += (examples.empty() ? "e.g. \"" : "; \"") + intent.examples[i] + "\"";
  }
  return examples;
}

}  // namespace

std::string_view ToString(RoutingLevel level) {
  switch (level) {
    case RoutingLevel::kClassifier:
      return "classifier";
    case RoutingLevel::kLlm:
      return "llm";
    case RoutingLevel::kHuman:
      return "human";
  }
  return "classifier";
}

nlohmann::json RoutingDecision::ToJson() const {
  nlohmann::json ranked = nlohmann::json::array();
  for (const RoutingCandidate& candidate : candidates) {
    ranked.push_back({{"intent", candidate.intent}, {"confidence", candidate.confidence}});
  }
  nlohmann::json json = {{"intent", intent},
                         {"confidence", confidence},
                         {"level", std::string(ToString(level))},
                         {"reason", reason},
                         {"candidates", ranked}};
  if (!llm_answer.empty()) json["llm_answer"] = llm_answer;
  return json;
}

Result<std::shared_ptr<const IntentRouter>> IntentRouter::Build(IntentCatalog catalog, const TrainingOptions& options) {
  TROUPE_ASSIGN_OR_RETURN(IntentClassifier classifier, IntentClassifier::Train(ExamplesOf(catalog), options));
  return std::make_shared<const IntentRouter>(std::move(catalog), std::move(classifier));
}

IntentRouter::IntentRouter(IntentCatalog catalog, IntentClassifier classifier)
    : catalog_(std::move(catalog)), classifier_(std::move(classifier)) {}

RoutingDecision IntentRouter::Decide(RoutingDecision decision) const {
  const Intent* intent = catalog_.Find(decision.intent);
  if (decision.level != RoutingLevel::kHuman && intent != nullptr && intent->handoff) {
    decision.level = RoutingLevel::kHuman;
    decision.reason = "handoff_intent";
  }
  return decision;
}

RoutingDecision IntentRouter::Classify(std::string_view message) const {
  const std::vector<IntentScore> ranked = classifier_.Classify(message);
  RoutingDecision decision;
  decision.intent = std::string(ranked.front().intent);
  decision.confidence = ranked.front().confidence;
  for (size_t i = 0; i < ranked.size() && i < kLlmCandidates; ++i) {
    decision.candidates.push_back({std::string(ranked[i].intent), ranked[i].confidence});
  }
  if (decision.confidence >= catalog_.routing.classifier) {
    decision.level = RoutingLevel::kClassifier;
    decision.reason = "confident";
    return Decide(std::move(decision));
  }
  if (decision.confidence >= catalog_.routing.llm) {
    decision.level = RoutingLevel::kLlm;
    decision.reason = "uncertain";
    return decision;
  }
  decision.level = RoutingLevel::kHuman;
  decision.reason = "low_confidence";
  decision.intent.clear();
  return decision;
}

llm::ChatRequest IntentRouter::LlmRequest(std::string_view message, const RoutingDecision& first) const {
  std::string system =
      "You route a customer's message to the one intent it is about. The intents:\n";
  nlohmann::json names = nlohmann::json::array();
  for (const RoutingCandidate& candidate : first.candidates) {
    const Intent* intent = catalog_.Find(candidate.intent);
    system += "- " + candidate.intent + ": " + (intent != nullptr ? Describe(*intent) : "") + "\n";
    names.push_back(candidate.intent);
  }
  names.push_back(std::string(kNone));
  system += "Answer with the intent's name, or \"none\" when none of them fits.";
  const nlohmann::json schema = {{"type", "object"},
                                 {"properties", {{"intent", {{"type", "string"}, {"enum", names}}}}},
                                 {"required", {"intent"}},
                                 {"additionalProperties", false}};
  llm::ChatRequest request;
  request.messages = {{"system", system, "", {}, ""}, {"user", std::string(message), "", {}, ""}};
  request.sampling.temperature = 0;
  request.sampling.max_tokens = 64;
  request.response_format.kind = llm::ResponseFormat::Kind::kJsonSchema;
  request.response_format.name = "intent";
  request.response_format.schema_json = schema.dump();
  request.response_format.strict = true;
  return request;
}

RoutingDecision IntentRouter::WithLlmAnswer(RoutingDecision first, const Result<llm::ChatResult>& answer) const {
  first.level = RoutingLevel::kHuman;
  if (!answer.ok()) {
    first.reason = "llm_failed";
    first.llm_answer = answer.status().message();
    first.intent.clear();
    return first;
  }
  first.llm_answer = answer->content;
  const nlohmann::json parsed = nlohmann::json::parse(answer->content, nullptr, /*allow_exceptions=*/false);
  const std::string chosen = parsed.is_object() && parsed.contains("intent") && parsed["intent"].is_string()
                                 ? parsed["intent"].get<std::string>()
                                 : "";
  if (chosen == kNone) {
    first.reason = "llm_none";
    first.intent.clear();
    return first;
  }
  const auto candidate = std::find_if(first.candidates.begin(), first.candidates.end(),
                                      [&](const RoutingCandidate& score) { return score.intent == chosen; });
  // A remote endpoint may ignore the schema: an answer outside the candidates is no answer.
  if (chosen.empty() || candidate == first.candidates.end()) {
    first.reason = "llm_failed";
    first.intent.clear();
    return first;
  }
  first.level = RoutingLevel::kLlm;
  first.intent = chosen;
  first.confidence = candidate->confidence;
  return Decide(std::move(first));
}

std::shared_ptr<llm::ChatCall> IntentRouter::Route(std::string_view message, llm::Provider& provider,
                                                   std::function<void(RoutingDecision)> done) const {
  RoutingDecision first = Classify(message);
  if (first.level != RoutingLevel::kLlm) {
    done(std::move(first));
    return nullptr;
  }
  llm::ChatRequest request = LlmRequest(message, first);
  llm::ChatCallbacks callbacks;
  // The router outlives the call: its owner (the runtime's cache) keeps it while turns run.
  callbacks.on_done = [this, first = std::move(first), done = std::move(done)](Result<llm::ChatResult> answer) mutable {
    done(WithLlmAnswer(std::move(first), answer));
  };
  return provider.Start(std::move(request), std::move(callbacks));
}

RoutingDecision IntentRouter::RouteAndWait(std::string_view message, llm::Provider& provider) const {
  RoutingDecision first = Classify(message);
  if (first.level != RoutingLevel::kLlm) return first;
  const Result<llm::ChatResult> answer = provider.Chat(LlmRequest(message, first), {});
  return WithLlmAnswer(std::move(first), answer);
}

}  // namespace troupe::chat::intents
