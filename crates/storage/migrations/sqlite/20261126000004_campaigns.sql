-- Inventory campaigns ("recensements"): the coordinator's campaign, the members it invites,
-- and the needs they declare.
-- Keep in step with migrations/postgres/20261126000004_campaigns.sql.
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    -- The coordinator's organisation, which owns the campaign: the tenant.
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    title TEXT NOT NULL,
    opens_on DATE NOT NULL,
    closes_on DATE NOT NULL,
    -- The CPV prefixes the campaign covers, comma-separated ("9091,30").
    cpv_families TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (opens_on <= closes_on)
);
CREATE INDEX campaigns_organisation ON campaigns (organisation_id);

-- The members invited to answer a campaign. organisation_id is the invited member.
CREATE TABLE campaign_invitations (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    invited_at TIMESTAMP NOT NULL,
    -- NULL until the member submits its answer.
    answered_at TIMESTAMP,
    last_reminded_at TIMESTAMP,
    reminder_count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, organisation_id)
);
CREATE INDEX campaign_invitations_organisation ON campaign_invitations (organisation_id);

-- The needs a member declares in a campaign. organisation_id is the declaring member.
CREATE TABLE campaign_needs (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL,
    organisation_id BIGINT NOT NULL,
    -- 8 digits, without the check digit (the nomenclature gives it back).
    cpv TEXT NOT NULL CHECK (length(cpv) = 8),
    description TEXT NOT NULL,
    annual_amount_cents BIGINT NOT NULL,
    -- Quantity per year in thousandths of its unit; both or neither.
    quantity_thousandths BIGINT,
    quantity_unit TEXT,
    desired_start DATE NOT NULL,
    -- The member's current contract for this need: its DECP id and end date.
    current_contract TEXT,
    current_contract_ends_on DATE,
    social_requirements TEXT,
    environmental_requirements TEXT,
    -- A reserved-contract code (disability_employers, insertion, social_economy).
    reservation TEXT,
    source TEXT NOT NULL CHECK (source IN ('form', 'workbook')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((quantity_thousandths IS NULL) = (quantity_unit IS NULL)),
    -- Only an invited member declares needs, and the invitation goes with them.
    FOREIGN KEY (campaign_id, organisation_id)
        REFERENCES campaign_invitations (campaign_id, organisation_id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id) REFERENCES organisations (id)
);
CREATE INDEX campaign_needs_member ON campaign_needs (campaign_id, organisation_id);
CREATE INDEX campaign_needs_organisation ON campaign_needs (organisation_id);
