-- A contract's identity (ARCHITECTURE.md, "Identity of a contract"): several contracts may
-- share a buyer SIRET and an id (lots published under one id), so the unique key on them
-- goes; the id's stem (without the DECP 1.x sequence number) finds the records that may be
-- the same contract, and `versions` keeps the earlier publications of each.
-- Keep in step with migrations/sqlite/20261207000011_contract_identity.sql.
ALTER TABLE contracts DROP CONSTRAINT contracts_buyer_siret_decp_id_key;
-- The id without its DECP 1.x sequence number (two trailing digits): with the buyer's
-- SIRET, the key of the records that may be this contract.
ALTER TABLE contracts ADD COLUMN identity_stem TEXT;
UPDATE contracts SET identity_stem = CASE WHEN source = 'decp1' AND decp_id ~ '^.+[0-9]{2}$'
    THEN left(decp_id, -2) ELSE decp_id END;
ALTER TABLE contracts ALTER COLUMN identity_stem SET NOT NULL;
-- The earlier publications of the contract (JSON: id, publication date, content hash), NULL
-- when it has one.
ALTER TABLE contracts ADD COLUMN versions TEXT;
CREATE INDEX contracts_identity ON contracts (buyer_siret, identity_stem);
