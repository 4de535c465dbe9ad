-- Outcome predictors (analytics/outcome_training.h) with their held-out reports, and per
-- conversation the latest probability of each outcome, which the runtime may act on (handing a
-- conversation likely to need a person to one early).

CREATE TABLE outcome_models (
  id INTEGER PRIMARY KEY,
  outcome TEXT NOT NULL,
  first_messages INTEGER NOT NULL,
  return_days INTEGER NOT NULL,
  features INTEGER NOT NULL,
  examples INTEGER NOT NULL,
  model_json TEXT NOT NULL,
  report_json TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX outcome_models_outcome ON outcome_models (outcome, id);

CREATE TABLE outcome_predictions (
  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  outcome TEXT NOT NULL,
  model_id INTEGER NOT NULL REFERENCES outcome_models (id) ON DELETE CASCADE,
  probability REAL NOT NULL,
  messages_seen INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, outcome)
);
CREATE INDEX outcome_predictions_model ON outcome_predictions (model_id);
