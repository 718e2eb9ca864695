-- Foundation: organisation, users, sessions, login throttling, audit log, calendar, settings.
-- Instants are BIGINT Unix milliseconds UTC (`*_at_ms`) on both backends; civil dates are
-- ISO 'YYYY-MM-DD' text. See docs/dev/architecture.md for why.

CREATE TABLE regions (
    id            INTEGER PRIMARY KEY,
    parent_id     BIGINT REFERENCES regions(id),
    kind          TEXT NOT NULL CHECK (kind IN ('company', 'region', 'area')),
    code          TEXT NOT NULL UNIQUE,
    name_zh       TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX regions_parent ON regions(parent_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT,
    phone         TEXT,
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    locale        TEXT NOT NULL DEFAULT 'zh-CN',
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users(id),
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE user_regions (
    user_id   BIGINT NOT NULL REFERENCES users(id),
    region_id BIGINT NOT NULL REFERENCES regions(id),
    PRIMARY KEY (user_id, region_id)
);
CREATE INDEX user_regions_region ON user_regions(region_id);

-- Browser sessions, API login tokens and personal API tokens: only a SHA-256 of the token is kept.
CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    token_hash      TEXT NOT NULL UNIQUE,
    user_id         BIGINT NOT NULL REFERENCES users(id),
    kind            TEXT NOT NULL CHECK (kind IN ('browser', 'api', 'personal')),
    name            TEXT NOT NULL DEFAULT '',
    created_at_ms   BIGINT NOT NULL,
    expires_at_ms   BIGINT NOT NULL,
    last_used_at_ms BIGINT NOT NULL,
    revoked_at_ms   BIGINT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_failures (
    id       INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    address  TEXT NOT NULL,
    at_ms    BIGINT NOT NULL
);
CREATE INDEX login_failures_username ON login_failures(username, at_ms);
CREATE INDEX login_failures_address ON login_failures(address, at_ms);

-- SYS-1: append-only, hash-chained.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    actor_id    BIGINT,
    actor_name  TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    request_id  TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_log_actor ON audit_log(actor_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- SVC-7: public holidays and make-up working days (调休).
CREATE TABLE calendar_days (
    day  TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'makeup')),
    name TEXT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
