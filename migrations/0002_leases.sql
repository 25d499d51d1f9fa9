-- Leases: a session's lease (expires_at) can be extended up to its hard lifetime, which is also
-- Podman's timeout for the sidecar.

ALTER TABLE sessions ADD COLUMN max_lifetime_seconds INTEGER;
ALTER TABLE sessions ADD COLUMN hard_expires_at TEXT;
UPDATE sessions SET max_lifetime_seconds = ttl_seconds, hard_expires_at = expires_at;

CREATE INDEX sessions_active_expiry ON sessions (expires_at) WHERE state = 'active';
