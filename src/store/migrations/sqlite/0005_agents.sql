-- Human agents (API keys with the agent scope): their presence, and which handed-off conversation
-- each one is working on. The presence row is the agent's last word (a status and how many
-- conversations they take at once) with when they were last seen; callers treat an agent not seen
-- for a while as offline. An assignment row belongs to one handoff: it is removed when the
-- conversation is handed back, and a conversation that is no longer handed off never counts.

CREATE TABLE agent_presence (
  key_id INTEGER PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  max_conversations INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
);

CREATE TABLE handoff_assignments (
  conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
  key_id INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  assigned_at INTEGER NOT NULL
);
-- Counting an agent's conversations when choosing who takes the next one.
CREATE INDEX handoff_assignments_key ON handoff_assignments (key_id);
