-- PRT-1…3: spare parts. The catalog (with the products each part fits), warehouses (central,
-- regional, each engineer's own stock), the balance per part and location, and the immutable
-- ledger every movement writes. A balance changes only through `store::parts::post`, which
-- writes the ledger row and moves the balance by a guarded UPDATE in one transaction, so the
-- balance always equals the sum of its ledger and never goes negative (the CHECKs are the
-- last line of defence, the guard the first).

CREATE TABLE parts (
    id            INTEGER PRIMARY KEY,
    -- The company's part number, unique.
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    -- 规格
    spec          TEXT NOT NULL DEFAULT '',
    unit          TEXT NOT NULL,
    unit_cost_fen BIGINT NOT NULL CHECK (unit_cost_fen >= 0),
    -- none / serial / lot: what an issue must record to trace the part.
    tracking      TEXT NOT NULL CHECK (tracking IN ('none', 'serial', 'lot')),
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

-- The products (each product is one model) a part fits.
CREATE TABLE part_products (
    part_id    BIGINT NOT NULL REFERENCES parts(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    PRIMARY KEY (part_id, product_id)
);
CREATE INDEX part_products_product ON part_products(product_id, part_id);

-- Central (region NULL), regional, or one engineer's own stock (exactly one per engineer).
CREATE TABLE warehouses (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('central', 'regional', 'engineer')),
    region_id     BIGINT REFERENCES regions(id),
    owner_id      BIGINT UNIQUE REFERENCES users(id),
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at_ms BIGINT NOT NULL,
    CHECK ((kind = 'engineer') = (owner_id IS NOT NULL)),
    CHECK (kind = 'central' OR region_id IS NOT NULL)
);

-- The balance of one part at one location. `on_hand` is usable stock; `faulty` holds faulty
-- returns (not issuable) until they are scrapped or sent back. Each equals the sum of the
-- ledger rows of its condition. `low_since_ms` is set once when on_hand falls below min_qty
-- (one alert per crossing) and cleared when it is back.
CREATE TABLE stock (
    id            INTEGER PRIMARY KEY,
    part_id       BIGINT NOT NULL REFERENCES parts(id),
    warehouse_id  BIGINT NOT NULL REFERENCES warehouses(id),
    on_hand       BIGINT NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    faulty        BIGINT NOT NULL DEFAULT 0 CHECK (faulty >= 0),
    min_qty       BIGINT NOT NULL DEFAULT 0 CHECK (min_qty >= 0 AND min_qty <= 1000000),
    max_qty       BIGINT NOT NULL DEFAULT 0 CHECK (max_qty >= 0 AND max_qty <= 1000000),
    low_since_ms  BIGINT,
    updated_at_ms BIGINT NOT NULL,
    UNIQUE (part_id, warehouse_id),
    CHECK (max_qty = 0 OR max_qty >= min_qty)
);
CREATE INDEX stock_warehouse ON stock(warehouse_id, part_id);

-- A transfer leaves the source when sent (transfer_out) and reaches the destination when
-- received (transfer_in); in between it is in transit.
CREATE TABLE stock_transfers (
    id                INTEGER PRIMARY KEY,
    part_id           BIGINT NOT NULL REFERENCES parts(id),
    from_warehouse_id BIGINT NOT NULL REFERENCES warehouses(id),
    to_warehouse_id   BIGINT NOT NULL REFERENCES warehouses(id),
    quantity          BIGINT NOT NULL CHECK (quantity > 0 AND quantity <= 1000000),
    status            TEXT NOT NULL CHECK (status IN ('in_transit', 'received')),
    reason            TEXT NOT NULL DEFAULT '',
    sent_by           BIGINT NOT NULL REFERENCES users(id),
    sent_at_ms        BIGINT NOT NULL,
    received_by       BIGINT REFERENCES users(id),
    received_at_ms    BIGINT,
    CHECK (from_warehouse_id <> to_warehouse_id)
);
CREATE INDEX stock_transfers_status ON stock_transfers(status, id);
CREATE INDEX stock_transfers_to ON stock_transfers(to_warehouse_id, status, id);

-- PRT-2: the ledger. Append-only: the triggers refuse UPDATE and DELETE for every
-- connection; a mistake is corrected by a new adjustment. `quantity` is signed.
-- purchase_order_id (PRT-5 receipts) and stock_count_id (PRT-4 count adjustments) are filled
-- by those modules.
CREATE TABLE stock_movements (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL CHECK (kind IN ('receipt', 'issue', 'return', 'transfer_out', 'transfer_in', 'adjustment')),
    part_id           BIGINT NOT NULL REFERENCES parts(id),
    warehouse_id      BIGINT NOT NULL REFERENCES warehouses(id),
    condition         TEXT NOT NULL CHECK (condition IN ('good', 'faulty')),
    quantity          BIGINT NOT NULL CHECK (quantity <> 0),
    -- The balance of that condition after this movement.
    balance_after     BIGINT NOT NULL CHECK (balance_after >= 0),
    unit_cost_fen     BIGINT NOT NULL,
    reason            TEXT NOT NULL DEFAULT '',
    by_user           BIGINT NOT NULL REFERENCES users(id),
    at_ms             BIGINT NOT NULL,
    part_request_id   BIGINT REFERENCES part_requests(id),
    ticket_id         BIGINT REFERENCES service_tickets(id),
    transfer_id       BIGINT REFERENCES stock_transfers(id),
    purchase_order_id BIGINT,
    stock_count_id    BIGINT,
    CHECK ((kind IN ('receipt', 'return', 'transfer_in') AND quantity > 0)
        OR (kind IN ('issue', 'transfer_out') AND quantity < 0)
        OR kind = 'adjustment')
);
CREATE INDEX stock_movements_stock ON stock_movements(part_id, warehouse_id, id);
CREATE INDEX stock_movements_warehouse ON stock_movements(warehouse_id, id);
CREATE INDEX stock_movements_kind ON stock_movements(kind, at_ms);
CREATE INDEX stock_movements_request ON stock_movements(part_request_id);
CREATE TRIGGER stock_movements_no_delete BEFORE DELETE ON stock_movements
BEGIN SELECT RAISE(ABORT, 'stock_movements are never deleted (PRT-2)'); END;
CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements
BEGIN SELECT RAISE(ABORT, 'stock_movements are never changed; post an adjustment (PRT-2)'); END;

-- PRT-3: a part request names a catalog part; the issue that fulfilled it is recorded, and
-- returns against it never exceed what was issued.
ALTER TABLE part_requests ADD COLUMN part_id BIGINT REFERENCES parts(id);
ALTER TABLE part_requests ADD COLUMN issue_movement_id BIGINT REFERENCES stock_movements(id);
ALTER TABLE part_requests ADD COLUMN returned_qty BIGINT NOT NULL DEFAULT 0 CHECK (returned_qty >= 0);
