-- 库存变动审批 (BEN-1): a stock increase above the configured amount waits for the approval
-- process `stock-change-<id>`; the stock is added once, when it is approved.

CREATE TABLE stock_change_requests (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    template_id   uuid NOT NULL REFERENCES coupon_templates (id),
    quantity      bigint NOT NULL CHECK (quantity > 0),
    reason        text CHECK (length(reason) <= 500),
    requested_by  text NOT NULL,
    -- applied: the stock was added; failed: approved, but the template was withdrawn meanwhile
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'applied', 'rejected', 'withdrawn', 'failed')),
    decided_by    text,
    created_at    timestamptz NOT NULL,
    decided_at    timestamptz,
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX stock_change_requests_template_idx ON stock_change_requests (template_id);
GRANT SELECT, INSERT, UPDATE ON stock_change_requests TO quanyi_app;

INSERT INTO approval_policies (process_type, variant, label, levels, updated_by) VALUES
    ('stock-change', '*', '库存变动审批', '[
        {"name": "库存审批", "role": "second_reviewer", "org_rule": "head_office", "sla_seconds": 86400, "remind_before_seconds": 7200, "escalate": false}
    ]', 'migration');
