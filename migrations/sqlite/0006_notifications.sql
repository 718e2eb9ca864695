-- SYS-2: in-app notifications (reminders for overdue visits and pipeline stages, …).
-- `dedupe_key` makes a reminder job safe to run again, on any number of nodes.

CREATE TABLE notifications (
    id            INTEGER PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id),
    kind          TEXT NOT NULL,
    subject       TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '',
    link          TEXT NOT NULL,
    dedupe_key    TEXT NOT NULL UNIQUE,
    created_at_ms BIGINT NOT NULL,
    read_at_ms    BIGINT
);
CREATE INDEX notifications_user ON notifications(user_id, id);
