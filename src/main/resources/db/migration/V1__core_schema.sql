-- Core data schema. Every table that holds user data carries its owner (user_id), and the owner is part
-- of every list index, so per-user queries stay index scans however many other users' rows exist.

CREATE TABLE sessions (
  session_id    TEXT        NOT NULL,
  user_id       TEXT,
  session_type  TEXT        NOT NULL CHECK (session_type IN ('agent', 'team', 'workflow')),
  component_id  TEXT        NOT NULL,
  session_name  TEXT,
  session_state JSONB       NOT NULL DEFAULT '{}'::jsonb,
  metadata      JSONB       NOT NULL DEFAULT '{}'::jsonb,
  summary       JSONB,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (session_id)
);
CREATE INDEX sessions_owner_created ON sessions (user_id, created_at DESC);
CREATE INDEX sessions_owner_updated ON sessions (user_id, updated_at DESC);

CREATE TABLE runs (
  run_id        TEXT        NOT NULL,
  session_id    TEXT        NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
  user_id       TEXT,
  component_type TEXT       NOT NULL CHECK (component_type IN ('agent', 'team', 'workflow')),
  component_id  TEXT        NOT NULL,
  status        TEXT        NOT NULL,
  input         JSONB,
  content       TEXT,
  metrics       JSONB       NOT NULL DEFAULT '{}'::jsonb,
  events        JSONB       NOT NULL DEFAULT '[]'::jsonb,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id)
);
CREATE INDEX runs_owner_session ON runs (user_id, session_id, created_at);

CREATE TABLE memories (
  memory_id     TEXT        NOT NULL,
  user_id       TEXT,
  memory        TEXT        NOT NULL,
  topics        TEXT[]      NOT NULL DEFAULT '{}',
  agent_id      TEXT,
  team_id       TEXT,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (memory_id)
);
CREATE INDEX memories_owner_updated ON memories (user_id, updated_at DESC);

CREATE TABLE traces (
  trace_id      TEXT        NOT NULL,
  user_id       TEXT,
  run_id        TEXT,
  session_id    TEXT,
  component_type TEXT,
  component_id  TEXT,
  name          TEXT        NOT NULL,
  status        TEXT        NOT NULL,
  start_time    TIMESTAMPTZ NOT NULL,
  end_time      TIMESTAMPTZ,
  PRIMARY KEY (trace_id)
);
CREATE INDEX traces_owner_start ON traces (user_id, start_time DESC);

CREATE TABLE spans (
  span_id        TEXT        NOT NULL,
  trace_id       TEXT        NOT NULL REFERENCES traces (trace_id) ON DELETE CASCADE,
  parent_span_id TEXT,
  name           TEXT        NOT NULL,
  kind           TEXT        NOT NULL,
  status         TEXT        NOT NULL,
  attributes     JSONB       NOT NULL DEFAULT '{}'::jsonb,
  start_time     TIMESTAMPTZ NOT NULL,
  end_time       TIMESTAMPTZ,
  PRIMARY KEY (trace_id, span_id)
);
