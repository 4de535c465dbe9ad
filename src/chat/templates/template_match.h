// Which response template answers a message: a template of the intent the message was routed to
// (the one whose text is most like the message, when the intent has several), else, when routing
// found no intent with templates, the template most similar to the message (TF-IDF cosine of the
// message with the template's text, slots left out, and with its intent's examples) at or above the
// catalog's routing.template_similarity. Chit-chat and human handoff intents are never templated.
// Thread-safe once built.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/intents/intent_catalog.h"
#include "chat/intents/text_features.h"

namespace troupe::chat::templates {

struct TemplateMatch {
  const intents::Intent* intent = nullptr;      // into the matcher's catalog
  const ResponseTemplate* response = nullptr;   // into the matcher's catalog
  std::string matched_by;                       // "intent" | "similarity"
  double score = 0;                             // the routing's confidence, or the similarity
};

class TemplateMatcher {
 public:
  // Keeps a reference to `catalog`, which must outlive the matcher.
  explicit TemplateMatcher(const intents::IntentCatalog& catalog);

  // `routed_intent` is the routing decision's intent ("" when none) and `confidence` its confidence.
  std::optional<TemplateMatch> Match(std::string_view routed_intent, double confidence, std::string_view message) const;

  // The similarity (0..1) of `message` to template `response` of `intent`.
  double Similarity(const intents::Intent& intent, const ResponseTemplate& response, std::string_view message) const;

 private:
  const intents::IntentCatalog& catalog_;
  intents::TextFeatures features_;
};

// The text of a template with its slots left out, for comparing it with messages.
std::string LiteralText(const ResponseTemplate& response);

}  // namespace troupe::chat::templates
