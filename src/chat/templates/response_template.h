// A response template: a canned answer whose `{slot}` placeholders are filled per conversation
// ("Your balance is {balance}."). Everything else the customer must be told exactly is a fact: the
// strings the template lists under `facts`, and every number, amount and URL in its text outside
// the slots (found on their own). A reply written from the template keeps its facts when every
// fact and every filled slot's value appears in it (CheckFacts); the tone around them may change.
//
// Written in an intent catalog (intents/intent_catalog.h) as a plain string or as
//   {name: balance, text: "Your balance is {balance}.", facts: ["balance"]}
// Slot names are [A-Za-z_][A-Za-z0-9_.]*; a brace that opens no slot, an unclosed one or a listed
// fact missing from the text is an error naming where it is. Plain values, no threads: thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace troupe::chat::templates {

struct ResponseTemplate {
  std::string name;                // unique within its intent; "template_N" (1-based) for a plain string
  std::string text;
  std::vector<std::string> slots;  // each once, in order of first appearance
  std::vector<std::string> facts;  // listed first, then found in the text; each once

  bool operator==(const ResponseTemplate&) const = default;
};

using SlotValues = std::map<std::string, std::string>;

// The template with `text`; `listed_facts` must each occur in the text outside its slots. Errors
// are kInvalidArgument prefixed with `where` (e.g. "catalog.yml:12: check_balance.templates[0]").
Result<ResponseTemplate> ParseTemplate(std::string name, std::string text, std::vector<std::string> listed_facts,
                                       std::string_view where);

// Numbers ("42", "1,299.00"), amounts ("€12.50", "$5", "20GB", "15%") and URLs ("https://...",
// "www....") in `text`, in order; `text` is literal (slots are cut out by the caller).
std::vector<std::string> FindFacts(std::string_view text);

// The text with each slot that has a non-empty value replaced by it; other slots stay "{slot}".
std::string Render(const ResponseTemplate& response, const SlotValues& values);

// The slots without a non-empty value in `values`, in the template's order.
std::vector<std::string> UnfilledSlots(const ResponseTemplate& response, const SlotValues& values);

struct FactCheck {
  bool kept = true;
  std::vector<std::string> missing;  // the facts and values not found in the reply
};

// Whether `reply` keeps every fact of the template and every non-empty value of its slots.
// Compared with runs of whitespace as one space and ASCII letters in lower case.
FactCheck CheckFacts(const ResponseTemplate& response, const SlotValues& values, std::string_view reply);

}  // namespace troupe::chat::templates
