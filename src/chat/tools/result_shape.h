// What of a tool's JSON answer the model sees: a part of it (a JSON pointer), only some fields of
// each object, at most so many items of a list. A search API answers with pages of metadata; the
// model needs five titles, links and snippets. Defined with the tool:
//   "result": {"pointer": "/results", "fields": ["title", "url", "content"], "max_items": 5}
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace troupe::chat::tools {

struct ResultShape {
  std::string pointer;              // "" = the whole answer
  std::vector<std::string> fields;  // empty = every field
  int max_items = 0;                // 0 = every item

  bool empty() const { return pointer.empty() && fields.empty() && max_items == 0; }
};

// From a tool definition's "result" object; errors name `where` and the key.
Result<ResultShape> ParseResultShape(const nlohmann::json& value, const std::string& where);

// The answer as the model sees it. An answer that is not JSON, or has nothing at the pointer, is
// returned as it is (with a note when the pointer missed), so the model is never told less than the
// backend said by mistake.
std::string ShapeResult(const ResultShape& shape, std::string_view body);

}  // namespace troupe::chat::tools
