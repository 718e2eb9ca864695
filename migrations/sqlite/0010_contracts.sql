-- CON-1…6: contracts with versioned terms and lines (every amendment is a new version), legal
-- and credit reviews, execution problems, and customer credit. The ledger's delivered,
-- invoiced and collected amounts are kept on the contract by the deliveries and receivables
-- use cases in the same transaction as their own rows.

-- CON-6: a customer's credit, evaluated by finance before contracts are signed.
CREATE TABLE customer_credit (
    institution_id BIGINT PRIMARY KEY REFERENCES institutions(id),
    rating         TEXT NOT NULL CHECK (rating IN ('AAA', 'AA', 'A', 'B', 'C')),
    limit_fen      BIGINT NOT NULL CHECK (limit_fen >= 0),
    note           TEXT NOT NULL DEFAULT '',
    updated_by     BIGINT NOT NULL REFERENCES users(id),
    updated_at_ms  BIGINT NOT NULL
);

CREATE TABLE contracts (
    id               INTEGER PRIMARY KEY,
    -- HT-<year>-<id padded>.
    number           TEXT NOT NULL UNIQUE,
    title            TEXT NOT NULL,
    institution_id   BIGINT NOT NULL REFERENCES institutions(id),
    -- Copied from the institution when the contract is created, so scope needs no join.
    owner_id         BIGINT NOT NULL REFERENCES users(id),
    region_id        BIGINT NOT NULL REFERENCES regions(id),
    quote_id         BIGINT REFERENCES quotes(id),
    opportunity_id   BIGINT REFERENCES opportunities(id),
    status           TEXT NOT NULL CHECK (status IN ('draft', 'in_review', 'signed', 'in_execution', 'changed', 'completed', 'terminated')),
    -- The version being edited or reviewed; `effective_version` is the one in force (NULL
    -- until first signed). An amendment (status 'changed') edits version = effective + 1.
    version          BIGINT NOT NULL DEFAULT 1,
    effective_version BIGINT,
    signed_on        TEXT,
    -- Total of the version in force (or of the draft before signing).
    total_fen        BIGINT NOT NULL DEFAULT 0 CHECK (total_fen >= 0),
    delivered_fen    BIGINT NOT NULL DEFAULT 0 CHECK (delivered_fen >= 0),
    invoiced_fen     BIGINT NOT NULL DEFAULT 0 CHECK (invoiced_fen >= 0),
    collected_fen    BIGINT NOT NULL DEFAULT 0 CHECK (collected_fen >= 0),
    closed_reason    TEXT NOT NULL DEFAULT '',
    created_by       BIGINT NOT NULL REFERENCES users(id),
    created_at_ms    BIGINT NOT NULL,
    updated_at_ms    BIGINT NOT NULL
);
CREATE INDEX contracts_owner ON contracts(owner_id, id);
CREATE INDEX contracts_region ON contracts(region_id, id);
CREATE INDEX contracts_institution ON contracts(institution_id, id);
CREATE INDEX contracts_status ON contracts(status, id);
CREATE INDEX contracts_quote ON contracts(quote_id);

-- CON-1 terms of each version.
CREATE TABLE contract_versions (
    contract_id       BIGINT NOT NULL REFERENCES contracts(id),
    version           BIGINT NOT NULL,
    delivery_date     TEXT,
    delivery_place    TEXT NOT NULL DEFAULT '',
    quality_standard  TEXT NOT NULL DEFAULT '',
    payment_terms     TEXT NOT NULL DEFAULT '',
    -- Days from invoice to due date (FIN-1 ages receivables by it).
    payment_days      BIGINT NOT NULL DEFAULT 30 CHECK (payment_days BETWEEN 0 AND 720),
    after_sales_terms TEXT NOT NULL DEFAULT '',
    -- Warranty of delivered devices from installation (ORD-2).
    warranty_months   BIGINT NOT NULL DEFAULT 12 CHECK (warranty_months BETWEEN 0 AND 120),
    total_fen         BIGINT NOT NULL DEFAULT 0 CHECK (total_fen >= 0),
    -- Why this version exists (empty for version 1).
    change_reason     TEXT NOT NULL DEFAULT '',
    created_by        BIGINT NOT NULL REFERENCES users(id),
    created_at_ms     BIGINT NOT NULL,
    PRIMARY KEY (contract_id, version)
);

CREATE TABLE contract_lines (
    id             INTEGER PRIMARY KEY,
    contract_id    BIGINT NOT NULL REFERENCES contracts(id),
    version        BIGINT NOT NULL,
    -- Stable across versions: orders and deliveries refer to (contract, line_no).
    line_no        BIGINT NOT NULL,
    product_id     BIGINT NOT NULL REFERENCES products(id),
    -- Specification / model as agreed (CON-1); starts as the product's model.
    spec_model     TEXT NOT NULL,
    quantity       BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_fen BIGINT NOT NULL CHECK (unit_price_fen >= 0),
    UNIQUE (contract_id, version, line_no)
);
CREATE INDEX contract_lines_product ON contract_lines(product_id);

-- CON-2 legal review of a version and CON-6 finance approval of credit. Deciding is
-- `UPDATE … WHERE status = 'pending'`: one decision wins.
CREATE TABLE contract_reviews (
    id              INTEGER PRIMARY KEY,
    contract_id     BIGINT NOT NULL REFERENCES contracts(id),
    version         BIGINT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('legal', 'credit')),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'returned', 'withdrawn')),
    -- For credit: the exposure and limit the request was raised on.
    exposure_fen    BIGINT,
    limit_fen       BIGINT,
    requested_by    BIGINT NOT NULL REFERENCES users(id),
    requested_at_ms BIGINT NOT NULL,
    decided_by      BIGINT REFERENCES users(id),
    decided_at_ms   BIGINT,
    comment         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX contract_reviews_contract ON contract_reviews(contract_id, id);
CREATE INDEX contract_reviews_queue ON contract_reviews(status, kind, id);
CREATE UNIQUE INDEX contract_reviews_one_open ON contract_reviews(contract_id, kind) WHERE status = 'pending';

-- CON-4: problems met while executing a contract; unresolved past the configured time they
-- escalate to management (once: `escalated_at_ms`).
CREATE TABLE contract_problems (
    id              INTEGER PRIMARY KEY,
    contract_id     BIGINT NOT NULL REFERENCES contracts(id),
    description     TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    raised_by       BIGINT NOT NULL REFERENCES users(id),
    raised_at_ms    BIGINT NOT NULL,
    escalated_at_ms BIGINT,
    resolution      TEXT NOT NULL DEFAULT '',
    resolved_by     BIGINT REFERENCES users(id),
    resolved_at_ms  BIGINT
);
CREATE INDEX contract_problems_contract ON contract_problems(contract_id, id);
CREATE INDEX contract_problems_open ON contract_problems(status, raised_at_ms);
