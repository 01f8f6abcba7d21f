-- The commission lifecycle (pending → approved → paid; denied; held then released) and the
-- audit trail of who changed what and why.
ALTER TABLE commissions ADD COLUMN reason TEXT;
ALTER TABLE commissions ADD COLUMN hold_until BIGINT;
ALTER TABLE commissions ADD COLUMN approved_at BIGINT;
ALTER TABLE commissions ADD COLUMN paid_at BIGINT;
ALTER TABLE commissions ADD COLUMN payout_reference TEXT;
ALTER TABLE commissions ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

CREATE INDEX commissions_by_merchant ON commissions (merchant_id, livemode, created_at, id);
CREATE INDEX commissions_by_status ON commissions (merchant_id, livemode, status, created_at, id);
CREATE INDEX commissions_by_affiliate ON commissions (merchant_id, livemode, affiliate_id, created_at, id);
CREATE INDEX commissions_held ON commissions (status, hold_until);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX audit_events_by_merchant ON audit_events (merchant_id, created_at, id);
CREATE INDEX audit_events_by_object ON audit_events (merchant_id, object_id, created_at, id);
