-- 业务编号 (issue 15): every object staff talk about has one human number — the series' prefix,
-- the Beijing date it was issued on and a sequence number, e.g. HD20261207000012 — issued in one
-- place, `issue_business_no(prefix, at)`. A series has its own sequence, so issuing a number
-- never waits on a lock (orders and refunds will be issued at volume); numbers may skip, never
-- repeat. Each number is registered with the object it names and the process that carries it,
-- so the monitor, the inbox and the audit log show and find an object by its number, or by part
-- of it (trigram indexes), never by its UUID.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE business_number_series (
    prefix    text PRIMARY KEY CHECK (prefix ~ '^[A-Z]{2,4}$'),
    -- what the numbers name: a process kind's code where the object has a process
    object    text NOT NULL UNIQUE,
    sequence  regclass NOT NULL,
    label_zh  text NOT NULL,
    label_en  text NOT NULL
);

CREATE SEQUENCE business_no_kc_seq;

-- campaigns keep the sequence their numbers came from
INSERT INTO business_number_series (prefix, object, sequence, label_zh, label_en) VALUES
    ('HD', 'campaign', 'campaign_code_seq', '营销活动', 'Campaign'),
    ('KC', 'stock-change', 'business_no_kc_seq', '库存变动申请', 'Stock change request');

CREATE TABLE business_numbers (
    number       text PRIMARY KEY CHECK (number ~ '^[A-Z]{2,4}[0-9]{14,}$'),
    prefix       text NOT NULL REFERENCES business_number_series (prefix),
    object_id    text NOT NULL,
    -- the process that carries the object, once there may be one (`campaign-<id>`)
    workflow_id  text UNIQUE,
    issued_at    timestamptz NOT NULL,
    UNIQUE (prefix, object_id)
);
CREATE INDEX business_numbers_object_idx ON business_numbers (object_id);
CREATE INDEX business_numbers_number_trgm_idx ON business_numbers USING gin (number gin_trgm_ops);

-- The next number of the series `p_prefix` issued at `p_at`: NULL for an unknown series (every
-- column that keeps a number is NOT NULL, so that fails loudly). Six digits at least; past
-- 999999 the number grows rather than wraps.
CREATE FUNCTION issue_business_no(p_prefix text, p_at timestamptz) RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT s.prefix || to_char(p_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
           || lpad(q.n::text, greatest(6, length(q.n::text)), '0')
      FROM business_number_series s, LATERAL (SELECT nextval(s.sequence) AS n) q
     WHERE s.prefix = p_prefix
$$;

INSERT INTO business_numbers (number, prefix, object_id, workflow_id, issued_at)
SELECT code, 'HD', id::text, 'campaign-' || id, created_at FROM campaigns;

-- 库存变动申请 get their numbers, the old ones in the order they were made
ALTER TABLE stock_change_requests ADD COLUMN code text UNIQUE CHECK (code ~ '^KC[0-9]{14,}$');
UPDATE stock_change_requests r SET code = n.code
  FROM (SELECT id, issue_business_no('KC', created_at) AS code
          FROM (SELECT id, created_at FROM stock_change_requests ORDER BY created_at, id) o) n
 WHERE n.id = r.id;
ALTER TABLE stock_change_requests ALTER COLUMN code SET NOT NULL;
INSERT INTO business_numbers (number, prefix, object_id, workflow_id, issued_at)
SELECT code, 'KC', id::text, 'stock-change-' || id, created_at FROM stock_change_requests;

-- The read model keeps the number beside the internal key; the monitor searches number and title.
ALTER TABLE process_instances ADD COLUMN business_no text;
UPDATE process_instances p SET business_no = b.number
  FROM business_numbers b WHERE b.workflow_id = p.workflow_id;
CREATE INDEX process_instances_business_no_trgm_idx ON process_instances
    USING gin (business_no gin_trgm_ops);
CREATE INDEX process_instances_title_trgm_idx ON process_instances USING gin (title gin_trgm_ops);
-- the whole internal key still finds its process (a template code its stock changes): alone, so
-- that the search's three conditions combine as one bitmap (200,000 processes: 176 ms → 5 ms)
CREATE INDEX process_instances_key_idx ON process_instances (business_key);
-- 操作日志 › 操作对象: the records of one object, by the ids its number names
CREATE INDEX audit_log_target_idx ON audit_log (target) WHERE target IS NOT NULL;

-- 营销活动查询 and 发放明细查询 find a campaign by part of its number or its name
CREATE INDEX campaigns_code_trgm_idx ON campaigns USING gin (code gin_trgm_ops);
CREATE INDEX campaigns_name_trgm_idx ON campaigns USING gin (name gin_trgm_ops);

GRANT SELECT ON business_number_series TO quanyi_app;
GRANT SELECT, INSERT ON business_numbers TO quanyi_app;
GRANT USAGE, SELECT ON SEQUENCE business_no_kc_seq TO quanyi_app;

-- 退回修改 (issue 15): a returned submission is a task of its submitter's — `rework`, assigned to
-- them, with the reviewer as its sender and the reason as its comment — closed when they submit
-- again or withdraw. An approval task has candidate roles; a rework task has its assignee.
ALTER TABLE tasks ADD COLUMN kind text NOT NULL DEFAULT 'approval'
    CHECK (kind IN ('approval', 'rework'));
ALTER TABLE tasks DROP CONSTRAINT tasks_candidate_roles_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_candidate_roles_check
    CHECK (kind = 'rework' OR cardinality(candidate_roles) > 0);
ALTER TABLE tasks ADD CONSTRAINT tasks_rework_assignee_check
    CHECK (kind = 'approval' OR assignee IS NOT NULL);
CREATE INDEX tasks_open_assignee_idx ON tasks (assignee) WHERE status = 'open';
-- 已办 lists what one user closed, newest first
DROP INDEX tasks_decided_by_idx;
CREATE INDEX tasks_decided_by_idx ON tasks (decided_by, closed_at DESC) WHERE decided_by IS NOT NULL;
