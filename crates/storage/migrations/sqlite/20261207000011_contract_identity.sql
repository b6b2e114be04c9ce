-- A contract's identity (ARCHITECTURE.md, "Identity of a contract"): several contracts may
-- share a buyer SIRET and an id (lots published under one id), so the unique key on them
-- goes; the id's stem (without the DECP 1.x sequence number) finds the records that may be
-- the same contract, and `versions` keeps the earlier publications of each.
-- SQLite cannot drop a table's UNIQUE constraint: the table is rebuilt, ids kept (contract
-- URLs and the rows pointing to a contract stay valid). The migration runs in a transaction
-- with foreign keys on, so dropping the old table deletes the supplier links (ON DELETE
-- CASCADE): they are kept aside and written back. A migration adding a column to contracts,
-- or a table pointing to it, must come after this one.
-- Keep in step with migrations/postgres/20261207000011_contract_identity.sql.
CREATE TABLE contracts_rebuilt (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    buyer_siret TEXT NOT NULL,
    decp_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    object TEXT NOT NULL,
    cpv TEXT,
    nature TEXT,
    nature_original TEXT,
    procedure TEXT,
    procedure_original TEXT,
    price_form TEXT,
    price_form_original TEXT,
    place_code TEXT,
    place_type TEXT,
    duration_months BIGINT,
    notified_on DATE,
    starts_on DATE,
    published_on DATE,
    amount_cents BIGINT,
    current_amount_cents BIGINT,
    current_duration_months BIGINT,
    ends_on DATE,
    modification_count BIGINT NOT NULL,
    details TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    groupement_id BIGINT REFERENCES groupements (id),
    groupement_lot BIGINT,
    -- The id without its DECP 1.x sequence number (two trailing digits): with the buyer's
    -- SIRET, the key of the records that may be this contract.
    identity_stem TEXT NOT NULL,
    -- The earlier publications of the contract (JSON: id, publication date, content hash),
    -- NULL when it has one.
    versions TEXT
);
INSERT INTO contracts_rebuilt
SELECT id, organisation_id, buyer_siret, decp_id, kind, source, object, cpv, nature,
    nature_original, procedure, procedure_original, price_form, price_form_original,
    place_code, place_type, duration_months, notified_on, starts_on, published_on,
    amount_cents, current_amount_cents, current_duration_months, ends_on, modification_count,
    details, content_hash, created_at, updated_at, groupement_id, groupement_lot,
    CASE WHEN source = 'decp1' AND decp_id GLOB '?*[0-9][0-9]'
        THEN substr(decp_id, 1, length(decp_id) - 2) ELSE decp_id END,
    NULL
FROM contracts;
CREATE TABLE contract_suppliers_kept AS SELECT * FROM contract_suppliers;
DROP TABLE contracts;
ALTER TABLE contracts_rebuilt RENAME TO contracts;
CREATE INDEX contracts_organisation ON contracts (organisation_id, ends_on);
CREATE INDEX contracts_cpv ON contracts (cpv);
CREATE INDEX contracts_groupement ON contracts (groupement_id);
CREATE INDEX contracts_identity ON contracts (buyer_siret, identity_stem);
INSERT INTO contract_suppliers SELECT * FROM contract_suppliers_kept;
DROP TABLE contract_suppliers_kept;
