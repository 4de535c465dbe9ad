-- Troupe's domain tables. Times are milliseconds since the epoch; arrays and *_json columns hold
-- JSON text; booleans are 0/1.

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  external_id TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL DEFAULT '',
  segment TEXT NOT NULL DEFAULT '',
  metadata_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL UNIQUE,
  secret_hash TEXT NOT NULL,
  scopes TEXT NOT NULL DEFAULT '[]',
  user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX api_keys_user ON api_keys (user_id);
CREATE INDEX api_keys_active ON api_keys (id) WHERE revoked_at IS NULL;

CREATE TABLE characters (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  personality TEXT NOT NULL DEFAULT '',
  scenario TEXT NOT NULL DEFAULT '',
  first_mes TEXT NOT NULL DEFAULT '',
  mes_example TEXT NOT NULL DEFAULT '',
  creator_notes TEXT NOT NULL DEFAULT '',
  system_prompt TEXT NOT NULL DEFAULT '',
  post_history_instructions TEXT NOT NULL DEFAULT '',
  alternate_greetings TEXT NOT NULL DEFAULT '[]',
  character_book_json TEXT,
  tags TEXT NOT NULL DEFAULT '[]',
  creator TEXT NOT NULL DEFAULT '',
  character_version TEXT NOT NULL DEFAULT '',
  extensions_json TEXT NOT NULL DEFAULT '{}',
  nickname TEXT NOT NULL DEFAULT '',
  creator_notes_multilingual_json TEXT,
  source TEXT NOT NULL DEFAULT '[]',
  group_only_greetings TEXT NOT NULL DEFAULT '[]',
  assets_json TEXT,
  creation_date INTEGER,
  modification_date INTEGER,
  flow TEXT NOT NULL DEFAULT '',
  avatar TEXT NOT NULL DEFAULT '',
  published INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX characters_published ON characters (published, id);

CREATE TABLE conversations (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  character_id INTEGER NOT NULL REFERENCES characters (id) ON DELETE RESTRICT,
  title TEXT NOT NULL DEFAULT '',
  stage TEXT NOT NULL DEFAULT '',
  mood TEXT NOT NULL DEFAULT '',
  affinity REAL NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'active',
  message_count INTEGER NOT NULL DEFAULT 0,
  last_activity_at INTEGER NOT NULL,
  metadata_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX conversations_user_activity ON conversations (user_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_status_activity ON conversations (status, last_activity_at, id);
CREATE INDEX conversations_character ON conversations (character_id);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  parent_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
  role TEXT NOT NULL,
  content TEXT NOT NULL DEFAULT '',
  stage TEXT NOT NULL DEFAULT '',
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  latency_ms INTEGER NOT NULL DEFAULT 0,
  sentiment REAL,
  rating INTEGER,
  incomplete INTEGER NOT NULL DEFAULT 0,
  metadata_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE INDEX messages_parent ON messages (parent_id);

CREATE TABLE feedback_events (
  id INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  message_id INTEGER REFERENCES messages (id) ON DELETE CASCADE,
  user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
  kind TEXT NOT NULL,
  rating INTEGER,
  comment TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX feedback_events_conversation ON feedback_events (conversation_id, id);
CREATE INDEX feedback_events_message ON feedback_events (message_id);
CREATE INDEX feedback_events_user ON feedback_events (user_id);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  payload_json TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL DEFAULT 'queued',
  progress REAL NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 3,
  priority INTEGER NOT NULL DEFAULT 0,
  result_json TEXT,
  error TEXT NOT NULL DEFAULT '',
  run_after INTEGER NOT NULL,
  locked_by TEXT NOT NULL DEFAULT '',
  heartbeat_at INTEGER NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX jobs_claim ON jobs (status, priority DESC, run_after, id);
CREATE INDEX jobs_lease ON jobs (status, heartbeat_at);
CREATE INDEX jobs_status_list ON jobs (status, id);
CREATE INDEX jobs_kind_list ON jobs (kind, id);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target_type TEXT NOT NULL DEFAULT '',
  target_id TEXT NOT NULL DEFAULT '',
  details_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
