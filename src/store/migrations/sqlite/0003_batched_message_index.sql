-- The full-text index of messages follows the table in batches instead of in each message's own
-- transaction: FTS5 writes a new index segment (and merges) per transaction, which tripled the cost
-- of every append. `text_index_watermarks` says up to which id a table's rows are indexed; rows
-- above it are indexed by the next catch-up (every few appends, and before any search that could
-- see them: store/repo/message_index.h), so a search still sees every message written before it.
CREATE TABLE text_index_watermarks (
  table_name TEXT PRIMARY KEY,
  indexed_through INTEGER NOT NULL
);
-- Until now every message was indexed as it was written.
INSERT INTO text_index_watermarks (table_name, indexed_through)
  SELECT 'messages', COALESCE(MAX(id), 0) FROM messages;

DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
-- Only indexed rows have postings to remove; a row above the watermark is indexed as it is when
-- the catch-up comes, or never if it is gone by then.
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
  WHEN old.id <= (SELECT indexed_through FROM text_index_watermarks WHERE table_name = 'messages')
BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content, conversation_id)
    VALUES ('delete', old.id, old.content, old.conversation_id);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, conversation_id ON messages
  WHEN old.id <= (SELECT indexed_through FROM text_index_watermarks WHERE table_name = 'messages')
BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content, conversation_id)
    VALUES ('delete', old.id, old.content, old.conversation_id);
  INSERT INTO messages_fts (rowid, content, conversation_id) VALUES (new.id, new.content, new.conversation_id);
END;
