-- Evaluation runs of characters on datasets (troupe eval --character): the scores to list and
-- compare runs by, and the whole report as JSON. A run goes with its character.

CREATE TABLE eval_runs (
  id INTEGER PRIMARY KEY,
  character_id INTEGER NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  dataset TEXT NOT NULL,
  dataset_fingerprint TEXT NOT NULL,
  provider TEXT NOT NULL DEFAULT '',
  cases INTEGER NOT NULL,
  bleu REAL NOT NULL,
  chrf REAL NOT NULL,
  rouge_l REAL NOT NULL,
  perplexity REAL,
  report_json TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX eval_runs_character ON eval_runs (character_id, id);
