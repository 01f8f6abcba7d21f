-- What payref has processed without a conversion to show for it, so that events about those
-- objects settle at once instead of waiting for (and fetching) what already came:
-- subscriptions whose Checkout Session was processed (an invoice that finds no affiliate knows
-- the session that could bind its customer is not still to come), and payments no affiliate
-- brought (their refunds and disputes concern nobody).
CREATE TABLE stripe_subscriptions (
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    livemode BIGINT NOT NULL,
    subscription_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, livemode, subscription_id)
);

CREATE TABLE unattributed_payments (
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    livemode BIGINT NOT NULL,
    payment_intent_id TEXT NOT NULL,
    stripe_object_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, livemode, payment_intent_id)
);
