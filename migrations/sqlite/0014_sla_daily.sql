-- SVC-7 board at 1M tickets (issue 6, docs/benchmarks.md): compliance counted every met and
-- breached clock due in the period (about 200k for 30 days at the bench's density) on every
-- request. These totals per due day (Asia/Shanghai, which keeps UTC+8 all year), milestone,
-- region and engineer (0 = none) answer it from a few hundred rows. Triggers keep them,
-- rather than each writer, because clocks are written by the recompute's upsert, the scan's
-- escalation and the bench's bulk generation alike: no writer can forget them, and a
-- clock's old contribution is taken away in the same statement that changes it.
CREATE TABLE sla_daily (
    day_no      BIGINT NOT NULL,
    milestone   TEXT NOT NULL,
    region_id   BIGINT NOT NULL,
    engineer_id BIGINT NOT NULL,
    met         BIGINT NOT NULL,
    breached    BIGINT NOT NULL,
    PRIMARY KEY (day_no, milestone, region_id, engineer_id)
);

INSERT INTO sla_daily (day_no, milestone, region_id, engineer_id, met, breached)
SELECT (due_at_ms + 28800000) / 86400000, milestone, region_id, COALESCE(engineer_id, 0),
    SUM(CASE WHEN state = 'met' THEN 1 ELSE 0 END), SUM(CASE WHEN state = 'breached' THEN 1 ELSE 0 END)
FROM sla_clocks WHERE state IN ('met', 'breached')
GROUP BY (due_at_ms + 28800000) / 86400000, milestone, region_id, COALESCE(engineer_id, 0);

CREATE TRIGGER sla_daily_insert AFTER INSERT ON sla_clocks
WHEN NEW.state IN ('met', 'breached')
BEGIN
    INSERT INTO sla_daily (day_no, milestone, region_id, engineer_id, met, breached)
    VALUES ((NEW.due_at_ms + 28800000) / 86400000, NEW.milestone, NEW.region_id,
        COALESCE(NEW.engineer_id, 0), NEW.state = 'met', NEW.state = 'breached')
    ON CONFLICT (day_no, milestone, region_id, engineer_id) DO UPDATE SET
        met = met + excluded.met, breached = breached + excluded.breached;
END;

CREATE TRIGGER sla_daily_update AFTER UPDATE OF state, due_at_ms, milestone, region_id, engineer_id
ON sla_clocks
WHEN (OLD.state IN ('met', 'breached') OR NEW.state IN ('met', 'breached'))
    AND (OLD.state IS NOT NEW.state OR OLD.due_at_ms IS NOT NEW.due_at_ms
        OR OLD.milestone IS NOT NEW.milestone OR OLD.region_id IS NOT NEW.region_id
        OR OLD.engineer_id IS NOT NEW.engineer_id)
BEGIN
    UPDATE sla_daily SET met = met - (OLD.state = 'met'), breached = breached - (OLD.state = 'breached')
    WHERE OLD.state IN ('met', 'breached') AND day_no = (OLD.due_at_ms + 28800000) / 86400000
        AND milestone = OLD.milestone AND region_id = OLD.region_id
        AND engineer_id = COALESCE(OLD.engineer_id, 0);
    INSERT INTO sla_daily (day_no, milestone, region_id, engineer_id, met, breached)
    SELECT (NEW.due_at_ms + 28800000) / 86400000, NEW.milestone, NEW.region_id,
        COALESCE(NEW.engineer_id, 0), NEW.state = 'met', NEW.state = 'breached'
    WHERE NEW.state IN ('met', 'breached')
    ON CONFLICT (day_no, milestone, region_id, engineer_id) DO UPDATE SET
        met = met + excluded.met, breached = breached + excluded.breached;
END;

CREATE TRIGGER sla_daily_delete AFTER DELETE ON sla_clocks
WHEN OLD.state IN ('met', 'breached')
BEGIN
    UPDATE sla_daily SET met = met - (OLD.state = 'met'), breached = breached - (OLD.state = 'breached')
    WHERE day_no = (OLD.due_at_ms + 28800000) / 86400000 AND milestone = OLD.milestone
        AND region_id = OLD.region_id AND engineer_id = COALESCE(OLD.engineer_id, 0);
END;

-- Compliance (board and evaluation) now reads sla_daily; nothing reads this index.
DROP INDEX sla_clocks_board;
