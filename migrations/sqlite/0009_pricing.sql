-- PRC-1…3: versioned price lists that take effect only once approved, price-adjustment
-- applications routed by discount depth, and quotes with their versions and lines.

-- PRC-1: one row per version of a price. NULL region / grade = every region / grade; the most
-- specific approved row in effect on the day wins.
CREATE TABLE prices (
    id              INTEGER PRIMARY KEY,
    product_id      BIGINT NOT NULL REFERENCES products(id),
    region_id       BIGINT REFERENCES regions(id),
    grade           TEXT CHECK (grade IN ('A', 'B', 'C')),
    price_fen       BIGINT NOT NULL CHECK (price_fen > 0),
    effective_from  TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    -- The basis: cost, demand, competitor prices.
    reason          TEXT NOT NULL DEFAULT '',
    requested_by    BIGINT NOT NULL REFERENCES users(id),
    requested_at_ms BIGINT NOT NULL
);
CREATE INDEX prices_product ON prices(product_id, status, effective_from);

CREATE TABLE quotes (
    id             INTEGER PRIMARY KEY,
    -- BJ-2026-000123 style: QT-<year>-<id padded>.
    number         TEXT NOT NULL UNIQUE,
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    opportunity_id BIGINT REFERENCES opportunities(id),
    -- Copied from the institution, so scope needs no join.
    owner_id       BIGINT NOT NULL REFERENCES users(id),
    region_id      BIGINT NOT NULL REFERENCES regions(id),
    version        BIGINT NOT NULL DEFAULT 1,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'pending_approval', 'approved', 'rejected', 'sent', 'accepted', 'declined')),
    valid_until    TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    total_fen      BIGINT NOT NULL DEFAULT 0 CHECK (total_fen >= 0),
    created_at_ms  BIGINT NOT NULL,
    updated_at_ms  BIGINT NOT NULL
);
CREATE INDEX quotes_owner ON quotes(owner_id, id);
CREATE INDEX quotes_region ON quotes(region_id, id);
CREATE INDEX quotes_institution ON quotes(institution_id, id);
CREATE INDEX quotes_opportunity ON quotes(opportunity_id, id);

-- The lines of every version; a revision copies them into version + 1, so history is kept.
CREATE TABLE quote_lines (
    id             INTEGER PRIMARY KEY,
    quote_id       BIGINT NOT NULL REFERENCES quotes(id),
    version        BIGINT NOT NULL,
    line_no        BIGINT NOT NULL,
    product_id     BIGINT NOT NULL REFERENCES products(id),
    quantity       BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_fen BIGINT NOT NULL CHECK (unit_price_fen >= 0),
    -- The approved list price on the day the line was priced (PRC-2 compares against it).
    list_price_fen BIGINT NOT NULL CHECK (list_price_fen > 0),
    UNIQUE (quote_id, version, line_no)
);

-- PRC-1 price changes and PRC-2 price adjustments wait here for the approver whose level
-- the rule asks for. Deciding is `UPDATE … WHERE status = 'pending'`: one decision wins.
CREATE TABLE approvals (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('price_change', 'price_adjustment')),
    price_id        BIGINT REFERENCES prices(id),
    quote_id        BIGINT REFERENCES quotes(id),
    quote_version   BIGINT,
    level           TEXT NOT NULL CHECK (level IN ('manager', 'director', 'executive')),
    -- The region of the customer (price adjustments) or NULL (company price list).
    region_id       BIGINT REFERENCES regions(id),
    -- Deepest discount of the request in basis points; negative above list.
    discount_bp     BIGINT NOT NULL DEFAULT 0,
    summary         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    requested_by    BIGINT NOT NULL REFERENCES users(id),
    requested_at_ms BIGINT NOT NULL,
    decided_by      BIGINT REFERENCES users(id),
    decided_at_ms   BIGINT,
    comment         TEXT NOT NULL DEFAULT '',
    CHECK ((price_id IS NULL) <> (quote_id IS NULL))
);
CREATE INDEX approvals_status ON approvals(status, level, id);
CREATE INDEX approvals_quote ON approvals(quote_id, id);
CREATE INDEX approvals_price ON approvals(price_id);
