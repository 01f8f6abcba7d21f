-- Clicks carry the edge's visitor hash and device class; a repeat (same visitor and code
-- within the de-duplication window) is kept, pointing at the click it repeats, so a sale that
-- names it still finds its evidence but click counts stay honest. Leads hold only an HMAC of
-- the visitor's email hash. Merchants may set a retention period for both.
ALTER TABLE clicks ADD COLUMN visitor TEXT;
ALTER TABLE clicks ADD COLUMN device TEXT;
ALTER TABLE clicks ADD COLUMN duplicate_of TEXT;

CREATE INDEX clicks_by_merchant ON clicks (merchant_id, received_at, click_id);
CREATE INDEX clicks_by_affiliate ON clicks (merchant_id, affiliate_id, received_at, click_id);
CREATE INDEX clicks_by_visitor ON clicks (merchant_id, visitor, code, received_at);

CREATE TABLE leads (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    site_id TEXT NOT NULL REFERENCES sites(id),
    click_id TEXT NOT NULL,
    email_hmac TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (merchant_id, email_hmac, click_id)
);

CREATE INDEX leads_by_merchant ON leads (merchant_id, received_at, id);
CREATE INDEX leads_by_click ON leads (merchant_id, click_id);

ALTER TABLE merchants ADD COLUMN retention_days BIGINT;
