-- CUS search of one or two characters (协和, 协, bj) at 100k+ institutions (issue 3,
-- docs/benchmarks.md): no trigram exists for them, so migration 0003's indexes cannot help and
-- `LIKE '%协和%'` read every institution in scope (365-756 ms p99 under 10 clients). This
-- table holds every distinct substring of one and two characters of exactly the three
-- expressions the list matches (`LOWER(name)`, `LOWER(name_initials)`, `LOWER(credit_code)`),
-- so a term of 1-2 characters is in an institution's text if and only if it is one of its
-- grams. The list walks the term's postings in id order and keeps its LIKE conditions, so the
-- answer is unchanged. `store::customers` rewrites an institution's grams in the transaction
-- that writes its name, initials or credit code (the same statement below, for one id range).
-- No foreign key: its per-row check would double the cost of a bulk load, and only that code
-- writes here.
CREATE TABLE institution_grams (
    gram           TEXT NOT NULL,
    institution_id BIGINT NOT NULL,
    PRIMARY KEY (gram, institution_id)
);

WITH RECURSIVE
    texts (id, t) AS (
        SELECT id, LOWER(name) FROM institutions
        UNION ALL SELECT id, LOWER(name_initials) FROM institutions
        UNION ALL SELECT id, LOWER(credit_code) FROM institutions WHERE credit_code IS NOT NULL
    ),
    positions (n) AS (
        SELECT 1
        UNION ALL SELECT n + 1 FROM positions WHERE n < (SELECT MAX(LENGTH(t)) FROM texts)
    )
INSERT INTO institution_grams (gram, institution_id)
SELECT DISTINCT SUBSTR(texts.t, positions.n, widths.w), texts.id
FROM texts, positions, (SELECT 1 AS w UNION ALL SELECT 2) widths
WHERE positions.n + widths.w - 1 <= LENGTH(texts.t);

-- OPP-2 funnel at 200k opportunities (issue 3, docs/benchmarks.md): the funnel aggregated
-- every opportunity and every stay in scope on each request. These totals per region, owner,
-- product line and stage answer it when no other condition is given; `store::pipeline` keeps
-- them in the transaction of every create and move (the numbers a move adds and takes away),
-- and `add_to_funnel_totals` computes them for bulk loads with the statement below.
CREATE TABLE opportunity_funnel (
    region_id          BIGINT NOT NULL,
    owner_id           BIGINT NOT NULL,
    product_line       TEXT NOT NULL,
    stage              TEXT NOT NULL,
    -- Opportunities in this stage now, and their amount.
    current_count      BIGINT NOT NULL,
    current_amount_fen BIGINT NOT NULL,
    -- Stays that ever entered this stage (an opportunity enters a stage at most once).
    reached            BIGINT NOT NULL,
    -- Finished stays and their total length, for the average time in stage.
    stay_ms_total      BIGINT NOT NULL,
    stays              BIGINT NOT NULL,
    -- Opportunities lost straight from this stage.
    lost_here          BIGINT NOT NULL,
    PRIMARY KEY (region_id, owner_id, product_line, stage)
);

INSERT INTO opportunity_funnel (region_id, owner_id, product_line, stage, current_count,
    current_amount_fen, reached, stay_ms_total, stays, lost_here)
SELECT region_id, owner_id, product_line, stage, SUM(c), SUM(a), SUM(r), SUM(ms), SUM(st), SUM(l)
FROM (
    SELECT region_id, owner_id, product_line, stage,
        1 AS c, amount_fen AS a, 0 AS r, 0 AS ms, 0 AS st, 0 AS l
    FROM opportunities
    UNION ALL
    SELECT o.region_id, o.owner_id, o.product_line, s.stage, 0, 0, 1,
        COALESCE(s.left_at_ms - s.entered_at_ms, 0), CASE WHEN s.left_at_ms IS NULL THEN 0 ELSE 1 END, 0
    FROM opportunity_stages s JOIN opportunities o ON o.id = s.opportunity_id
    UNION ALL
    SELECT o.region_id, o.owner_id, o.product_line, s.stage, 0, 0, 0, 0, 0, 1
    FROM opportunity_stages n JOIN opportunities o ON o.id = n.opportunity_id
    JOIN opportunity_stages s ON s.opportunity_id = n.opportunity_id
        AND s.id = (SELECT MAX(p.id) FROM opportunity_stages p
                    WHERE p.opportunity_id = n.opportunity_id AND p.id < n.id)
    WHERE n.stage IN ('lost', 'tender_lost')
) AS f
GROUP BY region_id, owner_id, product_line, stage;
