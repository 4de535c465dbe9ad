// The intents an assistant knows: per intent its example utterances, the tools it may use, the
// prompt and templates it answers with, and whether it is chit-chat (left to the character). Read
// from Troupe's catalog YAML, from Rasa NLU YAML (3.x: `nlu:` / `- intent:` / `examples: |`), from
// `text<TAB>intent` lines or from a CSV with a header naming a text and an intent column; a
// directory is every such file in it, merged. Errors name the file, the line and what is wrong.
//
// Troupe's catalog:
//   routing:                      # optional
//     classifier_threshold: 0.5   # the classifier decides at or above this confidence
//     llm_threshold: 0.3          # the LLM decides at or above this; below, a human
//     handoff_sentiment: -0.6     # a message this negative goes to a human
//     handoff_after_failures: 2   # so does an intent unresolved this many times in a row (0: never)
//     handoff_predicted_above: 0  # so does a conversation predicted this likely to need one (0: never)
//     template_similarity: 0.5    # a template matches a message this similar when its intent has none
//   intents:
//     - name: check_balance       # [A-Za-z0-9_.-], unique
//       description: The customer asks how much credit is left.
//       examples: ["what's my balance", "how much money do I have left"]
//       tools: [get_balance]
//       tool_choice: auto         # required: the reply calls one of the tools before it answers
//       prompt: Tell the balance and when it was last updated.
//       templates:                # canned answers (templates/response_template.h)
//         - "Your balance is {balance}."           # a plain one, named template_1
//         - name: renewal                         # or named, with facts that must survive
//           text: "Your plan renews on {renewal_date} for €15."
//           facts: ["renews"]                    # "€15" is found on its own
//       chit_chat: false
//       handoff: false            # true: a message of this intent goes to a human
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "chat/templates/response_template.h"

namespace troupe::chat::intents {

struct Intent {
  std::string name;
  std::string description;
  std::vector<std::string> examples;
  std::vector<std::string> tools;
  std::string tool_choice = "auto";  // or "required"
  std::string prompt;
  std::vector<templates::ResponseTemplate> templates;
  bool chit_chat = false;
  bool handoff = false;  // the user asks for a person: routing it means a human takes over
};

struct RoutingThresholds {
  double classifier = 0.5;
  double llm = 0.3;
  // A reply hands the conversation to a human on its own (chat/handoff.h) when the user's message
  // is at least this negative (-1..0; -1: only the most negative), or when the same intent went
  // unresolved this many times in a row (0: never).
  double handoff_sentiment = -0.6;
  int handoff_after_failures = 2;
  // ... or when the outcome predictor gives the conversation at least this probability of needing
  // a person (chat/outcome_prediction.h; 0: never, the default).
  double handoff_predicted_above = 0;
  // A message routed to no intent with templates gets the most similar template (TF-IDF cosine
  // with its text and its intent's examples) at or above this (chat/templates/template_match.h).
  double template_similarity = 0.5;
};

struct IntentCatalog {
  std::vector<Intent> intents;  // in the order first seen
  RoutingThresholds routing;

  const Intent* Find(std::string_view name) const;
  size_t example_count() const;
};

// One labelled utterance and where it came from ("file:line").
struct LabelledExample {
  std::string text;
  std::string intent;
  std::string source;
};

// Parses one file's text; `name` (a path) picks the format by extension (.yml/.yaml: catalog or
// Rasa NLU, told apart by `nlu:`; .csv; anything else: text<TAB>intent) and prefixes errors.
Result<IntentCatalog> ParseIntentCatalog(std::string_view text, std::string_view name);

// Reads a file, or every .yml, .yaml, .csv, .tsv and .txt file of a directory (in name order,
// merged: an intent named twice gets both files' examples; its other fields come from the first
// that sets them).
Result<IntentCatalog> LoadIntentCatalog(const std::string& path);

// A character's own catalog: `troupe.intents` of its card's extensions (the JSON object a card's
// `data.extensions` holds), written like the YAML catalog. nullopt when the card has none;
// kInvalidArgument with field "extensions.troupe.intents" when it does not load.
Result<std::optional<IntentCatalog>> CatalogFromExtensions(std::string_view extensions_json);

// Every example of the catalog, labelled with its intent.
std::vector<LabelledExample> ExamplesOf(const IntentCatalog& catalog);

// Labelled examples from a file in any format above (for evaluation, where the order of the
// examples and their sources matter).
Result<std::vector<LabelledExample>> LoadLabelledExamples(const std::string& path);

}  // namespace troupe::chat::intents
