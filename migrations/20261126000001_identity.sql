-- Who is who: the org tree, users, roles and their permissions, and server-side sessions.
-- The identity issue (SYS-1..3, SEC-*) extends these tables; this is the part the foundation needs
-- to sign staff in and to tell which org a process belongs to.

CREATE TABLE orgs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    parent_id   uuid REFERENCES orgs (id),
    code        text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-Za-z_-]{1,32}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- 1 总行 head office, 2 分行 branch, 3 支行 sub-branch
    level       smallint NOT NULL CHECK (level BETWEEN 1 AND 3),
    -- materialized path of codes from the root ('/HO/BR01/SB0101/'), for "own org and below" scopes
    path        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((level = 1) = (parent_id IS NULL))
);

CREATE TABLE users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username       text NOT NULL UNIQUE CHECK (username ~ '^[a-z][a-z0-9_.-]{2,31}$'),
    display_name   text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 50),
    org_id         uuid NOT NULL REFERENCES orgs (id),
    kind           text NOT NULL CHECK (kind IN ('staff', 'merchant', 'inspector')),
    password_hash  text NOT NULL,
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE roles (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]{1,31}$'),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- permissions are `area:entity:action` strings
CREATE TABLE role_permissions (
    role_id     uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission  text NOT NULL CHECK (permission ~ '^[a-z_-]+:[a-z_-]+:[a-z_-]+$'),
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE user_roles (
    user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id  uuid NOT NULL REFERENCES roles (id),
    PRIMARY KEY (user_id, role_id)
);

-- Only a SHA-256 of the session token is stored: a leaked table opens no session.
CREATE TABLE sessions (
    token_hash    bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- One-off facts about this installation (e.g. when the demo bank was seeded).
CREATE TABLE app_meta (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
