-- Memory (pinned notes, rolling summaries, facts), full-text search over messages and memories,
-- and the indexes for listing conversations across users.

CREATE TABLE memories (
  id INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('pinned', 'summary', 'fact')),
  content TEXT NOT NULL,
  covers_until_message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX memories_conversation ON memories (conversation_id, kind, id);
-- Deleting messages (a conversation's cascade) looks up the memories that cover them.
CREATE INDEX memories_covers ON memories (covers_until_message_id);

-- External-content FTS5 tables: the text lives once, in the table itself; the index follows it
-- through triggers. conversation_id is indexed as a term so a search stays inside one
-- conversation's postings. Porter stemming over unicode61 (case folding, diacritics removed).
CREATE VIRTUAL TABLE messages_fts USING fts5(
  content, conversation_id, content = 'messages', content_rowid = 'id',
  tokenize = 'porter unicode61 remove_diacritics 2');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, content, conversation_id) VALUES (new.id, new.content, new.conversation_id);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content, conversation_id)
    VALUES ('delete', old.id, old.content, old.conversation_id);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, conversation_id ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content, conversation_id)
    VALUES ('delete', old.id, old.content, old.conversation_id);
  INSERT INTO messages_fts (rowid, content, conversation_id) VALUES (new.id, new.content, new.conversation_id);
END;
-- Messages written before this migration.
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE memories_fts USING fts5(
  content, conversation_id, content = 'memories', content_rowid = 'id',
  tokenize = 'porter unicode61 remove_diacritics 2');
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts (rowid, content, conversation_id) VALUES (new.id, new.content, new.conversation_id);
END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, content, conversation_id)
    VALUES ('delete', old.id, old.content, old.conversation_id);
END;
CREATE TRIGGER memories_fts_update AFTER UPDATE OF content, conversation_id ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, content, conversation_id)
    VALUES ('delete', old.id, old.content, old.conversation_id);
  INSERT INTO memories_fts (rowid, content, conversation_id) VALUES (new.id, new.content, new.conversation_id);
END;

-- Listing every conversation (optionally of one character) newest activity first.
CREATE INDEX conversations_activity ON conversations (last_activity_at DESC, id DESC);
DROP INDEX conversations_character;
CREATE INDEX conversations_character_activity ON conversations (character_id, last_activity_at DESC, id DESC);
