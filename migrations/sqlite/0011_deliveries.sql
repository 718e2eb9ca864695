-- ORD-1…4: orders called off signed contracts, deliveries with lot/serial/UDI, the installed
-- base, and the GSP sales records a regulator inspects (never deleted).

-- ORD-1: an order calls off quantities of a signed contract's lines (要货).
CREATE TABLE orders (
    id             INTEGER PRIMARY KEY,
    -- DD-<year>-<id padded>.
    number         TEXT NOT NULL UNIQUE,
    contract_id    BIGINT NOT NULL REFERENCES contracts(id),
    -- Copied from the contract, so scope needs no join.
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    owner_id       BIGINT NOT NULL REFERENCES users(id),
    region_id      BIGINT NOT NULL REFERENCES regions(id),
    requested_date TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'partially_delivered', 'delivered', 'cancelled')),
    note           TEXT NOT NULL DEFAULT '',
    created_by     BIGINT NOT NULL REFERENCES users(id),
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX orders_contract ON orders(contract_id, id);
CREATE INDEX orders_owner ON orders(owner_id, id);
CREATE INDEX orders_region ON orders(region_id, id);
CREATE INDEX orders_status ON orders(status, id);

CREATE TABLE order_lines (
    id             INTEGER PRIMARY KEY,
    order_id       BIGINT NOT NULL REFERENCES orders(id),
    contract_id    BIGINT NOT NULL REFERENCES contracts(id),
    line_no        BIGINT NOT NULL,
    product_id     BIGINT NOT NULL REFERENCES products(id),
    quantity       BIGINT NOT NULL CHECK (quantity > 0),
    delivered_qty  BIGINT NOT NULL DEFAULT 0 CHECK (delivered_qty >= 0 AND delivered_qty <= quantity),
    unit_price_fen BIGINT NOT NULL CHECK (unit_price_fen >= 0),
    UNIQUE (order_id, line_no)
);
CREATE INDEX order_lines_contract ON order_lines(contract_id, line_no);

-- ORD-1: one shipment (发货单).
CREATE TABLE deliveries (
    id                   INTEGER PRIMARY KEY,
    -- FH-<year>-<id padded>.
    number               TEXT NOT NULL UNIQUE,
    order_id             BIGINT NOT NULL REFERENCES orders(id),
    contract_id          BIGINT NOT NULL REFERENCES contracts(id),
    institution_id       BIGINT NOT NULL REFERENCES institutions(id),
    owner_id             BIGINT NOT NULL REFERENCES users(id),
    region_id            BIGINT NOT NULL REFERENCES regions(id),
    -- The receiving department and contact (ORD-2/4 trace devices to them).
    department_id        BIGINT REFERENCES departments(id),
    contact_id           BIGINT REFERENCES contacts(id),
    address              TEXT NOT NULL,
    ship_date            TEXT NOT NULL,
    received_date        TEXT,
    -- PRD-5: what went with the goods.
    manual_provided      BOOLEAN NOT NULL,
    label_provided       BOOLEAN NOT NULL,
    certificate_provided BOOLEAN NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('shipped', 'received')),
    created_by           BIGINT NOT NULL REFERENCES users(id),
    created_at_ms        BIGINT NOT NULL
);
CREATE INDEX deliveries_contract ON deliveries(contract_id, id);
CREATE INDEX deliveries_order ON deliveries(order_id, id);
CREATE INDEX deliveries_owner ON deliveries(owner_id, id);
CREATE INDEX deliveries_region ON deliveries(region_id, id);
CREATE INDEX deliveries_institution ON deliveries(institution_id, id);

CREATE TABLE delivery_items (
    id              INTEGER PRIMARY KEY,
    delivery_id     BIGINT NOT NULL REFERENCES deliveries(id),
    order_line_id   BIGINT NOT NULL REFERENCES order_lines(id),
    product_id      BIGINT NOT NULL REFERENCES products(id),
    quantity        BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_fen  BIGINT NOT NULL CHECK (unit_price_fen >= 0),
    lot             TEXT,
    -- Serialized products ship one item per serial (quantity 1).
    serial          TEXT,
    -- The scanned GS1 string and its device identifier, where the label carries one.
    udi             TEXT,
    udi_di          TEXT,
    production_date TEXT,
    expiry_date     TEXT
);
CREATE INDEX delivery_items_delivery ON delivery_items(delivery_id, id);
CREATE INDEX delivery_items_lot ON delivery_items(product_id, lot);
CREATE INDEX delivery_items_serial ON delivery_items(product_id, serial);

