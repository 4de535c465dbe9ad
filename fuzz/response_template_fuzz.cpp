// Response templates from outside (operators' catalogs): any text gives a template or an error
// that names where; a template's slots are valid names, each once; filled with values it renders
// with no brace left, and its own rendering keeps every fact and value (CheckFacts), whatever the
// text. The fact finder takes any text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "chat/templates/response_template.h"

using namespace troupe::chat::templates;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const std::string& fact : FindFacts(text)) {
    if (fact.empty() || text.find(fact) == std::string::npos) std::abort();
  }
  troupe::Result<ResponseTemplate> parsed = ParseTemplate("t", text, {}, "where");
  if (!parsed.ok()) {
    if (parsed.status().message().rfind("where: ", 0) != 0) std::abort();
    return 0;
  }
  std::set<std::string> seen;
  SlotValues values;
  for (const std::string& slot : parsed->slots) {
    if (slot.empty() || !seen.insert(slot).second) std::abort();
    values[slot] = "value of " + slot;
  }
  const std::string rendered = Render(*parsed, values);
  if (rendered.find('{') != std::string::npos || rendered.find('}') != std::string::npos) std::abort();
  if (!UnfilledSlots(*parsed, values).empty()) std::abort();
  if (!CheckFacts(*parsed, values, rendered).kept) std::abort();
  // Listed facts are checked too: the first fact found, listed, parses the same.
  if (!parsed->facts.empty()) {
    troupe::Result<ResponseTemplate> listed = ParseTemplate("t", text, {parsed->facts.front()}, "where");
    if (!listed.ok() || listed->facts != parsed->facts) std::abort();
  }
  return 0;
}
