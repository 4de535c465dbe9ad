-- Feedback comments join the analytics: each non-empty comment is scored with the same lexicon as
-- users' messages (base/sentiment_lexicon.h) when it is recorded. The score is computed in C++,
-- so rows recorded before this migration stay NULL: SQL cannot backfill them.
ALTER TABLE feedback_events ADD COLUMN sentiment REAL;
-- The dashboards and the topics over comments read feedback by period.
CREATE INDEX feedback_events_created ON feedback_events (created_at);
