-- CUS-6: customer development plans (客户开发计划): target customers, goal, strategy, channel,
-- deadline; progress reports by the rep; reviews by the manager.

CREATE TABLE development_plans (
    id            INTEGER PRIMARY KEY,
    owner_id      BIGINT NOT NULL REFERENCES users(id),
    region_id     BIGINT NOT NULL REFERENCES regions(id),
    goal          TEXT NOT NULL,
    strategy      TEXT NOT NULL,
    channel       TEXT NOT NULL CHECK (channel IN ('phone', 'online', 'exhibition', 'association', 'visit')),
    deadline      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'completed', 'cancelled')),
    progress      BIGINT NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX development_plans_owner ON development_plans(owner_id, id);
CREATE INDEX development_plans_region ON development_plans(region_id, id);

CREATE TABLE development_plan_targets (
    plan_id        BIGINT NOT NULL REFERENCES development_plans(id),
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    PRIMARY KEY (plan_id, institution_id)
);

-- Progress reports (by the rep) and reviews (by a manager), one timeline per plan.
CREATE TABLE development_plan_notes (
    id         INTEGER PRIMARY KEY,
    plan_id    BIGINT NOT NULL REFERENCES development_plans(id),
    author_id  BIGINT NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL CHECK (kind IN ('report', 'review')),
    progress   BIGINT CHECK (progress BETWEEN 0 AND 100),
    verdict    TEXT CHECK (verdict IN ('on_track', 'needs_work')),
    text       TEXT NOT NULL,
    at_ms      BIGINT NOT NULL
);
CREATE INDEX development_plan_notes_plan ON development_plan_notes(plan_id, id);
