-- How far the reconciler has read each merchant's Stripe lists (events, completed Checkout
-- Sessions), per mode: the newest `created` seen, unix seconds. The next run reads from a
-- little before it; events and payments are idempotent, so overlap changes nothing.
CREATE TABLE stripe_sync_cursors (
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    livemode BIGINT NOT NULL,
    list TEXT NOT NULL,
    created_cursor BIGINT NOT NULL,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, livemode, list)
);
