-- CUS search at 100k+ institutions (issue 3, docs/benchmarks.md): `LIKE '%…%'` cannot use a
-- B-tree, so a rare term scanned the whole table (250 ms under 10 clients). A trigram full-text
-- index finds the candidates of any term of 3 or more characters; the list query keeps its
-- LIKE conditions, so the index only narrows and never changes the answer. Shorter terms
-- (协和) still scan: a trigram index cannot hold them.
CREATE VIRTUAL TABLE institution_search USING fts5(
    name, name_initials, credit_code,
    content = 'institutions', content_rowid = 'id', tokenize = 'trigram'
);

-- An external-content index is kept current by triggers ('delete' needs the old values).
CREATE TRIGGER institution_search_insert AFTER INSERT ON institutions BEGIN
    INSERT INTO institution_search (rowid, name, name_initials, credit_code)
    VALUES (new.id, new.name, new.name_initials, new.credit_code);
END;

CREATE TRIGGER institution_search_delete AFTER DELETE ON institutions BEGIN
    INSERT INTO institution_search (institution_search, rowid, name, name_initials, credit_code)
    VALUES ('delete', old.id, old.name, old.name_initials, old.credit_code);
END;

CREATE TRIGGER institution_search_update AFTER UPDATE OF name, name_initials, credit_code ON institutions BEGIN
    INSERT INTO institution_search (institution_search, rowid, name, name_initials, credit_code)
    VALUES ('delete', old.id, old.name, old.name_initials, old.credit_code);
    INSERT INTO institution_search (rowid, name, name_initials, credit_code)
    VALUES (new.id, new.name, new.name_initials, new.credit_code);
END;

INSERT INTO institution_search (institution_search) VALUES ('rebuild');
