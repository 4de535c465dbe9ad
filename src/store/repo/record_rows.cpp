#include "store/repo/record_rows.h"

#include "store/repo/common.h"

namespace troupe::store::repo {

User ReadUser(const sql::Row& row) {
  sql::RowReader read(row);
  User user;
  user.id = read.Int();
  user.external_id = read.Text();
  user.display_name = read.Text();
  user.segment = read.Text();
  user.metadata_json = read.Text();
  user.created_at = read.Int();
  user.updated_at = read.Int();
  return user;
}

Conversation ReadConversation(const sql::Row& row) {
  sql::RowReader read(row);
  Conversation c;
  c.id = read.Int();
  c.user_id = read.Int();
  c.character_id = read.Int();
  c.title = read.Text();
  c.stage = read.Text();
  c.mood = read.Text();
  c.affinity = read.Double();
  c.status = ParseConversationStatus(read.Text()).value_or(ConversationStatus::kActive);
  c.message_count = read.Int();
  c.last_activity_at = read.Int();
  c.metadata_json = read.Text();
  c.created_at = read.Int();
  c.updated_at = read.Int();
  return c;
}

Message ReadMessage(const sql::Row& row) {
  sql::RowReader read(row);
  Message m;
  m.id = read.Int();
  m.conversation_id = read.Int();
  m.parent_id = read.OptionalInt();
  m.role = ParseMessageRole(read.Text()).value_or(MessageRole::kUser);
  m.content = read.Text();
  m.stage = read.Text();
  m.prompt_tokens = read.Int();
  m.completion_tokens = read.Int();
  m.latency_ms = read.Int();
  m.sentiment = read.OptionalDouble();
  if (std::optional<int64_t> rating = read.OptionalInt()) m.rating = static_cast<int>(*rating);
  m.incomplete = read.Bool();
  m.metadata_json = read.Text();
  m.created_at = read.Int();
  m.updated_at = read.Int();
  return m;
}

Memory ReadMemory(const sql::Row& row) {
  sql::RowReader read(row);
  Memory m;
  m.id = read.Int();
  m.conversation_id = read.Int();
  m.kind = ParseMemoryKind(read.Text()).value_or(MemoryKind::kPinned);
  m.content = read.Text();
  m.covers_until_message_id = read.OptionalInt();
  m.created_at = read.Int();
  m.updated_at = read.Int();
  return m;
}

FeedbackEvent ReadFeedbackEvent(const sql::Row& row) {
  sql::RowReader read(row);
  FeedbackEvent e;
  e.id = read.Int();
  e.conversation_id = read.Int();
  e.message_id = read.OptionalInt();
  e.user_id = read.OptionalInt();
  e.kind = read.Text();
  if (std::optional<int64_t> rating = read.OptionalInt()) e.rating = static_cast<int>(*rating);
  e.comment = read.Text();
  e.sentiment = read.OptionalDouble();
  e.created_at = read.Int();
  return e;
}

ToolCallRecord ReadToolCall(const sql::Row& row) {
  sql::RowReader read(row);
  ToolCallRecord call;
  call.id = read.Int();
  call.conversation_id = read.Int();
  call.message_id = read.OptionalInt();
  call.call_id = read.Text();
  call.tool = read.Text();
  call.intent = read.Text();
  call.arguments_json = read.Text();
  call.method = read.Text();
  call.url = read.Text();
  call.http_status = static_cast<int>(read.Int());
  call.outcome = read.Text();
  call.error = read.Text();
  call.latency_ms = read.Double();
  call.attempts = static_cast<int>(read.Int());
  call.created_at = read.Int();
  return call;
}

ApiKey ReadApiKey(const sql::Row& row) {
  sql::RowReader read(row);
  ApiKey key;
  key.id = read.Int();
  key.name = read.Text();
  key.prefix = read.Text();
  key.secret_hash = read.Text();
  key.scopes = DecodeStringArray(read.Text());
  key.user_id = read.OptionalInt();
  key.created_at = read.Int();
  key.last_used_at = read.OptionalInt();
  key.revoked_at = read.OptionalInt();
  return key;
}

}  // namespace troupe::store::repo
