-- Engagement campaigns: one message per member of a segment (users.segment), drafted by the model,
-- reviewed, delivered as a message the character writes first, and measured by replies.
-- A conversation or message a campaign message points at may be erased with its user; the row
-- itself goes with the user, so those two columns carry no foreign key.

CREATE TABLE campaigns (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  character_id INTEGER NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
  segment TEXT NOT NULL,
  brief TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'draft',
  quiet_start_hour INTEGER,
  quiet_end_hour INTEGER,
  daily_cap INTEGER NOT NULL DEFAULT 1,
  draft_job_id INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX campaigns_status ON campaigns (status, id);

CREATE TABLE campaign_messages (
  id INTEGER PRIMARY KEY,
  campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  text TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'drafted',
  reason TEXT NOT NULL DEFAULT '',
  conversation_id INTEGER,
  message_id INTEGER,
  due_at INTEGER,
  delivered_at INTEGER,
  replied_at INTEGER,
  outcome TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (campaign_id, user_id)
);
CREATE INDEX campaign_messages_status ON campaign_messages (campaign_id, status, id);
-- The daily cap: what one user was sent today.
CREATE INDEX campaign_messages_user_delivered ON campaign_messages (user_id, delivered_at);
-- The KPIs' replies per day.
CREATE INDEX campaign_messages_replied ON campaign_messages (replied_at);
-- A segment's members.
CREATE INDEX IF NOT EXISTS users_segment_members ON users (segment, id);
