-- Human agents (API keys with the agent scope): their presence, and which handed-off conversation
-- each one is working on. The same tables as the SQLite migration of the same number.

CREATE TABLE agent_presence (
  key_id BIGINT PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  max_conversations INTEGER NOT NULL,
  last_seen_at BIGINT NOT NULL
);

CREATE TABLE handoff_assignments (
  conversation_id BIGINT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
  key_id BIGINT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  assigned_at BIGINT NOT NULL
);
-- Counting an agent's conversations when choosing who takes the next one.
CREATE INDEX handoff_assignments_key ON handoff_assignments (key_id);
