-- Listings read one page in index order and count at most a capped number of rows (docs/isolation.md,
-- "Listings"): each sort of a listing has an index that ends with the row id, the listing's tiebreaker, so a page
-- is a bounded index scan whatever the number of rows, and the history window of a run and a session's run pages
-- read a session's runs in order.
CREATE INDEX IF NOT EXISTS sessions_owner_created_id ON sessions (user_id, created_at, session_id);
CREATE INDEX IF NOT EXISTS sessions_owner_updated_id ON sessions (user_id, updated_at, session_id);
CREATE INDEX IF NOT EXISTS sessions_created_id ON sessions (created_at, session_id);
DROP INDEX IF EXISTS sessions_owner_created;
DROP INDEX IF EXISTS sessions_owner_updated;
CREATE INDEX IF NOT EXISTS memories_owner_updated_id ON memories (user_id, updated_at, memory_id);
CREATE INDEX IF NOT EXISTS memories_owner_created_id ON memories (user_id, created_at, memory_id);
DROP INDEX IF EXISTS memories_owner_updated;
DROP INDEX IF EXISTS memories_owner_created;
CREATE INDEX IF NOT EXISTS runs_owner_session_created_id ON runs (user_id, session_id, created_at, run_id);
CREATE INDEX IF NOT EXISTS runs_session_created_id ON runs (session_id, created_at, run_id);
DROP INDEX IF EXISTS runs_owner_session;
