-- 0002_sessions: web sign-in sessions (Copenhagen Book / Lucia) and DB-backed throttles for login and 保証確認.
-- Frozen once released: shared by the Node migrator and `wrangler d1 migrations apply`.

-- One row per signed-in browser. The cookie carries `id.secret`; only SHA-256(secret) is stored, so a leaked
-- database (or backup) cannot be turned into a working cookie. Rows are deleted on logout, on expiry (30 min
-- idle, 12 h absolute — enforced by the code that reads them) and for every session of a user whose password,
-- role or status changes.
CREATE TABLE sessions (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 20 AND 64),
  secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
  user_id INTEGER NOT NULL REFERENCES users (id),
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL CHECK (last_seen_at >= created_at),
  ip TEXT,
  user_agent TEXT
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);

-- Failure counters with lockout, keyed like `login:user:<login>`, `login:ip:<ip>`, `verify:contract:<no>`.
-- In the database (not in memory) so every process — and every Workers isolate on D1 — sees the same count.
-- locked_until = 0 means "not locked"; times are epoch milliseconds.
CREATE TABLE throttles (
  key TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 300),
  failures INTEGER NOT NULL CHECK (failures >= 0),
  window_start INTEGER NOT NULL,
  locked_until INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;
