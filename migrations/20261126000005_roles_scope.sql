-- SYS-1 and SEC-4: each role carries a data scope, and a role may be marked as one side of a
-- separation of duties (no account holds an administrator role and the auditor role at once).

ALTER TABLE roles
    -- all: everything; org_and_below: the user's org and its sub-orgs; org: the user's org only;
    -- self: what the user created or owns
    ADD COLUMN data_scope text NOT NULL DEFAULT 'self'
        CHECK (data_scope IN ('all', 'org_and_below', 'org', 'self')),
    ADD COLUMN duty text CHECK (duty IN ('administration', 'audit'));

ALTER TABLE user_roles
    ADD COLUMN granted_by uuid REFERENCES users (id),
    ADD COLUMN granted_at timestamptz NOT NULL DEFAULT now();

ALTER TABLE users
    ADD COLUMN created_by uuid REFERENCES users (id);
