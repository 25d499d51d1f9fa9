-- Debug profiles: the powers a session's sidecar gets (see src/sessions/profiles.ts).
ALTER TABLE sessions ADD COLUMN profile TEXT NOT NULL DEFAULT 'general';
