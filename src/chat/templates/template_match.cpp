// Matching a message to a response template (template_match.h).
#include "chat/templates/template_match.h"

#include <algorithm>

namespace troupe::chat::templates {

namespace {

bool Templated(const intents::Intent& intent) {
  return !intent.chit_chat && !intent.handoff && !intent.templates.empty();
}

// Both vectors are sorted by index and of unit length: their dot product is the cosine.
double TemplateCosine(const std::vector<intents::FeatureValue>& a, const std::vector<intents::FeatureValue>& b) {
  double sum = 0;
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].index == b[j].index) {
      sum += static_cast<double>(a[i].value) * b[j].value;
      ++i;
      ++j;
    } else if (a[i].index < b[j].index) {
      ++i;
    } else {
      ++j;
    }
  }
  return std::clamp(sum, 0.0, 1.0);
}

}  // namespace

std::string LiteralText(const ResponseTemplate& response) {
  std::string literal;
  for (size_t i = 0; i < response.text.size(); ++i) {
    const size_t close = response.text[i] == '{' ? response.text.find('}', i + 1) : std::string::npos;
    if (close == std::string::npos) {
      literal.push_back(response.text[i]);
    } else {
      literal.push_back(' ');
      i = close;
    }
  }
  return literal;
}

TemplateMatcher::TemplateMatcher(const intents::IntentCatalog& catalog) : catalog_(catalog) {
  std::vector<std::string> texts;
  for (const intents::Intent& intent : catalog.intents) {
    if (!Templated(intent)) continue;
    texts.insert(texts.end(), intent.examples.begin(), intent.examples.end());
    for (const ResponseTemplate& response : intent.templates) texts.push_back(LiteralText(response));
  }
  if (!texts.empty()) features_ = intents::TextFeatures::Fit(texts, 1);
}

double TemplateMatcher::Similarity(const intents::Intent& intent, const ResponseTemplate& response,
                                   std::string_view message) const {
  const std::vector<intents::FeatureValue> asked = features_.Vectorize(message);
  if (asked.empty()) return 0;
  double best = TemplateCosine(asked, features_.Vectorize(LiteralText(response)));
  for (const std::string& example : intent.examples) {
    best = std::max(best, TemplateCosine(asked, features_.Vectorize(example)));
  }
  return best;
}

std::optional<TemplateMatch> TemplateMatcher::Match(std::string_view routed_intent, double confidence,
                                                    std::string_view message) const {
  const intents::Intent* routed = routed_intent.empty() ? nullptr : catalog_.Find(routed_intent);
  if (routed != nullptr && (routed->chit_chat || routed->handoff)) return std::nullopt;
  if (routed != nullptr && !routed->templates.empty()) {
    const std::vector<intents::FeatureValue> asked = features_.Vectorize(message);
    const ResponseTemplate* best = &routed->templates.front();
    double best_score = -1;
    for (const ResponseTemplate& response : routed->templates) {
      const double score = TemplateCosine(asked, features_.Vectorize(LiteralText(response)));
      if (score > best_score) {
        best = &response;
        best_score = score;
      }
    }
    return TemplateMatch{routed, best, "intent", confidence};
  }
  std::optional<TemplateMatch> found;
  for (const intents::Intent& intent : catalog_.intents) {
    if (!Templated(intent)) continue;
    for (const ResponseTemplate& response : intent.templates) {
      const double score = Similarity(intent, response, message);
      if (score >= catalog_.routing.template_similarity && (!found || score > found->score)) {
        found = TemplateMatch{&intent, &response, "similarity", score};
      }
    }
  }
  return found;
}

}  // namespace troupe::chat::templates
