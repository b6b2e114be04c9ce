-- Consultations (PRODUCT.md §2.5): the consultation as the domain holds it, with copies of
-- its reference, title, status and deadline for queries, and the groupement it was launched
-- for. Every change is in the audit log (record_type 'consultation').
-- Keep in step with migrations/postgres/20261208000030_consultations.sql.
CREATE TABLE consultations (
    id INTEGER PRIMARY KEY,
    -- The buyer's organisation (a groupement's coordinator, for a joint consultation),
    -- which owns the consultation: the tenant.
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    -- The groupement whose lots and members it was launched for; NULL for a buyer alone.
    groupement_id BIGINT REFERENCES groupements (id),
    -- The buyer's reference, quoted on every deposit and receipt: one per buyer.
    reference TEXT NOT NULL CHECK (length(reference) BETWEEN 1 AND 60),
    title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'closed', 'opened',
        'in_analysis', 'awarded', 'unsuccessful', 'cancelled')),
    -- The deadline for bids, to the second (UTC; shown in Europe/Paris).
    deadline TIMESTAMP,
    -- Optimistic concurrency, as for groupements.
    version BIGINT NOT NULL CHECK (version >= 1),
    -- The whole domain consultation as JSON, in storage's own format (consultations/state.rs).
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (organisation_id, reference)
);
CREATE INDEX consultations_groupement ON consultations (groupement_id);
