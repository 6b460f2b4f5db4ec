-- SEC-2: an optional TOTP second factor per user (RFC 6238), required per role; SEC-6: staff
-- contact details, masked in every answer unless the caller holds `pii:unmask`.

ALTER TABLE users
    -- AES-256-GCM ciphertext (nonce ‖ ciphertext ‖ tag) of the base32 secret, under the
    -- installation's data key; never stored in clear
    ADD COLUMN totp_secret          bytea,
    -- set when the user confirmed the enrolment with a first code
    ADD COLUMN totp_enabled_at      timestamptz,
    -- an enrolment started but not yet confirmed
    ADD COLUMN totp_pending_secret  bytea,
    -- the 30-second step of the last accepted code: a code is good once
    ADD COLUMN totp_last_step       bigint,
    ADD COLUMN phone                text CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    ADD COLUMN email                text CHECK (length(email) <= 100 AND email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    ADD CONSTRAINT totp_enabled_has_secret CHECK ((totp_enabled_at IS NULL) = (totp_secret IS NULL));

ALTER TABLE roles
    ADD COLUMN require_totp boolean NOT NULL DEFAULT false;

-- One-time recovery codes; only their SHA-256 is kept (they are random, 50 bits each).
CREATE TABLE totp_recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL CHECK (length(code_hash) = 32),
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON totp_recovery_codes TO quanyi_app;

-- A session whose password was right but whose second factor is still owed can do nothing else.
ALTER TABLE sessions
    ADD COLUMN second_factor_pending boolean NOT NULL DEFAULT false;
