-- Portable SQL run on both SQLite and PostgreSQL; a backend gets its own folder only where SQL must differ.
-- The thin path's data model. Integers are BIGINT so sqlx's Any driver reads them as i64 on
-- both backends; times are UTC epoch milliseconds; money is integer minor units + currency.
CREATE TABLE merchants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    default_currency TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE stripe_connections (
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    livemode BIGINT NOT NULL,
    webhook_secret TEXT NOT NULL,
    PRIMARY KEY (merchant_id, livemode)
);

CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    site_key TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    name TEXT NOT NULL,
    commission_bps BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE affiliates (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (merchant_id, code)
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE clicks (
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    click_id TEXT NOT NULL,
    site_id TEXT NOT NULL REFERENCES sites(id),
    affiliate_id TEXT REFERENCES affiliates(id),
    code TEXT NOT NULL,
    landing_url TEXT NOT NULL,
    referrer TEXT NOT NULL,
    utm TEXT NOT NULL,
    country TEXT,
    received_at BIGINT NOT NULL,
    stored_at BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, click_id)
);

CREATE TABLE stripe_events (
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    event_id TEXT NOT NULL,
    livemode BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    processed_at BIGINT,
    PRIMARY KEY (merchant_id, event_id)
);

CREATE TABLE conversions (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    livemode BIGINT NOT NULL,
    stripe_object_id TEXT NOT NULL,
    affiliate_id TEXT NOT NULL REFERENCES affiliates(id),
    click_id TEXT,
    attribution_method TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (merchant_id, livemode, stripe_object_id)
);

CREATE TABLE commissions (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    conversion_id TEXT NOT NULL UNIQUE REFERENCES conversions(id),
    affiliate_id TEXT NOT NULL REFERENCES affiliates(id),
    livemode BIGINT NOT NULL,
    rate_bps BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX conversions_by_merchant ON conversions (merchant_id, livemode, created_at);
