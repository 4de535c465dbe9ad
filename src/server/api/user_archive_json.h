// One end user's exported data, and a deletion's report, as JSON: what GET
// /api/v1/users/{user_id}/export and DELETE /api/v1/users/{user_id} answer and what `troupe users
// export|delete` print, written here once so the API and the CLI cannot differ (docs/api.md
// describes the shape). Records appear as the REST resources show them; no secret hash ever does.
#pragma once

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "store/user_data_repository.h"

namespace troupe::server::api {

// The archive's format name and version, its first two fields.
inline constexpr std::string_view kUserExportFormat = "troupe-user-export";
inline constexpr int kUserExportVersion = 1;

// {"format", "version", "exported_at" (ms since the epoch), "user", "conversations": [conversation
// fields + "character_name", "messages", "memories", "feedback", "tool_calls"], "feedback_elsewhere",
// "api_keys"}.
nlohmann::json UserArchiveJson(const store::UserArchive& archive, int64_t exported_at);

// {"user_id", "deleted": {"conversations", "messages", "memories", "feedback_events", "tool_calls",
// "api_keys", "jobs"}, "jobs_cancelled"}.
nlohmann::json DeletionReportJson(const store::DeletionReport& report);

}  // namespace troupe::server::api
