-- Columns and indexes the session, memory and trace endpoints read.
ALTER TABLE sessions ADD COLUMN metrics JSONB NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE traces ADD COLUMN input TEXT;
ALTER TABLE spans ADD COLUMN input TEXT;
ALTER TABLE spans ADD COLUMN output TEXT;
ALTER TABLE spans ADD COLUMN error TEXT;

CREATE INDEX sessions_owner_name ON sessions (user_id, session_name);
CREATE INDEX memories_owner_created ON memories (user_id, created_at DESC);
CREATE INDEX traces_owner_session ON traces (user_id, session_id, start_time);
CREATE INDEX traces_owner_run ON traces (user_id, run_id);

-- A session created through POST /sessions may name no component (agno allows it).
ALTER TABLE sessions ALTER COLUMN component_id DROP NOT NULL;
