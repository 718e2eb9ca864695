-- CUS-1…8: institutions with departments and contacts, ownership and classification history,
-- visits. Civil dates are ISO 'YYYY-MM-DD' text; instants BIGINT Unix milliseconds.

CREATE TABLE institutions (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    -- Pinyin initials of the name (北京协和医院 → bjxhyy), for search as Chinese users type it.
    name_initials     TEXT NOT NULL,
    credit_code       TEXT UNIQUE,
    kind              TEXT NOT NULL CHECK (kind IN ('hospital', 'private_hospital', 'primary_care', 'research', 'partner')),
    level             TEXT NOT NULL,
    province          TEXT NOT NULL,
    city              TEXT NOT NULL,
    address           TEXT NOT NULL DEFAULT '',
    beds              BIGINT,
    phone             TEXT NOT NULL DEFAULT '',
    region_id         BIGINT NOT NULL REFERENCES regions(id),
    owner_id          BIGINT NOT NULL REFERENCES users(id),
    -- CUS-3 inputs (1–5) and result; `grade_source` is 'rule' or 'override'.
    scale_score       BIGINT NOT NULL CHECK (scale_score BETWEEN 1 AND 5),
    demand_score      BIGINT NOT NULL CHECK (demand_score BETWEEN 1 AND 5),
    willingness_score BIGINT NOT NULL CHECK (willingness_score BETWEEN 1 AND 5),
    category          TEXT NOT NULL CHECK (category IN ('key', 'normal', 'potential')),
    grade             TEXT NOT NULL CHECK (grade IN ('A', 'B', 'C')),
    grade_source      TEXT NOT NULL CHECK (grade_source IN ('rule', 'override')),
    -- CUS-2: recorded by the rep; purchase history is derived from contracts, never typed.
    needs             TEXT NOT NULL DEFAULT '',
    preferences       TEXT NOT NULL DEFAULT '',
    procurement_plan  TEXT NOT NULL DEFAULT '',
    -- CUS-4: kept current on every visit and reclassification so "overdue" is one index scan.
    last_visit_on     TEXT,
    next_visit_due    TEXT NOT NULL,
    created_at_ms     BIGINT NOT NULL,
    updated_at_ms     BIGINT NOT NULL
);
CREATE UNIQUE INDEX institutions_name_city ON institutions(name, city);
CREATE INDEX institutions_owner ON institutions(owner_id, id);
CREATE INDEX institutions_region ON institutions(region_id, id);
CREATE INDEX institutions_due ON institutions(next_visit_due, id);

-- CUS-8: which hospitals a partner (distributor/agent) serves.
CREATE TABLE partner_links (
    partner_id  BIGINT NOT NULL REFERENCES institutions(id),
    hospital_id BIGINT NOT NULL REFERENCES institutions(id),
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (partner_id, hospital_id)
);
CREATE INDEX partner_links_hospital ON partner_links(hospital_id);

CREATE TABLE departments (
    id             INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    name           TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    UNIQUE (institution_id, name)
);

CREATE TABLE contacts (
    id             INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    department_id  BIGINT REFERENCES departments(id),
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('doctor', 'department_head', 'equipment', 'procurement', 'finance', 'kol', 'other')),
    title          TEXT NOT NULL DEFAULT '',
    phone          TEXT NOT NULL DEFAULT '',
    email          TEXT NOT NULL DEFAULT '',
    created_at_ms  BIGINT NOT NULL,
    updated_at_ms  BIGINT NOT NULL
);
CREATE INDEX contacts_institution ON contacts(institution_id, id);
CREATE INDEX contacts_phone ON contacts(phone);

-- Reassignments of owner and territory, newest last.
CREATE TABLE institution_owners (
    id              INTEGER PRIMARY KEY,
    institution_id  BIGINT NOT NULL REFERENCES institutions(id),
    owner_id        BIGINT NOT NULL REFERENCES users(id),
    region_id       BIGINT NOT NULL REFERENCES regions(id),
    -- 'created' or the person's own words.
    reason          TEXT NOT NULL,
    changed_by      BIGINT,
    at_ms           BIGINT NOT NULL
);
CREATE INDEX institution_owners_institution ON institution_owners(institution_id, id);

-- CUS-3: every classification the institution has had, with why.
CREATE TABLE institution_grades (
    id             INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    category       TEXT NOT NULL,
    grade          TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('rule', 'override')),
    -- The rule's weighted score × 100 when the rule decided; NULL for an override.
    score          BIGINT,
    -- Why: a code ('created', 'assessment_changed', 'periodic') or the person's own words.
    reason         TEXT NOT NULL,
    changed_by     BIGINT,
    at_ms          BIGINT NOT NULL
);
CREATE INDEX institution_grades_institution ON institution_grades(institution_id, id);

-- CUS-4/5: a visit is planned, then done (logged) or cancelled.
CREATE TABLE visits (
    id             INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    visitor_id     BIGINT NOT NULL REFERENCES users(id),
    status         TEXT NOT NULL CHECK (status IN ('planned', 'done', 'cancelled')),
    planned_on     TEXT,
    visited_on     TEXT,
    purpose        TEXT NOT NULL,
    outcome        TEXT NOT NULL DEFAULT '',
    next_step      TEXT NOT NULL DEFAULT '',
    effective      BOOLEAN NOT NULL DEFAULT FALSE,
    satisfaction   BIGINT CHECK (satisfaction BETWEEN 1 AND 5),
    feedback       TEXT NOT NULL DEFAULT '',
    created_at_ms  BIGINT NOT NULL,
    updated_at_ms  BIGINT NOT NULL
);
CREATE INDEX visits_institution ON visits(institution_id, id);
CREATE INDEX visits_visitor ON visits(visitor_id, id);

CREATE TABLE visit_contacts (
    visit_id   BIGINT NOT NULL REFERENCES visits(id),
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    PRIMARY KEY (visit_id, contact_id)
);
