-- PRD-1…4: the product catalog, the suppliers we buy from (manufacturers and distributors),
-- the documents that allow a sale (certificates, licences, qualifications) with their scans,
-- and first-time reviews (首营审核) of customers and suppliers.

CREATE TABLE suppliers (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    credit_code   TEXT UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('manufacturer', 'distributor')),
    contact       TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

CREATE TABLE products (
    id                INTEGER PRIMARY KEY,
    -- The company's article number, unique.
    code              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    name_initials     TEXT NOT NULL,
    -- 型号规格
    model             TEXT NOT NULL,
    product_line      TEXT NOT NULL CHECK (product_line IN ('large_equipment', 'consumables', 'ivd', 'service', 'other')),
    manufacturer_id   BIGINT NOT NULL REFERENCES suppliers(id),
    unit              TEXT NOT NULL,
    serialized        BOOLEAN NOT NULL DEFAULT FALSE,
    implantable       BOOLEAN NOT NULL DEFAULT FALSE,
    -- NULL: the product does not expire (equipment).
    shelf_life_months BIGINT CHECK (shelf_life_months > 0),
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    created_at_ms     BIGINT NOT NULL,
    updated_at_ms     BIGINT NOT NULL
);
CREATE INDEX products_line ON products(product_line, id);
CREATE INDEX products_manufacturer ON products(manufacturer_id, id);

-- Exactly one of product / supplier / institution owns a document. A renewal is a new row:
-- the gate looks for one valid on the day of the sale.
CREATE TABLE documents (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('registration_certificate', 'filing', 'production_licence', 'institution_licence', 'business_licence')),
    product_id     BIGINT REFERENCES products(id),
    supplier_id    BIGINT REFERENCES suppliers(id),
    institution_id BIGINT REFERENCES institutions(id),
    number         TEXT NOT NULL,
    device_class   TEXT CHECK (device_class IN ('I', 'II', 'III')),
    holder         TEXT NOT NULL DEFAULT '',
    scope          TEXT NOT NULL DEFAULT '',
    valid_from     TEXT NOT NULL,
    valid_to       TEXT NOT NULL CHECK (valid_to >= valid_from),
    -- The scan: metadata here, bytes in document_files (so app nodes stay stateless).
    file_name      TEXT,
    file_type      TEXT,
    file_size      BIGINT,
    file_sha256    TEXT,
    created_by     BIGINT NOT NULL REFERENCES users(id),
    created_at_ms  BIGINT NOT NULL,
    updated_at_ms  BIGINT NOT NULL,
    CHECK ((CASE WHEN product_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN supplier_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN institution_id IS NULL THEN 0 ELSE 1 END) = 1)
);
CREATE INDEX documents_product ON documents(product_id, kind);
CREATE INDEX documents_supplier ON documents(supplier_id, kind);
CREATE INDEX documents_institution ON documents(institution_id, kind);
CREATE INDEX documents_valid_to ON documents(valid_to, id);

CREATE TABLE document_files (
    document_id BIGINT PRIMARY KEY REFERENCES documents(id),
    content     BLOB NOT NULL
);

-- PRD-3: 首营审核. At most one open submission per customer or supplier.
CREATE TABLE qualification_reviews (
    id              INTEGER PRIMARY KEY,
    institution_id  BIGINT REFERENCES institutions(id),
    supplier_id     BIGINT REFERENCES suppliers(id),
    status          TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected')),
    note            TEXT NOT NULL DEFAULT '',
    submitted_by    BIGINT NOT NULL REFERENCES users(id),
    submitted_at_ms BIGINT NOT NULL,
    decided_by      BIGINT REFERENCES users(id),
    decided_at_ms   BIGINT,
    comment         TEXT NOT NULL DEFAULT '',
    CHECK ((institution_id IS NULL) <> (supplier_id IS NULL))
);
CREATE INDEX qualification_reviews_institution ON qualification_reviews(institution_id, id);
CREATE INDEX qualification_reviews_supplier ON qualification_reviews(supplier_id, id);
CREATE INDEX qualification_reviews_status ON qualification_reviews(status, id);
CREATE UNIQUE INDEX qualification_reviews_open_institution ON qualification_reviews(institution_id) WHERE status = 'submitted';
CREATE UNIQUE INDEX qualification_reviews_open_supplier ON qualification_reviews(supplier_id) WHERE status = 'submitted';
