-- A bank of realistic size for staff-rush (issue 22): on top of `quanyi dev`'s demo bank,
-- :processes campaign processes in the read model (a quarter of them waiting in review, each with
-- its open task for the demo reviewers' roles and org; the rest done, their tasks too), and
-- :coupons coupons over the demo templates and clients, claimed over the last 90 days by a million
-- customers, a fifth used. The rush seeds its own staff users. Rows only: no workflow runs behind
-- these processes, and the coupons bypass the stock ledger, so `quanyi audit stock` does not hold
-- on this database. For benchmarks, never for CI.
--
--   psql "$URL" -v processes=100000 -v coupons=10000000 -f tests/load/bank.sql

\set ON_ERROR_STOP on
\timing on

INSERT INTO process_instances (workflow_id, process_type, business_key, state, org_id, started_by,
                               last_seq, started_at, updated_at, ended_at)
SELECT 'campaign-bank-' || n, 'campaign', 'HDBANK' || lpad(n::text, 10, '0'),
       CASE WHEN n % 4 = 0 THEN 'FirstReview' ELSE 'Ended' END,
       (SELECT id FROM orgs WHERE code = 'SB0101'), 'planner', 3,
       now() - make_interval(mins => n), now() - make_interval(mins => n),
       CASE WHEN n % 4 = 0 THEN NULL ELSE now() - make_interval(mins => n) END
  FROM generate_series(1, :processes) AS n;

INSERT INTO tasks (workflow_id, step, level, candidate_roles, org_scope, include_descendants,
                   submitted_by, due_at, status, outcome, decided_by, created_at, closed_at)
SELECT 'campaign-bank-' || n, 'review', 1, ARRAY['first_reviewer'],
       (SELECT id FROM orgs WHERE code = 'SB0101'), true, 'planner',
       now() + interval '2 days',
       CASE WHEN n % 4 = 0 THEN 'open' ELSE 'done' END,
       CASE WHEN n % 4 = 0 THEN NULL ELSE 'approve' END,
       CASE WHEN n % 4 = 0 THEN NULL ELSE 'reviewer1' END,
       now() - make_interval(mins => n),
       CASE WHEN n % 4 = 0 THEN NULL ELSE now() - make_interval(mins => n) END
  FROM generate_series(1, :processes) AS n;

INSERT INTO coupons (code, template_id, customer_no, client_id, campaign_id, status, claimed_at,
                     valid_from, valid_to)
SELECT upper(lpad(to_hex(n), 16, '0')), t.ids[1 + n % cardinality(t.ids)],
       'C' || lpad((n % 1000000)::text, 9, '0'), c.id, NULL,
       CASE WHEN n % 5 = 0 THEN 'used' ELSE 'unused' END,
       now() - make_interval(secs => n % 7776000),
       now() - make_interval(secs => n % 7776000),
       now() + interval '30 days'
  FROM generate_series(1, :coupons) AS n,
       (SELECT array_agg(id) AS ids FROM coupon_templates) AS t,
       (SELECT id FROM api_clients ORDER BY code LIMIT 1) AS c;

ANALYZE;
