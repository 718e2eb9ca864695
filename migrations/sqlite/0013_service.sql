-- SVC-1…10: service tickets, their event log and SLA clocks, dispatch, service records with
-- the customer's confirmation, part requests, follow-up surveys, improvement actions,
-- preventive maintenance and engineer certifications.

-- SVC-9: a maintenance plan covers one installed device, or every device of one product.
CREATE TABLE pm_plans (
    id            INTEGER PRIMARY KEY,
    device_id     BIGINT REFERENCES installed_devices(id),
    product_id    BIGINT REFERENCES products(id),
    interval_days BIGINT NOT NULL CHECK (interval_days > 0 AND interval_days <= 3660),
    -- Tickets are raised this many days before a visit falls due.
    lead_days     BIGINT NOT NULL DEFAULT 14 CHECK (lead_days >= 0 AND lead_days <= 365),
    -- One check per line.
    checklist     TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_by    BIGINT NOT NULL REFERENCES users(id),
    created_at_ms BIGINT NOT NULL,
    CHECK ((device_id IS NULL) <> (product_id IS NULL))
);
CREATE INDEX pm_plans_device ON pm_plans(device_id);
CREATE INDEX pm_plans_product ON pm_plans(product_id);

CREATE TABLE service_tickets (
    id              INTEGER PRIMARY KEY,
    -- SR-<yyyymmdd>-<id>: the document number the customer is told.
    number          TEXT NOT NULL UNIQUE,
    channel         TEXT NOT NULL CHECK (channel IN ('hotline', 'web', 'email', 'engineer', 'plan')),
    kind            TEXT NOT NULL CHECK (kind IN ('installation', 'commissioning', 'repair', 'maintenance', 'consultation')),
    priority        TEXT NOT NULL CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
    status          TEXT NOT NULL CHECK (status IN ('new', 'contacted', 'dispatched', 'on_site', 'completed', 'closed', 'cancelled')),
    institution_id  BIGINT NOT NULL REFERENCES institutions(id),
    department_id   BIGINT REFERENCES departments(id),
    contact_id      BIGINT REFERENCES contacts(id),
    -- Who called, as they gave it (the contact may not be on file yet).
    caller_name     TEXT NOT NULL DEFAULT '',
    caller_phone    TEXT NOT NULL DEFAULT '',
    device_id       BIGINT REFERENCES installed_devices(id),
    -- The customer contract whose after-sales terms may set other SLA targets.
    contract_id     BIGINT REFERENCES contracts(id),
    -- Copied from the institution, so scope needs no join.
    region_id       BIGINT NOT NULL REFERENCES regions(id),
    fault           TEXT NOT NULL,
    -- When the customer asked: every SLA clock but follow-up starts here.
    requested_at_ms BIGINT NOT NULL,
    -- The service agent who took the ticket (claimed).
    handler_id      BIGINT REFERENCES users(id),
    engineer_id     BIGINT REFERENCES users(id),
    -- Phone guidance given (SVC-2) or the closing summary.
    resolution      TEXT NOT NULL DEFAULT '',
    pm_plan_id      BIGINT REFERENCES pm_plans(id),
    created_by      BIGINT NOT NULL REFERENCES users(id),
    created_at_ms   BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL
);
CREATE INDEX service_tickets_status ON service_tickets(status, id);
CREATE INDEX service_tickets_region ON service_tickets(region_id, status, id);
CREATE INDEX service_tickets_engineer ON service_tickets(engineer_id, status, id);
CREATE INDEX service_tickets_institution ON service_tickets(institution_id, id);
CREATE INDEX service_tickets_device ON service_tickets(device_id, id);

-- SVC-7: what happened to a ticket and when. SLA clocks are derived from these rows, so a
-- corrected time or a changed calendar recomputes them.
CREATE TABLE ticket_events (
    id             INTEGER PRIMARY KEY,
    ticket_id      BIGINT NOT NULL REFERENCES service_tickets(id),
    kind           TEXT NOT NULL CHECK (kind IN ('requested', 'claimed', 'contacted', 'resolved_by_phone',
                       'dispatched', 'arrived', 'paused', 'resumed', 'part_requested', 'part_fulfilled',
                       'part_cancelled', 'completed', 'followed_up', 'closed', 'cancelled')),
    -- When it happened in the world; a correction changes it (audited).
    at_ms          BIGINT NOT NULL,
    -- The part request (part_*) or engineer (dispatched) the event is about.
    ref_id         BIGINT,
    note           TEXT NOT NULL DEFAULT '',
    by_user        BIGINT NOT NULL REFERENCES users(id),
    recorded_at_ms BIGINT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, at_ms, id);

