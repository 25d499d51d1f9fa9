-- Sessions, exec runs, API tokens and the append-only, hash-chained audit trail.

CREATE TABLE sessions (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  id             TEXT    NOT NULL UNIQUE,
  state          TEXT    NOT NULL CHECK (state IN ('creating', 'active', 'ended', 'failed')),
  target_id      TEXT    NOT NULL,
  target_name    TEXT    NOT NULL,
  target_image   TEXT    NOT NULL,
  sidecar_id     TEXT,
  sidecar_name   TEXT    NOT NULL,
  sidecar_image  TEXT    NOT NULL,
  requested_by   TEXT    NOT NULL,
  reason         TEXT,
  command        TEXT,   -- JSON array, or NULL for the keepalive
  ttl_seconds    INTEGER NOT NULL,
  created_at     TEXT    NOT NULL,
  expires_at     TEXT    NOT NULL,
  ended_at       TEXT,
  end_reason     TEXT,
  failure        TEXT
);
CREATE INDEX sessions_state ON sessions (state, seq);
CREATE INDEX sessions_target ON sessions (target_id, seq);

CREATE TABLE exec_runs (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id      TEXT    NOT NULL REFERENCES sessions (id),
  requested_by    TEXT    NOT NULL,
  argv            TEXT    NOT NULL, -- JSON array
  started_at      TEXT    NOT NULL,
  duration_ms     INTEGER NOT NULL,
  exit_code       INTEGER,          -- NULL when it timed out
  timed_out       INTEGER NOT NULL DEFAULT 0,
  stdout_bytes    INTEGER NOT NULL,
  stderr_bytes    INTEGER NOT NULL,
  stdout_sha256   TEXT    NOT NULL,
  stderr_sha256   TEXT    NOT NULL
);
CREATE INDEX exec_runs_session ON exec_runs (session_id, seq);

CREATE TABLE tokens (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  name          TEXT    NOT NULL UNIQUE,
  token_sha256  TEXT    NOT NULL UNIQUE,
  created_at    TEXT    NOT NULL,
  last_used_at  TEXT,
  revoked_at    TEXT
);

-- A hash chain makes edits detectable: hash = SHA-256(prev_hash || canonical JSON of the event),
-- prev_hash of the first event is 64 zeros. `podman-debugd audit verify` walks it.
CREATE TABLE audit_events (
  seq         INTEGER PRIMARY KEY,
  at          TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  actor       TEXT,
  session_id  TEXT,
  request_id  TEXT,
  data        TEXT    NOT NULL, -- JSON object
  prev_hash   TEXT    NOT NULL,
  hash        TEXT    NOT NULL UNIQUE
);
CREATE INDEX audit_events_session ON audit_events (session_id, seq);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;
