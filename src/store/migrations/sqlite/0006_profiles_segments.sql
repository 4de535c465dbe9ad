-- Customer data: one profile per end user (typed fields as a JSON object) and the segments users
-- are sorted into. A segment's members are the users whose users.segment equals its name, so the
-- segments table holds only definitions and the last k-means result.

CREATE TABLE user_profiles (
  user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  profile_json TEXT NOT NULL DEFAULT '{}',
  updated_at INTEGER NOT NULL
);

CREATE TABLE segments (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  definition_json TEXT NOT NULL DEFAULT '{}',
  parent TEXT NOT NULL DEFAULT '',
  result_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX segments_parent ON segments (parent);
-- Member lists and counts look users up by segment.
CREATE INDEX users_segment ON users (segment, id);
