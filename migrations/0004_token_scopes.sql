-- Token scopes (space-separated) and optional expiry. Tokens made before scopes existed keep
-- everything but admin.
ALTER TABLE tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'sessions:read sessions:write exec audit:read';
ALTER TABLE tokens ADD COLUMN expires_at TEXT;
