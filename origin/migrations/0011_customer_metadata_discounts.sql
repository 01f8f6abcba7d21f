-- What payref knows of a merchant's Stripe customers beyond their bindings: the payref_ref /
-- payref_click metadata (the second link of the attribution chain) as of the newest event that
-- carried it, and the state of their latest subscription (cancellations are recorded here).
CREATE TABLE stripe_customers (
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    livemode BIGINT NOT NULL,
    customer_id TEXT NOT NULL,
    ref_code TEXT,
    ref_click TEXT,
    metadata_as_of BIGINT NOT NULL DEFAULT -1,
    subscription_id TEXT,
    subscription_status TEXT,
    canceled_at BIGINT,
    subscription_as_of BIGINT NOT NULL DEFAULT -1,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, livemode, customer_id)
);

-- payref_ref / payref_click to write onto a Stripe customer after a match, so renewals and
-- later purchases follow the customer; retried with backoff until Stripe takes it.
CREATE TABLE stripe_customer_writes (
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    livemode BIGINT NOT NULL,
    customer_id TEXT NOT NULL,
    ref_code TEXT NOT NULL,
    ref_click TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    done_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, livemode, customer_id)
);

CREATE INDEX stripe_customer_writes_due ON stripe_customer_writes (next_attempt_at) WHERE done_at IS NULL;

-- Promotion codes and coupons mapped to an affiliate (the fourth link of the chain): from the
-- promotion code's payref_ref metadata, or set by the merchant through the API.
CREATE TABLE discount_mappings (
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    livemode BIGINT NOT NULL,
    stripe_id TEXT NOT NULL,
    code TEXT,
    ref_code TEXT,
    source TEXT NOT NULL,
    as_of BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, livemode, stripe_id)
);
