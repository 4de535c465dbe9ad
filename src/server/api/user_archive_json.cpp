#include "server/api/user_archive_json.h"

#include "server/api/json_io.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

template <typename Record>
json ArrayOf(const std::vector<Record>& records) {
  json items = json::array();
  for (const Record& record : records) items.push_back(ToJson(record));
  return items;
}

}  // namespace

json UserArchiveJson(const store::UserArchive& archive, int64_t exported_at) {
  json conversations = json::array();
  for (const store::ConversationArchive& entry : archive.conversations) {
    json conversation = ToJson(entry.conversation);
    conversation["character_name"] = entry.character_name;
    conversation["messages"] = ArrayOf(entry.messages);
    conversation["memories"] = ArrayOf(entry.memories);
    conversation["feedback"] = ArrayOf(entry.feedback);
    conversation["tool_calls"] = ArrayOf(entry.tool_calls);
    conversations.push_back(std::move(conversation));
  }
  return {{"format", kUserExportFormat},
          {"version", kUserExportVersion},
          {"exported_at", exported_at},
          {"user", ToJson(archive.user)},
          {"profile", json::parse(archive.profile_json, nullptr, /*allow_exceptions=*/false)},
          {"conversations", std::move(conversations)},
          {"feedback_elsewhere", ArrayOf(archive.feedback_elsewhere)},
          {"campaign_messages", ArrayOf(archive.campaign_messages)},
          {"api_keys", ArrayOf(archive.api_keys)}};
}

json DeletionReportJson(const store::DeletionReport& report) {
  return {{"user_id", report.user_id},
          {"deleted",
           {{"conversations", report.conversations},
            {"messages", report.messages},
            {"memories", report.memories},
            {"feedback_events", report.feedback_events},
            {"tool_calls", report.tool_calls},
            {"api_keys", report.api_keys},
            {"profiles", report.profiles},
            {"campaign_messages", report.campaign_messages},
            {"jobs", report.jobs}}},
          {"jobs_cancelled", report.jobs_cancelled}};
}

}  // namespace troupe::server::api
