-- A service account's name is its principal (sa:<name>): the owner of its data and the subject of its
-- roles. A revoked name must never be minted again, or the new token would inherit both.
DROP INDEX service_accounts_active_name;
CREATE UNIQUE INDEX service_accounts_name ON service_accounts (name);
