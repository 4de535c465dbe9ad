-- Experiments: two or more variants of a character's flow, system prompt or whole card, each new
-- conversation with the character assigned to one of them while the experiment runs. Variants are
-- JSON ([{"name", "weight", and "flow", "system_prompt" or "character_id"}]); the first is the
-- control. A character runs at most one experiment at a time.

CREATE TABLE experiments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: the runtime caches an experiment by its id
  character_id INTEGER NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  metric TEXT NOT NULL,
  return_days INTEGER NOT NULL DEFAULT 7,
  planned_trials INTEGER NOT NULL DEFAULT 0,
  variants_json TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'draft',
  started_at INTEGER,
  stopped_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX experiments_character ON experiments (character_id, id);
CREATE UNIQUE INDEX experiments_one_running ON experiments (character_id) WHERE status = 'running';

-- Which variant each conversation plays: written once, when the conversation is created.
CREATE TABLE experiment_assignments (
  conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
  experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
  variant INTEGER NOT NULL,
  assigned_at INTEGER NOT NULL
);
CREATE INDEX experiment_assignments_experiment ON experiment_assignments (experiment_id, conversation_id);
