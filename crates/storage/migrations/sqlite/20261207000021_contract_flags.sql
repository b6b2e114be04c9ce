-- What the plausibility checks found on each contract (domain::plausibility), recomputed over
-- every stored contract after an import that changed something. Keep in step with
-- migrations/postgres/20261207000021_contract_flags.sql.
-- kind: placeholder_amount | placeholder_operator | implausible_amount (level suspect |
-- aberrant), or works (level note): the contract is works though its CPV code is not.
CREATE TABLE contract_flags (
    contract_id BIGINT NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    -- The contract's buyer, the tenant of the row (as contract_suppliers).
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    -- In French: what was seen and against what.
    reason TEXT NOT NULL,
    PRIMARY KEY (contract_id, kind)
);