-- SVC-7: one clock per milestone (per part request for parts), recomputed from the events.
CREATE TABLE sla_clocks (
    id              INTEGER PRIMARY KEY,
    ticket_id       BIGINT NOT NULL REFERENCES service_tickets(id),
    milestone       TEXT NOT NULL CHECK (milestone IN ('first_contact', 'on_site', 'parts', 'follow_up')),
    -- The part request a parts clock runs for; 0 for the other milestones.
    part_request_id BIGINT NOT NULL DEFAULT 0,
    -- Copied from the ticket for the board and the scan.
    region_id       BIGINT NOT NULL REFERENCES regions(id),
    engineer_id     BIGINT REFERENCES users(id),
    started_at_ms   BIGINT NOT NULL,
    warn_at_ms      BIGINT NOT NULL,
    due_at_ms       BIGINT NOT NULL,
    stopped_at_ms   BIGINT,
    -- running / paused: open; met / breached (stopped late, or still open past due);
    -- cancelled: the ticket no longer needs the milestone.
    state           TEXT NOT NULL CHECK (state IN ('running', 'paused', 'met', 'breached', 'cancelled')),
    -- Set once by the scan job, so a warning and an escalation are each sent exactly once.
    warned_at_ms    BIGINT,
    escalated_at_ms BIGINT,
    UNIQUE (ticket_id, milestone, part_request_id)
);
-- The scan reads open clocks not yet warned (escalated) by the time they warn (fall due); the
-- board counts open clocks by due time and region from the second index alone.
CREATE INDEX sla_clocks_warn ON sla_clocks(state, warned_at_ms, warn_at_ms);
CREATE INDEX sla_clocks_due ON sla_clocks(state, stopped_at_ms, due_at_ms, escalated_at_ms, region_id);
-- A ticket's next due time (lists, ticket pages) reads only this index; without it the
-- planner may walk every open clock through sla_clocks_due.
CREATE INDEX sla_clocks_ticket ON sla_clocks(ticket_id, state, stopped_at_ms, due_at_ms);
-- The board's compliance reads only this index.
CREATE INDEX sla_clocks_board ON sla_clocks(due_at_ms, state, milestone, region_id, engineer_id);

-- SVC-7: targets other than the policy's defaults, per ticket kind, priority and customer
-- contract ('' / 0 = any); the most specific row wins.
CREATE TABLE sla_targets (
    id          INTEGER PRIMARY KEY,
    milestone   TEXT NOT NULL CHECK (milestone IN ('first_contact', 'on_site', 'parts', 'follow_up')),
    kind        TEXT NOT NULL DEFAULT '',
    priority    TEXT NOT NULL DEFAULT '',
    contract_id BIGINT NOT NULL DEFAULT 0,
    -- How long, in the unit the mode names: wall-clock minutes, working minutes or working days.
    amount      BIGINT NOT NULL CHECK (amount > 0 AND amount <= 100000),
    mode        TEXT NOT NULL CHECK (mode IN ('wall_minutes', 'working_minutes', 'working_days')),
    updated_by  BIGINT NOT NULL REFERENCES users(id),
    updated_at_ms BIGINT NOT NULL,
    UNIQUE (milestone, kind, priority, contract_id)
);

-- SVC-8: who was sent, by whom, newest last.
CREATE TABLE ticket_assignments (
    id          INTEGER PRIMARY KEY,
    ticket_id   BIGINT NOT NULL REFERENCES service_tickets(id),
    engineer_id BIGINT NOT NULL REFERENCES users(id),
    assigned_by BIGINT NOT NULL REFERENCES users(id),
    note        TEXT NOT NULL DEFAULT '',
    at_ms       BIGINT NOT NULL
);
CREATE INDEX ticket_assignments_ticket ON ticket_assignments(ticket_id, id);

-- SVC-8: which product lines an engineer is certified for, and until when.
CREATE TABLE engineer_certifications (
    user_id      BIGINT NOT NULL REFERENCES users(id),
    product_line TEXT NOT NULL CHECK (product_line IN ('large_equipment', 'consumables', 'ivd', 'service', 'other')),
    valid_until  TEXT NOT NULL,
    PRIMARY KEY (user_id, product_line)
);

-- SVC-4: what the engineer found and did; one record per ticket. SVC-10: the service
-- manager's periodic review of it.
CREATE TABLE service_records (
    id             INTEGER PRIMARY KEY,
    ticket_id      BIGINT NOT NULL UNIQUE REFERENCES service_tickets(id),
    engineer_id    BIGINT NOT NULL REFERENCES users(id),
    phenomenon     TEXT NOT NULL,
    diagnosis      TEXT NOT NULL,
    repair_method  TEXT NOT NULL,
    parts_replaced TEXT NOT NULL DEFAULT '',
    minutes_spent  BIGINT NOT NULL CHECK (minutes_spent >= 0 AND minutes_spent <= 100000),
    reviewed_by    BIGINT REFERENCES users(id),
    reviewed_at_ms BIGINT,
    review_score   BIGINT CHECK (review_score BETWEEN 1 AND 5),
    review_note    TEXT NOT NULL DEFAULT '',
    created_at_ms  BIGINT NOT NULL,
    updated_at_ms  BIGINT NOT NULL
);
CREATE INDEX service_records_engineer ON service_records(engineer_id, id);

