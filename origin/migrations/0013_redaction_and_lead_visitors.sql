-- Raw Stripe events lose the buyer's personal data once applied, erased or expired; this says
-- when, so each event is redacted once and the periodic job finds those still to do.
ALTER TABLE stripe_events ADD COLUMN redacted_at BIGINT;
CREATE INDEX stripe_events_unredacted ON stripe_events (merchant_id, received_at) WHERE redacted_at IS NULL;

-- The edge's daily visitor hash of an identify call: a visitor identifies only a few emails a
-- day, and a lead identified by another visitor than its click's is reviewed, not trusted.
ALTER TABLE leads ADD COLUMN visitor TEXT;
CREATE INDEX leads_by_visitor ON leads (merchant_id, visitor, received_at);
