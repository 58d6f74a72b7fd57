-- Tenants, and row-level security as a second wall (docs/isolation.md, "Two walls").
--
-- 1. Every table of user or policy data gets tenant_id. Rows written before this migration land in the implicit
--    tenant, stored as '' (an empty string no token can name: a tenant claim must be non-empty). The column then
--    loses its default, so a write that does not say its tenant fails instead of landing somewhere.
-- 2. The tenant leads every primary key, unique key, foreign key and index: two tenants may use the same session,
--    memory, role or service-account name, and a tenant's rows are one index range.
-- 3. Row-level security, enabled and forced (the table owner is subject to it too), on every isolated table. The
--    policies read one setting the storage verticle sets per transaction (set_config(..., true), in the same
--    pipeline as the statement), agentos.scope: 'u|<tenant>|<user>' (one user of a tenant), 't|<tenant>' (every
--    user of a tenant) or 'all' (the service's own look-ups). A tenant id never holds '|' and the user is the rest,
--    so the text is unambiguous. With no setting, or any other value, a policy admits no row.
-- 4. The application role (${app_role}) the service's statements run as: neither superuser nor owner of a table,
--    created here when this login may create roles (otherwise create it yourself: docs/deployment.md).
--
-- Written to be re-run safely (every step checks or replaces). A later data migration that runs as the table
-- owner rather than a superuser must SET agentos.scope = 'all' first, or it sees no rows.

ALTER TABLE sessions ADD COLUMN IF NOT EXISTS tenant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN IF NOT EXISTS tenant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE memories ADD COLUMN IF NOT EXISTS tenant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE traces ADD COLUMN IF NOT EXISTS tenant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE spans ADD COLUMN IF NOT EXISTS tenant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE service_accounts ADD COLUMN IF NOT EXISTS tenant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE roles ADD COLUMN IF NOT EXISTS tenant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE subject_roles ADD COLUMN IF NOT EXISTS tenant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE authz_audit ADD COLUMN IF NOT EXISTS tenant_id TEXT NOT NULL DEFAULT '';

-- A span carries its trace's owner, so the row-level policy can judge it without a look-up.
ALTER TABLE spans ADD COLUMN IF NOT EXISTS user_id TEXT;
UPDATE spans s SET user_id = t.user_id FROM traces t
  WHERE t.tenant_id = s.tenant_id AND t.trace_id = s.trace_id AND s.user_id IS DISTINCT FROM t.user_id;

ALTER TABLE sessions ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE runs ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE memories ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE traces ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE spans ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE service_accounts ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE roles ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE subject_roles ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE authz_audit ALTER COLUMN tenant_id DROP DEFAULT;

-- Keys: foreign keys first (they depend on the primary keys they reference).
ALTER TABLE runs DROP CONSTRAINT IF EXISTS runs_session_id_fkey;
ALTER TABLE runs DROP CONSTRAINT IF EXISTS runs_tenant_session_fkey;
ALTER TABLE spans DROP CONSTRAINT IF EXISTS spans_trace_id_fkey;
ALTER TABLE spans DROP CONSTRAINT IF EXISTS spans_tenant_trace_fkey;
ALTER TABLE service_accounts DROP CONSTRAINT IF EXISTS service_accounts_parent_id_fkey;
ALTER TABLE service_accounts DROP CONSTRAINT IF EXISTS service_accounts_tenant_parent_fkey;

ALTER TABLE sessions DROP CONSTRAINT IF EXISTS sessions_pkey;
ALTER TABLE sessions ADD CONSTRAINT sessions_pkey PRIMARY KEY (tenant_id, session_id);
ALTER TABLE runs DROP CONSTRAINT IF EXISTS runs_pkey;
ALTER TABLE runs ADD CONSTRAINT runs_pkey PRIMARY KEY (tenant_id, run_id);
ALTER TABLE memories DROP CONSTRAINT IF EXISTS memories_pkey;
ALTER TABLE memories ADD CONSTRAINT memories_pkey PRIMARY KEY (tenant_id, memory_id);
ALTER TABLE traces DROP CONSTRAINT IF EXISTS traces_pkey;
ALTER TABLE traces ADD CONSTRAINT traces_pkey PRIMARY KEY (tenant_id, trace_id);
ALTER TABLE spans DROP CONSTRAINT IF EXISTS spans_pkey;
ALTER TABLE spans ADD CONSTRAINT spans_pkey PRIMARY KEY (tenant_id, trace_id, span_id);
ALTER TABLE service_accounts DROP CONSTRAINT IF EXISTS service_accounts_pkey;
ALTER TABLE service_accounts ADD CONSTRAINT service_accounts_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE roles DROP CONSTRAINT IF EXISTS roles_pkey;
ALTER TABLE roles ADD CONSTRAINT roles_pkey PRIMARY KEY (tenant_id, name);
ALTER TABLE subject_roles DROP CONSTRAINT IF EXISTS subject_roles_pkey;
ALTER TABLE subject_roles ADD CONSTRAINT subject_roles_pkey PRIMARY KEY (tenant_id, subject, role_name);

ALTER TABLE runs ADD CONSTRAINT runs_tenant_session_fkey FOREIGN KEY (tenant_id, session_id)
  REFERENCES sessions (tenant_id, session_id) ON DELETE CASCADE;
ALTER TABLE spans ADD CONSTRAINT spans_tenant_trace_fkey FOREIGN KEY (tenant_id, trace_id)
  REFERENCES traces (tenant_id, trace_id) ON DELETE CASCADE;
ALTER TABLE service_accounts ADD CONSTRAINT service_accounts_tenant_parent_fkey FOREIGN KEY (tenant_id, parent_id)
  REFERENCES service_accounts (tenant_id, id);

-- A token is looked up by its hash before anyone knows its tenant: the hash stays unique over every tenant.
-- A name is unique within its tenant (a revoked name is never minted again there: V5).
DROP INDEX IF EXISTS service_accounts_name;
CREATE UNIQUE INDEX IF NOT EXISTS service_accounts_tenant_name ON service_accounts (tenant_id, name);
DROP INDEX IF EXISTS service_accounts_created;
CREATE INDEX IF NOT EXISTS service_accounts_tenant_created ON service_accounts (tenant_id, created_at, id);
DROP INDEX IF EXISTS service_accounts_parent;
CREATE INDEX IF NOT EXISTS service_accounts_tenant_parent ON service_accounts (tenant_id, parent_id) WHERE parent_id IS NOT NULL;

-- Listing indexes (V7's, with the tenant first).
DROP INDEX IF EXISTS sessions_owner_created_id;
DROP INDEX IF EXISTS sessions_owner_updated_id;
DROP INDEX IF EXISTS sessions_created_id;
DROP INDEX IF EXISTS sessions_owner_name;
CREATE INDEX IF NOT EXISTS sessions_tenant_owner_created_id ON sessions (tenant_id, user_id, created_at, session_id);
CREATE INDEX IF NOT EXISTS sessions_tenant_owner_updated_id ON sessions (tenant_id, user_id, updated_at, session_id);
CREATE INDEX IF NOT EXISTS sessions_tenant_created_id ON sessions (tenant_id, created_at, session_id);
CREATE INDEX IF NOT EXISTS sessions_tenant_owner_name ON sessions (tenant_id, user_id, session_name);
DROP INDEX IF EXISTS memories_owner_updated_id;
DROP INDEX IF EXISTS memories_owner_created_id;
CREATE INDEX IF NOT EXISTS memories_tenant_owner_updated_id ON memories (tenant_id, user_id, updated_at, memory_id);
CREATE INDEX IF NOT EXISTS memories_tenant_owner_created_id ON memories (tenant_id, user_id, created_at, memory_id);
DROP INDEX IF EXISTS runs_owner_session_created_id;
DROP INDEX IF EXISTS runs_session_created_id;
CREATE INDEX IF NOT EXISTS runs_tenant_owner_session_created_id ON runs (tenant_id, user_id, session_id, created_at, run_id);
CREATE INDEX IF NOT EXISTS runs_tenant_session_created_id ON runs (tenant_id, session_id, created_at, run_id);
DROP INDEX IF EXISTS traces_owner_start;
DROP INDEX IF EXISTS traces_owner_session;
DROP INDEX IF EXISTS traces_owner_run;
CREATE INDEX IF NOT EXISTS traces_tenant_owner_start ON traces (tenant_id, user_id, start_time DESC);
CREATE INDEX IF NOT EXISTS traces_tenant_owner_session ON traces (tenant_id, user_id, session_id, start_time);
CREATE INDEX IF NOT EXISTS traces_tenant_owner_run ON traces (tenant_id, user_id, run_id);
DROP INDEX IF EXISTS authz_audit_at;
CREATE INDEX IF NOT EXISTS authz_audit_tenant_at ON authz_audit (tenant_id, at DESC, id DESC);

-- The row-level policies: inlined SQL functions (STABLE, one expression), one comparison of the setting per row.
-- A row with no owner matches no user scope (the concatenation is NULL).
CREATE OR REPLACE FUNCTION agentos_owned_row_visible(row_tenant text, row_owner text) RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
  SELECT CASE left(current_setting('agentos.scope', true), 2)
    WHEN 'u|' THEN current_setting('agentos.scope', true) = 'u|' || row_tenant || '|' || row_owner
    WHEN 't|' THEN current_setting('agentos.scope', true) = 't|' || row_tenant
    WHEN 'al' THEN current_setting('agentos.scope', true) = 'all'
    ELSE false END
$fn$;

CREATE OR REPLACE FUNCTION agentos_tenant_row_visible(row_tenant text) RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
  SELECT CASE left(current_setting('agentos.scope', true), 2)
    WHEN 't|' THEN current_setting('agentos.scope', true) = 't|' || row_tenant
    WHEN 'al' THEN current_setting('agentos.scope', true) = 'all'
    ELSE false END
$fn$;

DO $rls$
DECLARE
  owned text[] := ARRAY['sessions', 'runs', 'memories', 'traces', 'spans'];
  tenant_level text[] := ARRAY['service_accounts', 'roles', 'subject_roles', 'authz_audit'];
  t text;
BEGIN
  FOREACH t IN ARRAY owned LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS agentos_isolation ON %I', t);
    EXECUTE format('CREATE POLICY agentos_isolation ON %I USING (agentos_owned_row_visible(tenant_id, user_id)) '
                   'WITH CHECK (agentos_owned_row_visible(tenant_id, user_id))', t);
  END LOOP;
  FOREACH t IN ARRAY tenant_level LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS agentos_isolation ON %I', t);
    EXECUTE format('CREATE POLICY agentos_isolation ON %I USING (agentos_tenant_row_visible(tenant_id)) '
                   'WITH CHECK (agentos_tenant_row_visible(tenant_id))', t);
  END LOOP;
END
$rls$;

-- The application role: created when this login may (roles are per server, so another database on it may have
-- created it already, possibly at this very moment), then granted exactly the rows' verbs on these tables.
DO $role$
BEGIN
  IF '${app_role}' = '' THEN
    RETURN; -- storage.postgres.app_role is empty: the login itself is the application role
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${app_role}') THEN
    BEGIN
      CREATE ROLE "${app_role}" NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN NULL;
      WHEN insufficient_privilege THEN
        RAISE NOTICE 'role ${app_role} does not exist and this login may not create it: see docs/deployment.md';
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${app_role}') THEN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), '${app_role}');
    -- only the verbs the service's statements use: the audit is append-only, a service account is revoked, never deleted
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON sessions, runs, memories, traces, spans, roles, subject_roles TO %I',
                   '${app_role}');
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON service_accounts TO %I', '${app_role}');
    EXECUTE format('GRANT SELECT, INSERT ON authz_audit TO %I', '${app_role}');
    EXECUTE format('GRANT USAGE ON SEQUENCE authz_audit_id_seq TO %I', '${app_role}');
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, '${app_role}', 'MEMBER') THEN
      BEGIN
        EXECUTE format('GRANT %I TO %I', '${app_role}', current_user);
      EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'this login is not a member of ${app_role}: see docs/deployment.md';
      END;
    END IF;
  END IF;
END
$role$;
