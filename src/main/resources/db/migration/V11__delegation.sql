-- Delegation (docs/authorization.md, "Delegation"): a decision record names the actor chain a delegated token carried,
-- the current actor first (empty: the subject acted itself).
ALTER TABLE authz_decisions ADD COLUMN IF NOT EXISTS actors TEXT[] NOT NULL DEFAULT '{}';
-- and a change in the audit trail, the chain of the request that made it (its actor is the subject)
ALTER TABLE authz_audit ADD COLUMN IF NOT EXISTS actors TEXT[] NOT NULL DEFAULT '{}';
