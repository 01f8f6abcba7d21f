-- Stripe events are their own job queue: stored raw on receipt, then claimed by a worker
-- (a lease in locked_until), retried with backoff (attempts, next_attempt_at, last_error) and
-- parked after too many failures until the merchant retries them.
ALTER TABLE stripe_events ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stripe_events ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stripe_events ADD COLUMN locked_until BIGINT;
ALTER TABLE stripe_events ADD COLUMN last_error TEXT;
ALTER TABLE stripe_events ADD COLUMN parked_at BIGINT;
ALTER TABLE stripe_events ADD COLUMN outcome TEXT;

CREATE INDEX stripe_events_due ON stripe_events (next_attempt_at) WHERE processed_at IS NULL AND parked_at IS NULL;
CREATE INDEX stripe_events_by_merchant ON stripe_events (merchant_id, livemode, received_at, event_id);

-- A Stripe customer bound to the affiliate who brought them, and how the binding was made,
-- so renewals and later purchases follow the customer.
CREATE TABLE customers (
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    livemode BIGINT NOT NULL,
    stripe_customer_id TEXT NOT NULL,
    affiliate_id TEXT NOT NULL REFERENCES affiliates(id),
    method TEXT NOT NULL,
    click_id TEXT,
    source_object_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, livemode, stripe_customer_id)
);

CREATE INDEX customers_by_merchant ON customers (merchant_id, livemode, created_at, stripe_customer_id);
CREATE INDEX customers_by_affiliate ON customers (merchant_id, livemode, affiliate_id, created_at, stripe_customer_id);

-- What a conversion's payment went through after it was paid: refunds (cumulative, as Stripe
-- reports them) and disputes, and the identifiers that tie later events to it.
ALTER TABLE conversions ADD COLUMN status TEXT NOT NULL DEFAULT 'paid';
ALTER TABLE conversions ADD COLUMN amount_paid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversions ADD COLUMN amount_refunded BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversions ADD COLUMN customer_id TEXT;
ALTER TABLE conversions ADD COLUMN payment_intent_id TEXT;

UPDATE conversions SET amount_paid = amount WHERE amount_paid = 0;

-- What the commission was when earned, before refunds reduced it.
ALTER TABLE commissions ADD COLUMN original_amount BIGINT;
UPDATE commissions SET original_amount = amount;

CREATE INDEX conversions_by_status ON conversions (merchant_id, livemode, status, created_at, id);
CREATE INDEX conversions_by_payment_intent ON conversions (merchant_id, livemode, payment_intent_id);
CREATE INDEX conversions_by_customer ON conversions (merchant_id, livemode, customer_id);

-- Negative (or, when a refund fails, restoring) entries against a commission that had
-- already been approved or paid; each comes from one Stripe event, once.
CREATE TABLE commission_adjustments (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    commission_id TEXT NOT NULL REFERENCES commissions(id),
    affiliate_id TEXT NOT NULL REFERENCES affiliates(id),
    livemode BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    stripe_event_id TEXT NOT NULL,
    settled_at BIGINT,
    payout_reference TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (merchant_id, commission_id, stripe_event_id)
);

CREATE INDEX commission_adjustments_by_merchant ON commission_adjustments (merchant_id, livemode, created_at, id);
CREATE INDEX commission_adjustments_by_commission ON commission_adjustments (merchant_id, commission_id);
