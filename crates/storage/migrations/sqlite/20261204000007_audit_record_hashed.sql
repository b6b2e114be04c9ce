-- The audit log's hash now covers what an entry is about (its record type, record id and
-- organisation): entries written from now on are of hash format 2 (domain::audit); those
-- written before keep format 1, which hashed the other columns only.
ALTER TABLE audit_log ADD COLUMN hash_format SMALLINT NOT NULL DEFAULT 1 CHECK (hash_format IN (1, 2));
