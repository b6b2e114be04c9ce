-- Contracts (DECP marchés and concessions) and their suppliers.
-- Keep in step with migrations/postgres/20261125000003_contracts.sql.
CREATE TABLE contracts (
    id INTEGER PRIMARY KEY,
    -- The buyer's organisation (by SIREN): the tenant.
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    buyer_siret TEXT NOT NULL,
    -- The buyer's own identifier of the contract (DECP id).
    decp_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    object TEXT NOT NULL,
    -- 8 digits, without the check digit (the nomenclature gives it back).
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
    -- After the modifications, in publication order (derived, for filters and sorting).
    current_amount_cents BIGINT,
    current_duration_months BIGINT,
    ends_on DATE,
    modification_count BIGINT NOT NULL,
    -- Titulaires, modifications, subcontracting acts and DECP 2.0 fields, as JSON.
    details TEXT NOT NULL,
    -- SHA-256 of the contract as imported: re-importing the same record changes nothing.
    content_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (buyer_siret, decp_id)
);
CREATE INDEX contracts_organisation ON contracts (organisation_id, ends_on);
CREATE INDEX contracts_cpv ON contracts (cpv);

-- The suppliers (titulaires, concessionnaires) of a contract that have a SIRET, as
-- organisations. organisation_id is the contract's buyer, the tenant of the row.
CREATE TABLE contract_suppliers (
    contract_id BIGINT NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    supplier_organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (contract_id, supplier_organisation_id)
);
CREATE INDEX contract_suppliers_supplier ON contract_suppliers (supplier_organisation_id);
