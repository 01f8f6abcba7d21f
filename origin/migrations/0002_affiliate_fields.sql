-- Affiliate contact and payout details, a per-affiliate rate override, and the keyset
-- indexes the merchant API pages by (newest first, id as tie-break).
ALTER TABLE affiliates ADD COLUMN email TEXT;
ALTER TABLE affiliates ADD COLUMN payout_email TEXT;
ALTER TABLE affiliates ADD COLUMN commission_bps_override BIGINT;
ALTER TABLE affiliates ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

CREATE INDEX affiliates_by_merchant ON affiliates (merchant_id, created_at, id);
DROP INDEX conversions_by_merchant;
CREATE INDEX conversions_by_merchant ON conversions (merchant_id, livemode, created_at, id);
CREATE INDEX conversions_by_affiliate ON conversions (merchant_id, livemode, affiliate_id, created_at, id);
