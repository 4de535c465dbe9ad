#include "studio/payload_reader.h"

#include <cmath>
#include <utility>

namespace troupe::studio {

std::string PayloadReader::Text(const char* key, bool required) {
  const auto found = json_.find(key);
  if (found == json_.end()) {
    if (required) Fail(key, std::string(key) + " is required");
    return "";
  }
  if (!found->is_string()) Fail(key, std::string(key) + " must be a string");
  return found->is_string() ? found->get<std::string>() : "";
}

int64_t PayloadReader::Integer(const char* key, int64_t fallback, int64_t low, int64_t high) {
  const auto found = json_.find(key);
  if (found == json_.end()) return fallback;
  if (!found->is_number_integer() || found->get<int64_t>() < low || found->get<int64_t>() > high) {
    Fail(key, std::string(key) + " must be a whole number " + std::to_string(low) + ".." + std::to_string(high));
    return fallback;
  }
  return found->get<int64_t>();
}

double PayloadReader::Number(const char* key, double fallback, double low, double high) {
  const auto found = json_.find(key);
  if (found == json_.end()) return fallback;
  if (!found->is_number() || !std::isfinite(found->get<double>()) || found->get<double>() < low ||
      found->get<double>() > high) {
    Fail(key, std::string(key) + " must be a number " + nlohmann::json(low).dump() + ".." +
                  nlohmann::json(high).dump());
    return fallback;
  }
  return found->get<double>();
}

bool PayloadReader::Flag(const char* key) {
  const auto found = json_.find(key);
  if (found == json_.end()) return false;
  if (!found->is_boolean()) Fail(key, std::string(key) + " must be true or false");
  return found->is_boolean() && found->get<bool>();
}

std::vector<std::string> PayloadReader::Texts(const char* key, size_t max_count, size_t max_bytes) {
  const auto found = json_.find(key);
  if (found == json_.end()) return {};
  const std::string name(key);
  if (!found->is_array() || found->empty() || found->size() > max_count) {
    Fail(key, name + " must be a list of 1 to " + std::to_string(max_count) + " strings");
    return {};
  }
  std::vector<std::string> texts;
  for (size_t i = 0; i < found->size(); ++i) {
    const nlohmann::json& item = (*found)[i];
    const std::string where = name + "[" + std::to_string(i) + "]";
    if (!item.is_string() || item.get<std::string>().find_first_not_of(" \t\r\n") == std::string::npos ||
        item.get<std::string>().size() > max_bytes) {
      Fail(key, where + " must be text of at most " + std::to_string(max_bytes) + " bytes");
      return {};
    }
    texts.push_back(item.get<std::string>());
  }
  return texts;
}

void PayloadReader::Fail(const char* key, std::string message) {
  if (status_.ok()) status_ = InvalidArgument(std::move(message), key);
}

}  // namespace troupe::studio
