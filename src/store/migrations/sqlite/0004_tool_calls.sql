-- The audit of tool calls: one row per call a turn made, refused or left awaiting the user's
-- confirmation, with its arguments masked. latency_ms is fractional (REAL).

CREATE TABLE tool_calls (
  id INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
  call_id TEXT NOT NULL DEFAULT '',
  tool TEXT NOT NULL,
  intent TEXT NOT NULL DEFAULT '',
  arguments_json TEXT NOT NULL DEFAULT '{}',
  method TEXT NOT NULL DEFAULT '',
  url TEXT NOT NULL DEFAULT '',
  http_status INTEGER NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  latency_ms REAL NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX tool_calls_conversation ON tool_calls (conversation_id, id);
-- The agent console's time windows.
CREATE INDEX tool_calls_created ON tool_calls (created_at);
-- Deleting messages (a conversation's cascade) looks up the calls that point at them.
CREATE INDEX tool_calls_message ON tool_calls (message_id);
