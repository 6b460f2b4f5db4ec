-- The bank's sign-in rules (SEC-1, SEC-2, SEC-3): captchas, lockout, the login log, password
-- history and age, and sessions that end for a reason the user is told.

ALTER TABLE users
    -- initial and temporary passwords must be changed before anything else
    ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
    ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now();

-- Earlier hashes, so the last N passwords cannot be reused.
CREATE TABLE password_history (
    id             bigserial PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash  text NOT NULL,
    replaced_at    timestamptz NOT NULL
);
CREATE INDEX password_history_user_idx ON password_history (user_id, replaced_at DESC);

-- One-time captchas; the answer never leaves the server. A row is deleted when it is tried.
CREATE TABLE captchas (
    id          uuid PRIMARY KEY,
    answer      text NOT NULL CHECK (length(answer) BETWEEN 4 AND 8),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX captchas_expires_idx ON captchas (expires_at);

-- Consecutive failures by the username as typed: an unknown name locks exactly like a real one,
-- so the lock reveals nothing about which accounts exist.
CREATE TABLE login_locks (
    username              text PRIMARY KEY,
    consecutive_failures  integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    locked_until          timestamptz
);

-- 登录日志: every attempt, with its outcome.
CREATE TABLE login_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL,
    username  text NOT NULL,
    user_id   uuid REFERENCES users (id),
    ip        text NOT NULL,
    success   boolean NOT NULL,
    reason    text NOT NULL CHECK (reason IN ('ok', 'bad_credentials', 'locked', 'captcha', 'throttled')),
    CHECK (success = (reason = 'ok'))
);
CREATE INDEX login_log_user_idx ON login_log (user_id, at DESC);
CREATE INDEX login_log_ip_idx ON login_log (ip, at DESC) WHERE NOT success;

ALTER TABLE sessions
    -- when the user last proved who they are (login or re-authentication)
    ADD COLUMN authenticated_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN ended_at timestamptz,
    ADD COLUMN ended_reason text CHECK (ended_reason IN ('logout', 'replaced', 'rotated')),
    ADD CHECK ((ended_at IS NULL) = (ended_reason IS NULL));
CREATE INDEX sessions_live_user_idx ON sessions (user_id) WHERE ended_at IS NULL;
