// The columns the store selects for each record it reads from more than one place, and how a row
// of them becomes the record. Shared by the repository of each record and the user-data export,
// which reads every kind in one transaction; one list per record, so the two cannot drift.
#pragma once

#include <string_view>

#include "store/records.h"
#include "store/sql/value.h"

namespace troupe::store::repo {

inline constexpr std::string_view kUserColumns =
    "id, external_id, display_name, segment, metadata_json, created_at, updated_at";
inline constexpr std::string_view kConversationColumns =
    "id, user_id, character_id, title, stage, mood, affinity, status, message_count, last_activity_at, "
    "metadata_json, created_at, updated_at";
inline constexpr std::string_view kMessageColumns =
    "id, conversation_id, parent_id, role, content, stage, prompt_tokens, completion_tokens, latency_ms, "
    "sentiment, rating, incomplete, metadata_json, created_at, updated_at";
inline constexpr std::string_view kMemoryColumns =
    "id, conversation_id, kind, content, covers_until_message_id, created_at, updated_at";
inline constexpr std::string_view kFeedbackColumns =
    "id, conversation_id, message_id, user_id, kind, rating, comment, sentiment, created_at";
inline constexpr std::string_view kToolCallColumns =
    "id, conversation_id, message_id, call_id, tool, intent, arguments_json, method, url, http_status, outcome, "
    "error, latency_ms, attempts, created_at";
inline constexpr std::string_view kApiKeyColumns =
    "id, name, prefix, secret_hash, scopes, user_id, created_at, last_used_at, revoked_at";

// Each reads a row of exactly the columns above, in that order.
User ReadUser(const sql::Row& row);
Conversation ReadConversation(const sql::Row& row);
Message ReadMessage(const sql::Row& row);
Memory ReadMemory(const sql::Row& row);
FeedbackEvent ReadFeedbackEvent(const sql::Row& row);
ToolCallRecord ReadToolCall(const sql::Row& row);
ApiKey ReadApiKey(const sql::Row& row);

}  // namespace troupe::store::repo
