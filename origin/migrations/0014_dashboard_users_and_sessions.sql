-- The merchant dashboard's people and their sign-ins. A user belongs to one merchant with a
-- role (owner, admin, viewer); an email signs in to one account on this install. Passwords
-- are argon2id hashes (PHC strings); a session is stored as the sha256 of its cookie token, so
-- a copy of the database opens no session. Several origins behind one load balancer share them.
CREATE TABLE dashboard_users (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX dashboard_users_by_merchant ON dashboard_users (merchant_id, created_at, id);

CREATE TABLE dashboard_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES dashboard_users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX dashboard_sessions_by_user ON dashboard_sessions (user_id);
