-- CUS search at 100k+ institutions (issue 3, docs/benchmarks.md): `LIKE '%…%'` cannot use a
-- B-tree, so a rare term scanned the whole table (250 ms under 10 clients). Trigram GIN
-- indexes on exactly the expressions the list query matches (`LOWER(name)`, `name_initials`,
-- `LOWER(credit_code)`) let the planner combine them (BitmapOr) for any term of 3 or more
-- characters. Shorter terms (协和) still scan: they have no trigram. pg_trgm ships with
-- PostgreSQL and is a trusted extension: the owner of the database may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX institutions_name_trgm ON institutions USING gin (LOWER(name) gin_trgm_ops);
CREATE INDEX institutions_initials_trgm ON institutions USING gin (name_initials gin_trgm_ops);
CREATE INDEX institutions_credit_code_trgm ON institutions USING gin (LOWER(credit_code) gin_trgm_ops);
