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
) WITHOUT ROWID;

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
