-- A service account minted by another service account never outlives it: revoking the parent revokes every
-- account it minted, and theirs (a recursive update over parent_id).
ALTER TABLE service_accounts ADD COLUMN IF NOT EXISTS parent_id text REFERENCES service_accounts (id);
CREATE INDEX IF NOT EXISTS service_accounts_parent ON service_accounts (parent_id) WHERE parent_id IS NOT NULL;
