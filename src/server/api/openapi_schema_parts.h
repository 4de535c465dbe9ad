// Internal to src/server/api: the pieces the OpenAPI document (openapi.cpp) is built from, and the
// schemas of the support features (campaigns, customers and segments, KPIs), kept apart so each
// file stays readable.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace troupe::server::api::openapi_parts {

nlohmann::json Ref(std::string_view name);
nlohmann::json Type(std::string_view type, bool nullable = false);
nlohmann::json StringArray();
nlohmann::json AnyObject(bool nullable = false);
nlohmann::json Enum(std::vector<std::string> values);
nlohmann::json Object(nlohmann::json properties, std::vector<std::string> required = {});
nlohmann::json ArrayOf(std::string_view schema);
nlohmann::json Nullable(nlohmann::json schema);

void AddCampaignSchemas(nlohmann::json& schemas);
void AddKpiSchemas(nlohmann::json& schemas);
void AddAnalyticsSchemas(nlohmann::json& schemas);
void AddCustomerSchemas(nlohmann::json& schemas);
void AddStudioSchemas(nlohmann::json& schemas);
void AddExperimentSchemas(nlohmann::json& schemas);  // openapi_studio_analytics_schemas.cpp
void AddPredictionSchemas(nlohmann::json& schemas);  // openapi_studio_analytics_schemas.cpp

}  // namespace troupe::server::api::openapi_parts
