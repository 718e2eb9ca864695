-- PRT-4: stock counts (盘点) and PRT-5: purchasing from qualified suppliers with receipts and
-- their acceptance records. Neither moves a balance itself: an approved count posts one
-- adjustment per variance and an accepted receipt one receipt movement per line, both through
-- `store::parts::post`, linked back here by stock_movements.stock_count_id / purchase_order_id
-- and by the movement_id of the line that caused them.

-- A count sheet of one location: counting → submitted → approved (adjusted) or rejected. A
-- blind count shows no book quantities while counting. One open count per location.
CREATE TABLE stock_counts (
    id              INTEGER PRIMARY KEY,
    warehouse_id    BIGINT NOT NULL REFERENCES warehouses(id),
    blind           BOOLEAN NOT NULL DEFAULT FALSE,
    status          TEXT NOT NULL CHECK (status IN ('counting', 'submitted', 'approved', 'rejected')),
    note            TEXT NOT NULL DEFAULT '',
    created_by      BIGINT NOT NULL REFERENCES users(id),
    created_at_ms   BIGINT NOT NULL,
    submitted_by    BIGINT REFERENCES users(id),
    submitted_at_ms BIGINT,
    decided_by      BIGINT REFERENCES users(id),
    decided_at_ms   BIGINT,
    comment         TEXT NOT NULL DEFAULT '',
    updated_at_ms   BIGINT NOT NULL,
    CHECK ((status = 'counting') = (submitted_at_ms IS NULL)),
    CHECK ((status IN ('approved', 'rejected')) = (decided_at_ms IS NOT NULL))
);
CREATE INDEX stock_counts_warehouse ON stock_counts(warehouse_id, id);
CREATE INDEX stock_counts_status ON stock_counts(status, id);
CREATE UNIQUE INDEX stock_counts_open ON stock_counts(warehouse_id) WHERE status IN ('counting', 'submitted');

-- One part on a sheet. `book_qty` is the balance when the sheet was submitted (NULL while
-- counting); the variance counted − book is what approval adjusts, by the movement named.
CREATE TABLE stock_count_lines (
    id          INTEGER PRIMARY KEY,
    count_id    BIGINT NOT NULL REFERENCES stock_counts(id),
    part_id     BIGINT NOT NULL REFERENCES parts(id),
    counted_qty BIGINT CHECK (counted_qty >= 0 AND counted_qty <= 1000000),
    counted_by  BIGINT REFERENCES users(id),
    book_qty    BIGINT CHECK (book_qty >= 0),
    movement_id BIGINT REFERENCES stock_movements(id),
    UNIQUE (count_id, part_id),
    CHECK ((counted_qty IS NULL) = (counted_by IS NULL))
);

-- Everyone who recorded a count on a sheet (a recount replaces the line's counted_by, not
-- this): none of them approves the sheet.
CREATE TABLE stock_count_counters (
    count_id BIGINT NOT NULL REFERENCES stock_counts(id),
    user_id  BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (count_id, user_id)
);

-- PRT-5: an order to a first-time-approved supplier (PRD-3), delivered to one location by
-- its delivery date. Open until every line is accepted in full or it is closed short.
CREATE TABLE purchase_orders (
    id            INTEGER PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    supplier_id   BIGINT NOT NULL REFERENCES suppliers(id),
    warehouse_id  BIGINT NOT NULL REFERENCES warehouses(id),
    delivery_date TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    note          TEXT NOT NULL DEFAULT '',
    created_by    BIGINT NOT NULL REFERENCES users(id),
    created_at_ms BIGINT NOT NULL,
    closed_by     BIGINT REFERENCES users(id),
    closed_at_ms  BIGINT,
    close_reason  TEXT NOT NULL DEFAULT '',
    updated_at_ms BIGINT NOT NULL,
    CHECK ((status = 'closed') = (closed_at_ms IS NOT NULL))
);
CREATE INDEX purchase_orders_status ON purchase_orders(status, id);
CREATE INDEX purchase_orders_supplier ON purchase_orders(supplier_id, id);

