-- Service accounts: scoped, revocable tokens for machines. Only the SHA-256 of a token is stored.
CREATE TABLE service_accounts (
  id            TEXT        NOT NULL PRIMARY KEY,
  name          TEXT        NOT NULL,
  token_hash    TEXT        NOT NULL UNIQUE,
  token_prefix  TEXT        NOT NULL,
  scopes        TEXT[]      NOT NULL,
  created_by    TEXT,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at    TIMESTAMPTZ,
  last_used_at  TIMESTAMPTZ,
  revoked_at    TIMESTAMPTZ
);
-- one active account per name; a revoked name may be reused
CREATE UNIQUE INDEX service_accounts_active_name ON service_accounts (name) WHERE revoked_at IS NULL;
CREATE INDEX service_accounts_created ON service_accounts (created_at DESC);
