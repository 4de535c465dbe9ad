-- Nothing to change: migration 0003 batches SQLite's FTS5 indexing of messages, whose cost per
-- transaction made every append three times dearer. PostgreSQL's GIN index (with fastupdate)
-- already defers its work, so messages stay indexed in their own transaction here. The number is
-- kept so both backends report the same schema version.
SELECT 1;
