-- The read model of every durable process: one row per workflow, one row per transition, and the
-- open human steps that feed the inbox. Activities write these idempotently; lists, filters and
-- reports read them and never scan Temporal.

CREATE TABLE process_instances (
    workflow_id   text PRIMARY KEY CHECK (length(workflow_id) BETWEEN 1 AND 200),
    process_type  text NOT NULL,
    business_key  text NOT NULL,
    state         text NOT NULL,
    org_id        uuid REFERENCES orgs (id),
    started_by    text,
    last_seq      integer NOT NULL CHECK (last_seq > 0),
    started_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    ended_at      timestamptz
);
CREATE INDEX process_instances_type_state_idx ON process_instances (process_type, state);
CREATE INDEX process_instances_business_key_idx ON process_instances (process_type, business_key);
CREATE INDEX process_instances_org_idx ON process_instances (org_id);

CREATE TABLE process_transitions (
    workflow_id  text NOT NULL REFERENCES process_instances (workflow_id),
    seq          integer NOT NULL CHECK (seq > 0),
    from_state   text,
    to_state     text NOT NULL,
    event        text NOT NULL,
    actor        text,
    comment      text CHECK (length(comment) <= 2000),
    at           timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    -- a retried activity writes nothing twice
    PRIMARY KEY (workflow_id, seq),
    CHECK ((seq = 1) = (from_state IS NULL))
);

CREATE TABLE tasks (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workflow_id      text NOT NULL REFERENCES process_instances (workflow_id),
    step             text NOT NULL,
    level            smallint NOT NULL DEFAULT 1 CHECK (level > 0),
    candidate_roles  text[] NOT NULL CHECK (cardinality(candidate_roles) > 0),
    -- the org whose users (and, with include_descendants, whose sub-orgs' users) may act
    org_scope        uuid REFERENCES orgs (id),
    include_descendants boolean NOT NULL DEFAULT false,
    assignee         uuid REFERENCES users (id),
    -- the submitter never acts on their own submission
    submitted_by     text,
    due_at           timestamptz,
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    outcome          text,
    decided_by       text,
    comment          text CHECK (length(comment) <= 2000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz,
    -- opening the same step twice (a retried activity) is one task
    UNIQUE (workflow_id, step, level),
    CHECK ((status = 'open') = (closed_at IS NULL))
);
CREATE INDEX tasks_open_idx ON tasks (status, org_scope) WHERE status = 'open';
CREATE INDEX tasks_candidate_roles_idx ON tasks USING gin (candidate_roles);
