-- The users directory (docs/authorization.md, "Users directory"): who the users of a tenant are and whether they
-- are active. No credential is ever stored: identity is the token's, this is a roster with a kill switch. A user
-- lands here when an admin names them (PATCH /users/{sub}) or on their first authenticated request (just-in-time).
CREATE TABLE IF NOT EXISTS users (
  tenant_id     TEXT        NOT NULL,
  id            TEXT        NOT NULL,
  email         TEXT,
  name          TEXT,
  disabled      BOOLEAN     NOT NULL DEFAULT false,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  -- how the row came to be: 'jit' (first request) or 'admin'
  provisioned_by TEXT       NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS users_tenant_created ON users (tenant_id, created_at DESC, id);
-- the snapshot every policy verticle loads reads the disabled ones of every tenant
CREATE INDEX IF NOT EXISTS users_disabled ON users (tenant_id, id) WHERE disabled;

-- A service account acts for the user who minted it, directly or through accounts it minted: disabling that user
-- stops the account too. The user is fixed at minting (a child inherits its parent's).
ALTER TABLE service_accounts ADD COLUMN IF NOT EXISTS minted_for TEXT;
WITH RECURSIVE chain AS (
  SELECT tenant_id, id, CASE WHEN created_by IS NULL OR created_by = 'security_key' OR created_by LIKE 'sa:%' THEN NULL
    ELSE created_by END AS root_user
  FROM service_accounts WHERE parent_id IS NULL
  UNION ALL
  SELECT s.tenant_id, s.id, c.root_user FROM service_accounts s JOIN chain c ON s.tenant_id = c.tenant_id AND s.parent_id = c.id
)
UPDATE service_accounts s SET minted_for = chain.root_user FROM chain
  WHERE s.tenant_id = chain.tenant_id AND s.id = chain.id AND s.minted_for IS NULL AND chain.root_user IS NOT NULL;

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS agentos_isolation ON users;
CREATE POLICY agentos_isolation ON users USING (agentos_tenant_row_visible(tenant_id))
  WITH CHECK (agentos_tenant_row_visible(tenant_id));

DO $role$
BEGIN
  IF '${app_role}' <> '' AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${app_role}') THEN
    -- a user is disabled, never deleted (a deleted row would come back, active, on the next request)
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON users TO %I', '${app_role}');
  END IF;
END
$role$;