-- SVC-4: the customer's confirmation of the result: a name, a time, and a signature drawn on
-- the screen (PNG) or a confirmation code.
CREATE TABLE ticket_confirmations (
    ticket_id      BIGINT PRIMARY KEY REFERENCES service_tickets(id),
    name           TEXT NOT NULL,
    confirmed_at_ms BIGINT NOT NULL,
    method         TEXT NOT NULL CHECK (method IN ('signature', 'code')),
    signature_png  BLOB,
    code           TEXT,
    recorded_by    BIGINT NOT NULL REFERENCES users(id),
    CHECK ((method = 'signature' AND signature_png IS NOT NULL) OR (method = 'code' AND code IS NOT NULL))
);

-- SVC-5: parts the engineer asks the warehouse for; each runs its own 24 h clock. The
-- spare-parts module links requests to the catalog and stock.
CREATE TABLE part_requests (
    id              INTEGER PRIMARY KEY,
    ticket_id       BIGINT NOT NULL REFERENCES service_tickets(id),
    region_id       BIGINT NOT NULL REFERENCES regions(id),
    part_code       TEXT NOT NULL DEFAULT '',
    part_name       TEXT NOT NULL,
    quantity        BIGINT NOT NULL CHECK (quantity > 0 AND quantity <= 10000),
    note            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('requested', 'fulfilled', 'cancelled')),
    requested_by    BIGINT NOT NULL REFERENCES users(id),
    requested_at_ms BIGINT NOT NULL,
    closed_by       BIGINT REFERENCES users(id),
    closed_at_ms    BIGINT
);
CREATE INDEX part_requests_ticket ON part_requests(ticket_id, id);
CREATE INDEX part_requests_status ON part_requests(status, id);

-- SVC-6: the follow-up (回访) after completion; one per ticket.
CREATE TABLE service_surveys (
    id            INTEGER PRIMARY KEY,
    ticket_id     BIGINT NOT NULL UNIQUE REFERENCES service_tickets(id),
    -- Copied from the ticket for SVC-10 figures per engineer and region.
    engineer_id   BIGINT REFERENCES users(id),
    region_id     BIGINT NOT NULL REFERENCES regions(id),
    respondent    TEXT NOT NULL,
    attitude      BIGINT NOT NULL CHECK (attitude BETWEEN 1 AND 5),
    quality       BIGINT NOT NULL CHECK (quality BETWEEN 1 AND 5),
    speed         BIGINT NOT NULL CHECK (speed BETWEEN 1 AND 5),
    satisfied     BOOLEAN NOT NULL,
    comment       TEXT NOT NULL DEFAULT '',
    by_user       BIGINT NOT NULL REFERENCES users(id),
    at_ms         BIGINT NOT NULL
);
CREATE INDEX service_surveys_engineer ON service_surveys(engineer_id, at_ms);

-- SVC-6: what an unsatisfied customer's follow-up opened.
CREATE TABLE improvement_actions (
    id            INTEGER PRIMARY KEY,
    ticket_id     BIGINT NOT NULL REFERENCES service_tickets(id),
    survey_id     BIGINT NOT NULL REFERENCES service_surveys(id),
    region_id     BIGINT NOT NULL REFERENCES regions(id),
    description   TEXT NOT NULL,
    owner_id      BIGINT NOT NULL REFERENCES users(id),
    due_on        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('open', 'done')),
    resolution    TEXT NOT NULL DEFAULT '',
    created_by    BIGINT NOT NULL REFERENCES users(id),
    created_at_ms BIGINT NOT NULL,
    closed_at_ms  BIGINT
);
CREATE INDEX improvement_actions_status ON improvement_actions(status, due_on);
CREATE INDEX improvement_actions_ticket ON improvement_actions(ticket_id);

-- SVC-9: each visit a plan calls for, per device; the ticket it raised.
CREATE TABLE pm_visits (
    id         INTEGER PRIMARY KEY,
    plan_id    BIGINT NOT NULL REFERENCES pm_plans(id),
    device_id  BIGINT NOT NULL REFERENCES installed_devices(id),
    due_on     TEXT NOT NULL,
    ticket_id  BIGINT REFERENCES service_tickets(id),
    status     TEXT NOT NULL CHECK (status IN ('ticketed', 'done', 'skipped')),
    UNIQUE (plan_id, device_id, due_on)
);
CREATE INDEX pm_visits_device ON pm_visits(device_id, due_on);
CREATE INDEX pm_visits_ticket ON pm_visits(ticket_id);
