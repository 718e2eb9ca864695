-- FIN-1…3: invoices and payments against contracts, payment allocation, and the dunning log.

CREATE TABLE invoices (
    id             INTEGER PRIMARY KEY,
    -- The tax invoice number (发票号码) as issued.
    number         TEXT NOT NULL UNIQUE,
    contract_id    BIGINT NOT NULL REFERENCES contracts(id),
    -- Copied from the contract, so scope and aging need no join.
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    owner_id       BIGINT NOT NULL REFERENCES users(id),
    region_id      BIGINT NOT NULL REFERENCES regions(id),
    issued_on      TEXT NOT NULL,
    -- issued_on + the contract's payment days (FIN-1 ages by it).
    due_on         TEXT NOT NULL,
    amount_fen     BIGINT NOT NULL CHECK (amount_fen > 0),
    paid_fen       BIGINT NOT NULL DEFAULT 0 CHECK (paid_fen >= 0 AND paid_fen <= amount_fen),
    -- Cost of what the invoice bills (FIN-3 margin).
    cost_fen       BIGINT NOT NULL DEFAULT 0 CHECK (cost_fen >= 0),
    status         TEXT NOT NULL CHECK (status IN ('open', 'paid', 'void')),
    -- Why an unpaid invoice was voided (red-letter reversal); empty otherwise.
    void_reason    TEXT NOT NULL DEFAULT '',
    created_by     BIGINT NOT NULL REFERENCES users(id),
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX invoices_contract ON invoices(contract_id, id);
CREATE INDEX invoices_institution ON invoices(institution_id, id);
-- Aging reads open invoices by scope and due date.
CREATE INDEX invoices_open ON invoices(status, due_on);
CREATE INDEX invoices_owner_open ON invoices(owner_id, status, due_on);
CREATE INDEX invoices_region_open ON invoices(region_id, status, due_on);
-- FIN-1 aging reads only this index (no table row per invoice): every column it sums or
-- groups by is in it, so 200k invoices age in one sequential pass.
CREATE INDEX invoices_aging ON invoices(status, region_id, owner_id, institution_id, due_on, amount_fen, paid_fen);
-- FIN-3 statements and reports read invoices by issue date.
CREATE INDEX invoices_issued ON invoices(issued_on);

CREATE TABLE payments (
    id             INTEGER PRIMARY KEY,
    contract_id    BIGINT NOT NULL REFERENCES contracts(id),
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    owner_id       BIGINT NOT NULL REFERENCES users(id),
    region_id      BIGINT NOT NULL REFERENCES regions(id),
    received_on    TEXT NOT NULL,
    amount_fen     BIGINT NOT NULL CHECK (amount_fen > 0),
    method         TEXT NOT NULL CHECK (method IN ('transfer', 'acceptance_bill', 'cheque', 'cash')),
    reference      TEXT NOT NULL DEFAULT '',
    created_by     BIGINT NOT NULL REFERENCES users(id),
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX payments_contract ON payments(contract_id, id);
CREATE INDEX payments_institution ON payments(institution_id, id);
CREATE INDEX payments_received ON payments(received_on);

-- Which invoices a payment settles; a payment is allocated in full when recorded.
CREATE TABLE payment_allocations (
    payment_id BIGINT NOT NULL REFERENCES payments(id),
    invoice_id BIGINT NOT NULL REFERENCES invoices(id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    PRIMARY KEY (payment_id, invoice_id)
);
CREATE INDEX payment_allocations_invoice ON payment_allocations(invoice_id);

-- FIN-2: what was done to collect (催款记录).
CREATE TABLE dunning_log (
    id             INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    contract_id    BIGINT REFERENCES contracts(id),
    invoice_id     BIGINT REFERENCES invoices(id),
    region_id      BIGINT NOT NULL REFERENCES regions(id),
    owner_id       BIGINT NOT NULL REFERENCES users(id),
    kind           TEXT NOT NULL CHECK (kind IN ('phone', 'letter', 'legal')),
    note           TEXT NOT NULL,
    promised_on    TEXT,
    by_user        BIGINT NOT NULL REFERENCES users(id),
    at_ms          BIGINT NOT NULL
);
CREATE INDEX dunning_log_institution ON dunning_log(institution_id, id);
CREATE INDEX dunning_log_invoice ON dunning_log(invoice_id, id);
