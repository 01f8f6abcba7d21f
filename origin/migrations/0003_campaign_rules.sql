-- A campaign's full commission rules. Currency maps are JSON text ({"usd": 500}), minor units.
ALTER TABLE campaigns ADD COLUMN commission_type TEXT NOT NULL DEFAULT 'percent';
ALTER TABLE campaigns ADD COLUMN flat_amounts TEXT NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN duration TEXT NOT NULL DEFAULT 'lifetime';
ALTER TABLE campaigns ADD COLUMN duration_months BIGINT;
ALTER TABLE campaigns ADD COLUMN cookie_window_days BIGINT NOT NULL DEFAULT 60;
ALTER TABLE campaigns ADD COLUMN attribution_model TEXT NOT NULL DEFAULT 'last_click';
ALTER TABLE campaigns ADD COLUMN approval TEXT NOT NULL DEFAULT 'manual';
ALTER TABLE campaigns ADD COLUMN hold_days BIGINT;
ALTER TABLE campaigns ADD COLUMN skip_zero_revenue BIGINT NOT NULL DEFAULT 1;
ALTER TABLE campaigns ADD COLUMN min_payouts TEXT NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

CREATE INDEX campaigns_by_merchant ON campaigns (merchant_id, created_at, id);
