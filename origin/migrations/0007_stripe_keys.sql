-- A Stripe secret or restricted key per mode beside the webhook signing secret. Both are
-- stored sealed (AES-256-GCM, "enc:v<version>:…"); an empty webhook_secret means not set.
ALTER TABLE stripe_connections ADD COLUMN api_key TEXT;
ALTER TABLE stripe_connections ADD COLUMN api_key_hint TEXT;
