// Internal to the API: records to JSON (snake_case names as in store/records.h; *_json text fields
// become JSON values without the suffix; secret_hash never leaves), and the small readers every
// handler shares (ids from the path, pages from the query, arrays and JSON values from bodies).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/http/http_message.h"
#include "server/http/json_body.h"
#include "store/campaign_repository.h"
#include "store/records.h"
#include "store/store.h"

namespace troupe::server::api {

nlohmann::json ToJson(const store::Character& character);
nlohmann::json ToJson(const store::User& user);
nlohmann::json ToJson(const store::Conversation& conversation);
nlohmann::json ToJson(const store::Message& message);
nlohmann::json ToJson(const store::Memory& memory);
nlohmann::json ToJson(const store::FeedbackEvent& event);
nlohmann::json ToJson(const store::ToolCallRecord& call);
nlohmann::json ToJson(const store::ApiKey& key);
nlohmann::json ToJson(const store::Job& job);
nlohmann::json ToJson(const store::CampaignMessage& message);
nlohmann::json ToJson(const store::ExperimentRecord& experiment);
nlohmann::json ToJson(const store::OutcomeModelRecord& model);  // without its trees

// {"data":[...],"next_cursor":"..." or null}.
template <typename T>
nlohmann::json PageJson(const store::Page<T>& page) {
  nlohmann::json data = nlohmann::json::array();
  for (const T& item : page.items) data.push_back(ToJson(item));
  return {{"data", std::move(data)},
          {"next_cursor", page.next_cursor.empty() ? nlohmann::json(nullptr)
                                                   : nlohmann::json(page.next_cursor)}};
}

// A positive integer path parameter; kInvalidArgument naming it otherwise.
Result<int64_t> PathId(const Request& request, std::string_view name);
// A positive integer id from the query string; nullopt when absent or empty.
Result<std::optional<int64_t>> IdQuery(const Request& request, std::string_view name);
// ?limit= (1..500, default 50) and ?cursor=; kInvalidArgument naming "limit" when it is not an
// integer in range. The store rejects a malformed cursor naming "cursor".
Result<store::PageRequest> PageFromQuery(const Request& request);
// An optional boolean query parameter ("true"/"false"); kInvalidArgument naming it otherwise.
Result<std::optional<bool>> BoolQuery(const Request& request, std::string_view name);

// The body as a JSON object (415/400 as ParseJsonBody, and 400 when it is not an object).
HttpResult<nlohmann::json> ObjectBody(const Request& request);

// An optional array of strings.
std::optional<std::vector<std::string>> OptionalStringArray(JsonObjectReader& reader,
                                                            std::string_view name);
// An optional JSON value stored as text: an object (or, for arrays, an array); null clears it to
// "". Wrong types fail the reader.
enum class JsonShape { kObject, kArray };
std::optional<std::string> OptionalJsonText(JsonObjectReader& reader, std::string_view name,
                                            JsonShape shape);

// 404 that says what was missing, without saying whether it exists for someone else.
Status NotFoundField(std::string message, std::string field);

}  // namespace troupe::server::api
