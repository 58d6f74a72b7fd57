-- Service accounts as actors (docs/authorization.md, "Delegation"): an account minted with acts_for_users may act for a
-- user (X-Acting-For) only if that user consented, each consent a row of its own, granted and withdrawn by the user.
ALTER TABLE service_accounts ADD COLUMN IF NOT EXISTS acts_for_users BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE IF NOT EXISTS actor_consents (
  tenant_id   TEXT        NOT NULL,
  subject     TEXT        NOT NULL,
  actor       TEXT        NOT NULL,
  granted_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, subject, actor)
);

ALTER TABLE actor_consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE actor_consents FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS agentos_isolation ON actor_consents;
CREATE POLICY agentos_isolation ON actor_consents USING (agentos_tenant_row_visible(tenant_id))
  WITH CHECK (agentos_tenant_row_visible(tenant_id));

DO $role$
BEGIN
  IF '${app_role}' <> '' AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${app_role}') THEN
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON actor_consents TO %I', '${app_role}');
  END IF;
END
$role$;