-- ORD-2: every delivered serialized device.
CREATE TABLE installed_devices (
    id               INTEGER PRIMARY KEY,
    product_id       BIGINT NOT NULL REFERENCES products(id),
    serial           TEXT NOT NULL,
    lot              TEXT,
    udi              TEXT,
    institution_id   BIGINT NOT NULL REFERENCES institutions(id),
    department_id    BIGINT REFERENCES departments(id),
    contact_id       BIGINT REFERENCES contacts(id),
    -- Copied from the institution for scope.
    owner_id         BIGINT NOT NULL REFERENCES users(id),
    region_id        BIGINT NOT NULL REFERENCES regions(id),
    contract_id      BIGINT REFERENCES contracts(id),
    delivery_item_id BIGINT REFERENCES delivery_items(id),
    delivered_on     TEXT NOT NULL,
    installed_on     TEXT,
    warranty_end     TEXT,
    status           TEXT NOT NULL CHECK (status IN ('delivered', 'installed', 'under_repair', 'retired')),
    created_at_ms    BIGINT NOT NULL,
    UNIQUE (product_id, serial)
);
CREATE INDEX installed_devices_lot ON installed_devices(product_id, lot);
CREATE INDEX installed_devices_serial ON installed_devices(serial);
CREATE INDEX installed_devices_institution ON installed_devices(institution_id, id);
CREATE INDEX installed_devices_region ON installed_devices(region_id, id);
CREATE INDEX installed_devices_warranty ON installed_devices(warranty_end);

-- ORD-3: the sales record (销售记录) as a regulator inspects it. Rows are only ever added;
-- a correction is a new row pointing at the one it corrects. The triggers make deletion and
-- change impossible through any path, the app's store included.
CREATE TABLE gsp_records (
    id               INTEGER PRIMARY KEY,
    delivery_item_id BIGINT REFERENCES delivery_items(id),
    corrects_id      BIGINT REFERENCES gsp_records(id),
    correction_reason TEXT NOT NULL DEFAULT '',
    product_id       BIGINT NOT NULL REFERENCES products(id),
    product_name     TEXT NOT NULL,
    model            TEXT NOT NULL,
    registration_no  TEXT NOT NULL,
    manufacturer     TEXT NOT NULL,
    lot              TEXT,
    serial           TEXT,
    production_date  TEXT,
    expiry_date      TEXT,
    quantity         BIGINT NOT NULL,
    unit_price_fen   BIGINT NOT NULL,
    buyer_id         BIGINT NOT NULL REFERENCES institutions(id),
    buyer_name       TEXT NOT NULL,
    buyer_address    TEXT NOT NULL,
    buyer_contact    TEXT NOT NULL,
    sale_date        TEXT NOT NULL,
    -- Copied from the buyer for scope.
    region_id        BIGINT NOT NULL REFERENCES regions(id),
    implantable      BOOLEAN NOT NULL,
    -- ORD-3 retention: NULL = kept forever (implantable).
    retain_until     TEXT,
    created_by       BIGINT NOT NULL REFERENCES users(id),
    created_at_ms    BIGINT NOT NULL
);
CREATE INDEX gsp_records_date ON gsp_records(sale_date, id);
-- A record is corrected once; a later correction corrects the correction.
CREATE UNIQUE INDEX gsp_records_corrects ON gsp_records(corrects_id) WHERE corrects_id IS NOT NULL;
CREATE INDEX gsp_records_lot ON gsp_records(product_id, lot);
CREATE TRIGGER gsp_records_no_delete BEFORE DELETE ON gsp_records
BEGIN SELECT RAISE(ABORT, 'gsp_records are never deleted (ORD-3)'); END;
CREATE TRIGGER gsp_records_no_update BEFORE UPDATE ON gsp_records
BEGIN SELECT RAISE(ABORT, 'gsp_records are never changed; add a correction (ORD-3)'); END;
