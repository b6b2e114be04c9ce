-- Groupements de commandes (PRODUCT.md §2.4): the groupement as the domain holds it, its
-- members copied out for queries, the link from the contracts its award creates, and the
-- hash-chained audit log of every change.
-- Keep in step with migrations/postgres/20261126000005_groupements.sql.
CREATE TABLE groupements (
    id INTEGER PRIMARY KEY,
    -- The coordinator's organisation (the mandataire), which owns the groupement: the tenant.
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    title TEXT NOT NULL,
    -- 8 digits, without the check digit (the nomenclature gives it back).
    cpv TEXT NOT NULL CHECK (length(cpv) = 8),
    status TEXT NOT NULL CHECK (status IN ('draft', 'open_for_adhesion', 'convention_signed',
        'consultation', 'awarded', 'in_execution', 'closed', 'cancelled')),
    -- Optimistic concurrency: a change writes version + 1 only where the version is still the
    -- one it started from.
    version BIGINT NOT NULL CHECK (version >= 1),
    -- The whole domain groupement as JSON, in storage's own format (groupements.rs). title,
    -- cpv, status, adhesion_deadline and groupement_members are copies of it, for queries.
    state TEXT NOT NULL,
    -- The pooling opportunity it was created from: its CPV prefix and observation date.
    source_cpv_prefix TEXT,
    source_as_of DATE,
    adhesion_deadline DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((source_cpv_prefix IS NULL) = (source_as_of IS NULL))
);
CREATE INDEX groupements_organisation ON groupements (organisation_id);

-- The members of a groupement, rewritten from its state in the transaction of every change:
-- "which groupements am I in". organisation_id is the member.
CREATE TABLE groupement_members (
    groupement_id BIGINT NOT NULL REFERENCES groupements (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    status TEXT NOT NULL CHECK (status IN ('invited', 'joined', 'declined', 'withdrawn')),
    -- The date of the member's answer: adhesion, refusal or withdrawal (NULL while invited).
    answered_on DATE,
    -- When it signed the convention.
    signed_on DATE,
    is_coordinator BOOLEAN NOT NULL,
    PRIMARY KEY (groupement_id, organisation_id)
);
CREATE INDEX groupement_members_organisation ON groupement_members (organisation_id);

-- The contracts an award creates, one per member and per lot, point to their groupement.
ALTER TABLE contracts ADD COLUMN groupement_id BIGINT REFERENCES groupements (id);
ALTER TABLE contracts ADD COLUMN groupement_lot BIGINT;
CREATE INDEX contracts_groupement ON contracts (groupement_id);

-- The audit log: one chain for the whole database, in seq order; each entry's hash covers
-- its fields and the previous entry's hash (domain/src/audit.rs gives the layout).
-- organisation_id is the tenant whose record changed (a groupement's coordinator).
-- Append-only: the application never updates or deletes a row, and the triggers below
-- refuse it (whoever can drop them can rewrite the log: the chain shows it).
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    -- What changed, for lookups: ('groupement', its id). Not hashed; the hashed before and
    -- after name the record as well.
    record_type TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    -- 1, 2, 3…: unique, so that two writers can never both extend the chain from one entry.
    seq BIGINT NOT NULL UNIQUE CHECK (seq >= 1),
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_record ON audit_log (record_type, record_id);
CREATE INDEX audit_log_organisation ON audit_log (organisation_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
