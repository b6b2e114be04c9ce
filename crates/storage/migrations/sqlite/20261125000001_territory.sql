-- Organisations (legal units, by SIREN), their establishments (SIRET) and territories.
-- Keep in step with migrations/postgres/20261125000001_territory.sql.
CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    siren TEXT NOT NULL UNIQUE CHECK (length(siren) = 9),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    insee_code TEXT,
    population BIGINT CHECK (population >= 0),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE establishments (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    siret TEXT NOT NULL UNIQUE CHECK (length(siret) = 14),
    is_head_office BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX establishments_organisation ON establishments (organisation_id);

CREATE TABLE territories (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    -- The lead body (the métropole), which coordinates.
    organisation_id BIGINT NOT NULL REFERENCES organisations (id)
);

CREATE TABLE territory_members (
    territory_id BIGINT NOT NULL REFERENCES territories (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (territory_id, organisation_id)
);
CREATE INDEX territory_members_organisation ON territory_members (organisation_id);
