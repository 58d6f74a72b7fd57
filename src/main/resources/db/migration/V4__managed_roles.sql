-- Managed roles (docs/authorization.md): roles defined through /authz, roles assigned to subjects, and the audit
-- trail of every change (who, when, before and after).
CREATE TABLE roles (
  name         TEXT        NOT NULL PRIMARY KEY,
  scopes       TEXT[]      NOT NULL,
  deny         TEXT[]      NOT NULL DEFAULT '{}',
  description  TEXT,
  updated_by   TEXT,
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE subject_roles (
  subject      TEXT        NOT NULL,
  role_name    TEXT        NOT NULL,
  PRIMARY KEY (subject, role_name)
);

CREATE TABLE authz_audit (
  id           BIGSERIAL   PRIMARY KEY,
  at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  actor        TEXT,
  action       TEXT        NOT NULL,
  target       TEXT        NOT NULL,
  before       JSONB,
  after        JSONB
);
CREATE INDEX authz_audit_at ON authz_audit (at DESC, id DESC);
