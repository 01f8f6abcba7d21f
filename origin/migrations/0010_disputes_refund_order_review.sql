-- Refund amounts are snapshots ordered by when Stripe reported them (a failed refund lowers
-- the refunded amount again), a dispute holds its commission until it closes, and payments
-- that look suspicious are flagged for the merchant's review.
ALTER TABLE conversions ADD COLUMN refunded_as_of BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversions ADD COLUMN dispute_id TEXT;
ALTER TABLE conversions ADD COLUMN dispute_status TEXT;
ALTER TABLE conversions ADD COLUMN review_flags TEXT;
ALTER TABLE commissions ADD COLUMN held_by TEXT;
CREATE INDEX conversions_by_click ON conversions (merchant_id, click_id);
