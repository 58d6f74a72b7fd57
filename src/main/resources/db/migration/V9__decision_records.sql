-- Decision records (docs/authorization.md, "Decision records"): every decision of the policy verticle, allow and
-- deny, append-only, per tenant. Written in batches by the service's own recorder (the 'all' scope: one batch holds
-- several tenants' decisions), read per tenant through GET /authz/decisions, pruned after
-- authorization.decision_records.retention_days. No token is ever stored: token_ref is a jti, a short SHA-256 prefix
-- of the token, or a service account's id.
CREATE TABLE IF NOT EXISTS authz_decisions (
  id           BIGSERIAL   NOT NULL,
  tenant_id    TEXT        NOT NULL,
  at           TIMESTAMPTZ NOT NULL,
  decision_id  TEXT        NOT NULL,
  subject      TEXT,
  principal_kind TEXT      NOT NULL,
  method       TEXT        NOT NULL,
  path         TEXT        NOT NULL,
  route        TEXT,
  required     TEXT[]      NOT NULL,
  held         TEXT[]      NOT NULL,
  result       TEXT        NOT NULL CHECK (result IN ('allow', 'deny')),
  reasons      TEXT[]      NOT NULL,
  token_ref    TEXT,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS authz_decisions_tenant_at ON authz_decisions (tenant_id, at DESC, id DESC);
CREATE INDEX IF NOT EXISTS authz_decisions_tenant_subject_at ON authz_decisions (tenant_id, subject, at DESC, id DESC);
-- retention deletes by time over every tenant
CREATE INDEX IF NOT EXISTS authz_decisions_at ON authz_decisions (at);

ALTER TABLE authz_decisions ENABLE ROW LEVEL SECURITY;
ALTER TABLE authz_decisions FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS agentos_isolation ON authz_decisions;
CREATE POLICY agentos_isolation ON authz_decisions USING (agentos_tenant_row_visible(tenant_id))
  WITH CHECK (agentos_tenant_row_visible(tenant_id));

DO $role$
BEGIN
  IF '${app_role}' <> '' AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${app_role}') THEN
    -- append-only for the service: it inserts, reads and prunes by age, and never updates a record
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON authz_decisions TO %I', '${app_role}');
    EXECUTE format('GRANT USAGE ON SEQUENCE authz_decisions_id_seq TO %I', '${app_role}');
  END IF;
END
$role$;
