-- The audit chain, sealed apart from the request path (issue 22). Until now every audited
-- transaction took one global lock to read the last hash and chain its row, and held it until
-- its commit: every sign-in and every change in the bank waited in one line. Now a row is written
-- with its transaction alone, and a queue entry beside it (`audit_unsealed`); a sealer (one at a
-- time, on a try-lock) takes committed rows from the queue and appends each one's seal — its
-- place in the chain (`seq`), the previous seal's hash and its own hash over its content and that
-- previous hash — to `audit_seals`, which is append-only as the log is. `quanyi audit verify`
-- seals what waits, then walks the seals in order: a changed row no longer matches its seal, a
-- deleted row leaves its seal without a row (or, the seal deleted too, the next seal not following),
-- a row written by hand has no seal.

CREATE TABLE audit_seals (
    seq        bigint PRIMARY KEY CHECK (seq > 0),
    -- no foreign key: a row deleted by hand must leave its seal behind, for verify to find
    audit_id   bigint NOT NULL UNIQUE,
    prev_hash  bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash       bytea NOT NULL UNIQUE CHECK (length(hash) = 32)
);

CREATE TABLE audit_unsealed (
    audit_id  bigint PRIMARY KEY
);

-- the chain so far, as it was: the same hashes, in the same order
INSERT INTO audit_seals (seq, audit_id, prev_hash, hash)
SELECT row_number() OVER (ORDER BY id), id, prev_hash, hash FROM audit_log;
ALTER TABLE audit_log DROP COLUMN prev_hash, DROP COLUMN hash;

CREATE FUNCTION audit_seals_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_seals is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_seals_no_update_delete BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_seals_append_only();
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_seals_append_only();

-- the application appends and reads seals, nothing else; the queue is its to work
REVOKE UPDATE, DELETE, TRUNCATE ON audit_seals FROM quanyi_app;
GRANT SELECT, INSERT ON audit_seals TO quanyi_app;
GRANT SELECT, INSERT, DELETE ON audit_unsealed TO quanyi_app;
