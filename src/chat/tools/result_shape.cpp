#include "chat/tools/result_shape.h"

#include <nlohmann/json.hpp>

namespace troupe::chat::tools {
namespace {

using nlohmann::json;

constexpr int kMostItems = 100;

Status ShapeError(const std::string& where, const std::string& message) { return InvalidArgument(where + ": " + message, where); }

json Pick(const json& value, const std::vector<std::string>& fields) {
  if (!value.is_object() || fields.empty()) return value;
  json picked = json::object();
  for (const std::string& field : fields) {
    const auto found = value.find(field);
    if (found != value.end()) picked[field] = *found;
  }
  return picked;
}

}  // namespace

Result<ResultShape> ParseResultShape(const json& value, const std::string& where) {
  if (!value.is_object()) return ShapeError(where, "expected an object with pointer, fields or max_items");
  ResultShape shape;
  for (const auto& [key, item] : value.items()) {
    if (key == "pointer") {
      if (!item.is_string()) return ShapeError(where + ".pointer", "expected a JSON pointer such as /results");
      shape.pointer = item.get<std::string>();
      try {
        (void)json::json_pointer(shape.pointer);
      } catch (const json::exception&) {
        return ShapeError(where + ".pointer", "not a JSON pointer: '" + shape.pointer + "'");
      }
    } else if (key == "fields") {
      if (!item.is_array()) return ShapeError(where + ".fields", "expected a list of field names");
      for (const json& field : item) {
        if (!field.is_string() || field.get<std::string>().empty()) return ShapeError(where + ".fields", "expected field names");
        shape.fields.push_back(field.get<std::string>());
      }
    } else if (key == "max_items") {
      if (!item.is_number_integer() || item.get<int64_t>() < 1 || item.get<int64_t>() > kMostItems) {
        return ShapeError(where + ".max_items", "expected 1 to " + std::to_string(kMostItems));
      }
      shape.max_items = static_cast<int>(item.get<int64_t>());
    } else {
      return ShapeError(where + "." + key, "unknown key");
    }
  }
  return shape;
}

std::string ShapeResult(const ResultShape& shape, std::string_view body) {
  if (shape.empty()) return std::string(body);
  json answer = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded()) return std::string(body);
  if (!shape.pointer.empty()) {
    const json::json_pointer pointer(shape.pointer);
    if (!answer.contains(pointer)) {
      return std::string(body) + "\n[note: the answer has nothing at " + shape.pointer + "]";
    }
    answer = answer.at(pointer);
  }
  if (answer.is_array()) {
    json items = json::array();
    for (const json& item : answer) {
      if (shape.max_items > 0 && static_cast<int>(items.size()) == shape.max_items) break;
      items.push_back(Pick(item, shape.fields));
    }
    answer = std::move(items);
  } else {
    answer = Pick(answer, shape.fields);
  }
  return answer.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace troupe::chat::tools
