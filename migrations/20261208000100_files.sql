-- SEC-7: uploaded files. The bytes live in the object store (the local filesystem under var/files
-- in `quanyi dev`, S3-compatible storage in production) under a random key; this table is the
-- only way to them: the opaque id a client holds, the name it gave, the kind its content showed,
-- and its owner — a staff user, or an onboarding application (the column is bound to its table
-- by the onboarding migration).

CREATE TABLE files (
    id                    uuid PRIMARY KEY,
    -- the object's key: random, never shown
    object_key            text NOT NULL UNIQUE,
    original_name         text NOT NULL CHECK (length(original_name) BETWEEN 1 AND 200),
    content_type          text NOT NULL
                          CHECK (content_type IN ('image/jpeg', 'image/png', 'application/pdf')),
    size_bytes            bigint NOT NULL CHECK (size_bytes > 0),
    sha256                text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    owner_user_id         uuid REFERENCES users (id),
    owner_application_id  uuid,
    uploaded_at           timestamptz NOT NULL,
    CHECK ((owner_user_id IS NULL) <> (owner_application_id IS NULL))
);

CREATE INDEX files_owner_user ON files (owner_user_id) WHERE owner_user_id IS NOT NULL;
CREATE INDEX files_owner_application ON files (owner_application_id)
    WHERE owner_application_id IS NOT NULL;