-- What is ordered: spec, quantity, unit price (fen) and the quality standard it is accepted
-- against. `accepted_qty` never exceeds `quantity` (the guard in the receipt's UPDATE is the
-- first line, this CHECK the last); rejected units do not count against the order.
CREATE TABLE purchase_order_lines (
    id                INTEGER PRIMARY KEY,
    purchase_order_id BIGINT NOT NULL REFERENCES purchase_orders(id),
    line_no           BIGINT NOT NULL CHECK (line_no > 0),
    part_id           BIGINT NOT NULL REFERENCES parts(id),
    spec              TEXT NOT NULL,
    quantity          BIGINT NOT NULL CHECK (quantity > 0 AND quantity <= 1000000),
    unit_price_fen    BIGINT NOT NULL CHECK (unit_price_fen >= 0),
    quality_standard  TEXT NOT NULL,
    received_qty      BIGINT NOT NULL DEFAULT 0 CHECK (received_qty >= 0),
    accepted_qty      BIGINT NOT NULL DEFAULT 0 CHECK (accepted_qty >= 0 AND accepted_qty <= quantity AND accepted_qty <= received_qty),
    UNIQUE (purchase_order_id, line_no),
    UNIQUE (purchase_order_id, part_id)
);

-- A delivery against an order with its acceptance record (验收): who inspected, and per line
-- what arrived, what was accepted into stock (with its lot or serials) and why any was not.
CREATE TABLE purchase_receipts (
    id                INTEGER PRIMARY KEY,
    purchase_order_id BIGINT NOT NULL REFERENCES purchase_orders(id),
    inspector_id      BIGINT NOT NULL REFERENCES users(id),
    note              TEXT NOT NULL DEFAULT '',
    received_by       BIGINT NOT NULL REFERENCES users(id),
    received_at_ms    BIGINT NOT NULL
);
CREATE INDEX purchase_receipts_order ON purchase_receipts(purchase_order_id, id);

CREATE TABLE purchase_receipt_lines (
    id            INTEGER PRIMARY KEY,
    receipt_id    BIGINT NOT NULL REFERENCES purchase_receipts(id),
    order_line_id BIGINT NOT NULL REFERENCES purchase_order_lines(id),
    received_qty  BIGINT NOT NULL CHECK (received_qty > 0 AND received_qty <= 1000000),
    accepted_qty  BIGINT NOT NULL CHECK (accepted_qty >= 0 AND accepted_qty <= received_qty),
    -- The lot number, or the accepted units' serial numbers separated by commas.
    trace         TEXT NOT NULL DEFAULT '',
    reject_reason TEXT NOT NULL DEFAULT '',
    movement_id   BIGINT REFERENCES stock_movements(id),
    UNIQUE (receipt_id, order_line_id),
    CHECK ((accepted_qty > 0) = (movement_id IS NOT NULL))
);
CREATE INDEX purchase_receipt_lines_order_line ON purchase_receipt_lines(order_line_id, id);

-- The ledger's links (columns since 0015): a count links only adjustments and an order only
-- receipts, to rows that exist. SQLite cannot add constraints to a table, so a trigger checks
-- new rows (the ledger is append-only: there are no updates to check).
CREATE TRIGGER stock_movements_links BEFORE INSERT ON stock_movements
WHEN (NEW.stock_count_id IS NOT NULL AND (NEW.kind <> 'adjustment'
        OR NOT EXISTS (SELECT 1 FROM stock_counts WHERE id = NEW.stock_count_id)))
  OR (NEW.purchase_order_id IS NOT NULL AND (NEW.kind <> 'receipt'
        OR NOT EXISTS (SELECT 1 FROM purchase_orders WHERE id = NEW.purchase_order_id)))
BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: stock_movements link (PRT-4/5)'); END;
CREATE INDEX stock_movements_count ON stock_movements(stock_count_id) WHERE stock_count_id IS NOT NULL;
CREATE INDEX stock_movements_order ON stock_movements(purchase_order_id) WHERE purchase_order_id IS NOT NULL;
