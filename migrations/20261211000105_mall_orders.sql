-- 积分商城 II (issue 19): the customers' address book, orders with their
-- lines, log and stock movements, coupons locked by orders, and payments through Q支付 with
-- every request and answer (支付流水).

-- 收货地址: the name, phone and street sealed under the personal-data key (bound to the
-- customer, the address and the field); the region is not personal and stays readable.
CREATE TABLE mall_addresses (
    id            uuid PRIMARY KEY,
    customer_no   text NOT NULL,
    name_sealed   bytea NOT NULL,
    phone_sealed  bytea NOT NULL,
    region        text NOT NULL CHECK (length(region) BETWEEN 1 AND 100),
    detail_sealed bytea NOT NULL,
    is_default    boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    deleted_at    timestamptz
);
CREATE INDEX mall_addresses_customer_idx ON mall_addresses (customer_no, created_at)
    WHERE deleted_at IS NULL;

CREATE SEQUENCE mall_order_no_seq;

-- 订单: one supplier's goods for one customer. 待支付 → 已支付 → 已发货 → 已完成, or 已取消 (the
-- customer, before paying) or 已关闭 (not paid in time); the machine is workflows::order.
CREATE TABLE mall_orders (
    id              uuid PRIMARY KEY,
    order_no        text NOT NULL UNIQUE,
    customer_no     text NOT NULL CHECK (customer_no ~ '^[0-9A-Za-z]{6,32}$'),
    -- the client's request id: the same id again gets this order back
    request_id      text NOT NULL CHECK (request_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    body_hash       bytea NOT NULL,
    supplier_id     uuid NOT NULL REFERENCES merchants (id),
    status          text NOT NULL CHECK (status IN
                      ('pending_payment', 'paid', 'shipped', 'completed', 'cancelled', 'closed')),
    points          bigint NOT NULL CHECK (points >= 0),
    goods_fen       bigint NOT NULL CHECK (goods_fen >= 0),
    discount_fen    bigint NOT NULL DEFAULT 0 CHECK (discount_fen >= 0 AND discount_fen <= goods_fen),
    -- what Q支付 collects: goods_fen - discount_fen
    cash_fen        bigint NOT NULL CHECK (cash_fen = goods_fen - discount_fen),
    -- the ledger's hold of the points (a pending transfer), posted when paid
    points_hold_id  uuid,
    coupon_id       uuid REFERENCES coupons (id),
    address_id      uuid NOT NULL REFERENCES mall_addresses (id),
    pay_by          timestamptz NOT NULL,
    carrier         text CHECK (length(carrier) BETWEEN 1 AND 50),
    tracking_no     text CHECK (tracking_no ~ '^[0-9A-Za-z-]{4,40}$'),
    created_at      timestamptz NOT NULL,
    paid_at         timestamptz,
    shipped_at      timestamptz,
    completed_at    timestamptz,
    ended_at        timestamptz,
    -- a hold exactly when points > 0: set in the placing transaction (`quanyi audit orders`)
    UNIQUE (customer_no, request_id)
);
CREATE INDEX mall_orders_customer_idx ON mall_orders (customer_no, created_at DESC);
CREATE INDEX mall_orders_supplier_idx ON mall_orders (supplier_id, status, created_at DESC);
CREATE INDEX mall_orders_unpaid_idx ON mall_orders (pay_by) WHERE status = 'pending_payment';
CREATE INDEX mall_orders_shipped_idx ON mall_orders (shipped_at) WHERE status = 'shipped';

CREATE TABLE mall_order_lines (
    order_id      uuid NOT NULL REFERENCES mall_orders (id),
    line_no       smallint NOT NULL CHECK (line_no BETWEEN 1 AND 20),
    product_id    uuid NOT NULL REFERENCES products (id),
    sku_id        uuid NOT NULL REFERENCES product_skus (id),
    sku_code      text NOT NULL,
    product_name  text NOT NULL,
    spec          text NOT NULL,
    quantity      integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    price_points  bigint NOT NULL,
    price_fen     bigint NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

-- 订单日志: every change of an order's state, with who and why
CREATE TABLE mall_order_logs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     uuid NOT NULL REFERENCES mall_orders (id),
    from_status  text,
    to_status    text NOT NULL,
    event        text NOT NULL,
    actor        text NOT NULL,
    reason       text,
    at           timestamptz NOT NULL
);
CREATE INDEX mall_order_logs_order_idx ON mall_order_logs (order_id, id);

-- The mall's stock ledger: every unit an order takes and every unit its closing gives back
CREATE TABLE mall_stock_movements (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku_id    uuid NOT NULL REFERENCES product_skus (id),
    order_id  uuid NOT NULL REFERENCES mall_orders (id),
    kind      text NOT NULL CHECK (kind IN ('order', 'release')),
    quantity  bigint NOT NULL,
    at        timestamptz NOT NULL,
    UNIQUE (order_id, sku_id, kind),
    CHECK ((kind = 'order') = (quantity < 0))
);

-- A coupon an order uses: locked while the order waits for payment, kept when it is paid,
-- released when it closes. One live lock per coupon; a redemption at a till refuses a locked one.
CREATE TABLE mall_coupon_locks (
    coupon_id    uuid NOT NULL REFERENCES coupons (id),
    order_id     uuid NOT NULL REFERENCES mall_orders (id),
    locked_at    timestamptz NOT NULL,
    released_at  timestamptz,
    PRIMARY KEY (order_id)
);
CREATE UNIQUE INDEX mall_coupon_locks_live_idx ON mall_coupon_locks (coupon_id)
    WHERE released_at IS NULL;

-- Q支付 payment orders: one per mall order (its pay number is the order's), settled once
CREATE TABLE qpay_payments (
    pay_no         text PRIMARY KEY,
    order_id       uuid NOT NULL UNIQUE REFERENCES mall_orders (id),
    amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
    status         text NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'paid', 'closed')),
    qpay_trade_no  text,
    pay_url        text,
    created_at     timestamptz NOT NULL,
    settled_at     timestamptz,
    CHECK ((status = 'paid') = (qpay_trade_no IS NOT NULL))
);
CREATE INDEX qpay_payments_open_idx ON qpay_payments (created_at) WHERE status = 'created';

-- 支付流水: every request to Q支付 and its answer, and every callback from it
CREATE TABLE qpay_flows (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pay_no      text,
    direction   text NOT NULL CHECK (direction IN ('out', 'in')),
    operation   text NOT NULL,
    request     jsonb,
    answer      jsonb,
    http_status integer,
    outcome     text NOT NULL,
    at          timestamptz NOT NULL
);
CREATE INDEX qpay_flows_pay_idx ON qpay_flows (pay_no, id);

GRANT SELECT, INSERT, UPDATE ON mall_addresses, mall_orders, mall_coupon_locks, qpay_payments
    TO quanyi_app;
GRANT SELECT, INSERT ON mall_order_lines, mall_order_logs, mall_stock_movements, qpay_flows
    TO quanyi_app;
GRANT USAGE ON SEQUENCE mall_order_no_seq, mall_order_logs_id_seq, mall_stock_movements_id_seq,
    qpay_flows_id_seq TO quanyi_app;
