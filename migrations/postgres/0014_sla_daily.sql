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

CREATE FUNCTION sla_daily_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state IN ('met', 'breached') THEN
        UPDATE sla_daily SET met = met - (OLD.state = 'met')::int,
            breached = breached - (OLD.state = 'breached')::int
        WHERE day_no = (OLD.due_at_ms + 28800000) / 86400000 AND milestone = OLD.milestone
            AND region_id = OLD.region_id AND engineer_id = COALESCE(OLD.engineer_id, 0);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state IN ('met', 'breached') THEN
        INSERT INTO sla_daily (day_no, milestone, region_id, engineer_id, met, breached)
        VALUES ((NEW.due_at_ms + 28800000) / 86400000, NEW.milestone, NEW.region_id,
            COALESCE(NEW.engineer_id, 0), (NEW.state = 'met')::int, (NEW.state = 'breached')::int)
        ON CONFLICT (day_no, milestone, region_id, engineer_id) DO UPDATE SET
            met = sla_daily.met + excluded.met, breached = sla_daily.breached + excluded.breached;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER sla_daily_insert AFTER INSERT ON sla_clocks
FOR EACH ROW WHEN (NEW.state IN ('met', 'breached')) EXECUTE FUNCTION sla_daily_count();
CREATE TRIGGER sla_daily_update AFTER UPDATE OF state, due_at_ms, milestone, region_id, engineer_id
ON sla_clocks FOR EACH ROW
WHEN ((OLD.state IN ('met', 'breached') OR NEW.state IN ('met', 'breached'))
    AND (OLD.state, OLD.due_at_ms, OLD.milestone, OLD.region_id, OLD.engineer_id)
        IS DISTINCT FROM (NEW.state, NEW.due_at_ms, NEW.milestone, NEW.region_id, NEW.engineer_id))
EXECUTE FUNCTION sla_daily_count();
CREATE TRIGGER sla_daily_delete AFTER DELETE ON sla_clocks
FOR EACH ROW WHEN (OLD.state IN ('met', 'breached')) EXECUTE FUNCTION sla_daily_count();

-- Compliance (board and evaluation) now reads sla_daily; nothing reads this index.
DROP INDEX sla_clocks_board;
