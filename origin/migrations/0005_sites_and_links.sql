-- Sites get a name and the origins allowed to send clicks (JSON array of normalised
-- scheme://host[:port]); affiliate redirect links, slug unique per site, served by the edge.
ALTER TABLE sites ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE sites ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sites ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

CREATE INDEX sites_by_merchant ON sites (merchant_id, created_at, id);

CREATE TABLE links (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    site_id TEXT NOT NULL REFERENCES sites(id),
    affiliate_id TEXT NOT NULL REFERENCES affiliates(id),
    slug TEXT NOT NULL,
    destination_url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (site_id, slug)
);

CREATE INDEX links_by_merchant ON links (merchant_id, created_at, id);
CREATE INDEX links_by_affiliate ON links (merchant_id, affiliate_id, created_at, id);
