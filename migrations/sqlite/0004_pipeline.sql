-- OPP-1…3: opportunities moving through stages, each stay with its owner and due date.

CREATE TABLE opportunities (
    id                  INTEGER PRIMARY KEY,
    institution_id      BIGINT NOT NULL REFERENCES institutions(id),
    title               TEXT NOT NULL,
    -- large_equipment, consumables, ivd, service, other (products arrive with the catalog).
    product_line        TEXT NOT NULL,
    amount_fen          BIGINT NOT NULL CHECK (amount_fen >= 0),
    expected_close      TEXT NOT NULL,
    -- Copied from the institution when created, so scope needs no join.
    owner_id            BIGINT NOT NULL REFERENCES users(id),
    region_id           BIGINT NOT NULL REFERENCES regions(id),
    stage               TEXT NOT NULL,
    stage_owner_id      BIGINT NOT NULL REFERENCES users(id),
    stage_due           TEXT,
    stage_entered_at_ms BIGINT NOT NULL,
    lost_reason         TEXT NOT NULL DEFAULT '',
    created_at_ms       BIGINT NOT NULL,
    updated_at_ms       BIGINT NOT NULL
);
CREATE INDEX opportunities_owner ON opportunities(owner_id, id);
CREATE INDEX opportunities_region ON opportunities(region_id, id);
CREATE INDEX opportunities_stage ON opportunities(stage, id);
CREATE INDEX opportunities_institution ON opportunities(institution_id, id);

-- Every stay in a stage; `left_at_ms` is NULL for the current one.
CREATE TABLE opportunity_stages (
    id             INTEGER PRIMARY KEY,
    opportunity_id BIGINT NOT NULL REFERENCES opportunities(id),
    stage          TEXT NOT NULL,
    owner_id       BIGINT NOT NULL REFERENCES users(id),
    due            TEXT,
    note           TEXT NOT NULL DEFAULT '',
    entered_at_ms  BIGINT NOT NULL,
    left_at_ms     BIGINT
);
CREATE INDEX opportunity_stages_opportunity ON opportunity_stages(opportunity_id, id);
CREATE INDEX opportunity_stages_stage ON opportunity_stages(stage, opportunity_id);
