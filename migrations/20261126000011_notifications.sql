-- Outbound notifications as an outbox: a notification is written in the transaction of the change
-- that causes it (nothing acknowledged is lost), and a sender in the worker delivers it. The key
-- makes "the same notice for the same event" one row however often the cause is retried.

CREATE TABLE notifications (
    id          bigserial PRIMARY KEY,
    key         text NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
    user_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    channel     text NOT NULL CHECK (channel IN ('email')),
    recipient   text NOT NULL CHECK (length(recipient) BETWEEN 3 AND 100),
    subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error  text,
    created_at  timestamptz NOT NULL,
    sent_at     timestamptz,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX notifications_pending_idx ON notifications (id) WHERE status = 'pending';
GRANT SELECT, INSERT, UPDATE ON notifications TO quanyi_app;
GRANT USAGE ON SEQUENCE notifications_id_seq TO quanyi_app;
