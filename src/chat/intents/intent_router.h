// The two-level intent router: the classifier decides when it is confident (no LLM call); between
// the catalog's two thresholds an LLM picks among the classifier's likeliest intents, its answer
// constrained by a JSON schema to their names or "none"; below the lower threshold, on an intent
// marked `handoff`, or when the LLM says none fits or fails, the message goes to a human. Every
// decision says which level made it, so it can be stored with the message and audited.
//
// Thread-safe: a router is immutable once built; Route's callback runs on the provider's thread.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "chat/intents/intent_catalog.h"
#include "chat/intents/intent_classifier.h"
#include "llm/provider.h"

namespace troupe::chat::intents {

enum class RoutingLevel { kClassifier, kLlm, kHuman };
std::string_view ToString(RoutingLevel level);  // "classifier" | "llm" | "human"

// One of the classifier's likeliest intents (owned: a decision may outlive its router).
struct RoutingCandidate {
  std::string intent;
  double confidence = 0;
};

struct RoutingDecision {
  std::string intent;       // "" when a human takes the message without one
  double confidence = 0;    // the classifier's calibrated confidence in `intent` (or in its best guess)
  RoutingLevel level = RoutingLevel::kClassifier;
  std::string reason;       // why this level: "confident", "uncertain", "low_confidence", "handoff_intent",
                            // "llm_none", "llm_failed"
  std::vector<RoutingCandidate> candidates;  // the classifier's likeliest intents, best first
  std::string llm_answer;   // the LLM's raw answer, when it was asked

  // {"intent", "confidence", "level", "reason", "candidates": [{"intent", "confidence"}], "llm_answer"}
  nlohmann::json ToJson() const;
};

class IntentRouter {
 public:
  // How many of the classifier's likeliest intents the LLM chooses among.
  static constexpr size_t kLlmCandidates = 6;

  // Trains the catalog's classifier (see IntentClassifier::Train).
  static Result<std::shared_ptr<const IntentRouter>> Build(IntentCatalog catalog, const TrainingOptions& options = {});
  IntentRouter(IntentCatalog catalog, IntentClassifier classifier);

  // The first level alone: a decision at kClassifier or kHuman, or kLlm when the LLM should be asked
  // (then `intent` is the classifier's best guess).
  RoutingDecision Classify(std::string_view message) const;

  // The request that asks the LLM to choose among `first.candidates`.
  llm::ChatRequest LlmRequest(std::string_view message, const RoutingDecision& first) const;
  // The decision once the LLM has answered (or failed).
  RoutingDecision WithLlmAnswer(RoutingDecision first, const Result<llm::ChatResult>& answer) const;

  // Both levels: calls `done` with the decision, at once when the classifier decides, else after
  // the LLM's answer on the provider's thread. The returned call (null when no LLM was needed)
  // cancels the LLM's part.
  std::shared_ptr<llm::ChatCall> Route(std::string_view message, llm::Provider& provider,
                                       std::function<void(RoutingDecision)> done) const;
  // The blocking form, for callers that own their thread.
  RoutingDecision RouteAndWait(std::string_view message, llm::Provider& provider) const;

  const IntentCatalog& catalog() const { return catalog_; }
  const IntentClassifier& classifier() const { return classifier_; }

 private:
  RoutingDecision Decide(RoutingDecision decision) const;

  IntentCatalog catalog_;
  IntentClassifier classifier_;
};

}  // namespace troupe::chat::intents
