-- 0001_init: organisations, surety keys, users, certificates and the two Merkle logs (certs, access).
-- Frozen once released: shared by the Node migrator and `wrangler d1 migrations apply`.
-- Log tables are append-only twice over: the code never updates them, and triggers abort if anything tries.

CREATE TABLE organisations (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('orderer', 'surety', 'platform')),
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  accepts_esurety INTEGER NOT NULL DEFAULT 0 CHECK (accepts_esurety IN (0, 1)),
  accepts_since TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (kind, code)
) STRICT;

CREATE TABLE surety_keys (
  kid TEXT PRIMARY KEY,
  surety_id INTEGER NOT NULL REFERENCES organisations (id),
  public_jwk TEXT NOT NULL,
  alg TEXT NOT NULL CHECK (alg IN ('EdDSA', 'ES256')),
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;
CREATE INDEX surety_keys_by_surety ON surety_keys (surety_id);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES organisations (id),
  login TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('clerk', 'auditor', 'admin')),
  display_name TEXT,
  created_at INTEGER NOT NULL,
  disabled_at INTEGER
) STRICT;

-- One row per log; the origin is fixed when the log is created (it is inside every checkpoint).
CREATE TABLE logs (
  name TEXT PRIMARY KEY CHECK (name IN ('certs', 'access')),
  origin TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE log_entries (
  log TEXT NOT NULL REFERENCES logs (name),
  idx INTEGER NOT NULL CHECK (idx >= 0),
  leaf BLOB NOT NULL,
  PRIMARY KEY (log, idx)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER log_entries_no_update BEFORE UPDATE ON log_entries
BEGIN SELECT RAISE(ABORT, 'log_entries is append-only'); END;
CREATE TRIGGER log_entries_no_delete BEFORE DELETE ON log_entries
BEGIN SELECT RAISE(ABORT, 'log_entries is append-only'); END;

-- C2SP hash tiles (height 8). A partial tile is rewritten as it grows; it may only grow, keeping its prefix.
CREATE TABLE log_tiles (
  log TEXT NOT NULL REFERENCES logs (name),
  level INTEGER NOT NULL CHECK (level >= 0),
  idx INTEGER NOT NULL CHECK (idx >= 0),
  hashes BLOB NOT NULL CHECK (length(hashes) % 32 = 0 AND length(hashes) BETWEEN 32 AND 8192),
  PRIMARY KEY (log, level, idx)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER log_tiles_only_grow BEFORE UPDATE ON log_tiles
WHEN NEW.log IS NOT OLD.log OR NEW.level IS NOT OLD.level OR NEW.idx IS NOT OLD.idx
  OR length(NEW.hashes) < length(OLD.hashes)
  OR substr(NEW.hashes, 1, length(OLD.hashes)) IS NOT OLD.hashes
BEGIN SELECT RAISE(ABORT, 'log_tiles may only grow'); END;
CREATE TRIGGER log_tiles_no_delete BEFORE DELETE ON log_tiles
BEGIN SELECT RAISE(ABORT, 'log_tiles is append-only'); END;

CREATE TABLE log_checkpoints (
  log TEXT NOT NULL REFERENCES logs (name),
  size INTEGER NOT NULL CHECK (size >= 0),
  root BLOB NOT NULL CHECK (length(root) = 32),
  note TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (log, size)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'log_checkpoints is append-only'); END;
CREATE TRIGGER log_checkpoints_no_delete BEFORE DELETE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'log_checkpoints is append-only'); END;

-- The certificate as it stands now (a projection kept for lookups and lists; the events are the truth).
CREATE TABLE certificates (
  contract_number TEXT PRIMARY KEY,
  surety_id INTEGER NOT NULL REFERENCES organisations (id),
  orderer_code TEXT NOT NULL,
  product TEXT NOT NULL,
  auth_key_digest BLOB NOT NULL CHECK (length(auth_key_digest) = 32),
  status TEXT NOT NULL CHECK (status IN ('active', 'terminated')),
  versions INTEGER NOT NULL CHECK (versions >= 1),
  work_name TEXT NOT NULL,
  contractor_name TEXT NOT NULL,
  first_issued_at INTEGER NOT NULL,
  last_issued_at INTEGER NOT NULL
) STRICT;
CREATE INDEX certificates_by_orderer ON certificates (orderer_code, last_issued_at);

CREATE TABLE certificate_events (
  log_index INTEGER PRIMARY KEY,
  contract_number TEXT NOT NULL REFERENCES certificates (contract_number),
  version INTEGER NOT NULL CHECK (version >= 1),
  event TEXT NOT NULL CHECK (event IN ('issue', 'change', 'correction', 'change_cancel', 'termination')),
  target_version INTEGER,
  surety_id INTEGER NOT NULL REFERENCES organisations (id),
  event_id TEXT NOT NULL,
  kid TEXT NOT NULL,
  jws TEXT NOT NULL,
  submission BLOB NOT NULL CHECK (length(submission) = 32),
  payload TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  tree_size INTEGER NOT NULL,
  receipt TEXT NOT NULL,
  UNIQUE (surety_id, event_id),
  UNIQUE (contract_number, version)
) STRICT;
CREATE TRIGGER certificate_events_no_update BEFORE UPDATE ON certificate_events
BEGIN SELECT RAISE(ABORT, 'certificate_events is append-only'); END;
CREATE TRIGGER certificate_events_no_delete BEFORE DELETE ON certificate_events
BEGIN SELECT RAISE(ABORT, 'certificate_events is append-only'); END;

-- Access events: the leaf fields plus what only the domain table keeps (clear IP/UA under retention).
CREATE TABLE access_events (
  log_index INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL,
  actor TEXT,
  org_code TEXT,
  target TEXT,
  net TEXT NOT NULL,
  ip TEXT,
  user_agent TEXT,
  request_id TEXT,
  detail TEXT
) STRICT;
CREATE INDEX access_events_by_at ON access_events (at);
CREATE TRIGGER access_events_no_delete BEFORE DELETE ON access_events
BEGIN SELECT RAISE(ABORT, 'access_events is append-only'); END;
-- Only the retention job may clear ip/user_agent; every leaf field stays as written.
CREATE TRIGGER access_events_leaf_fields_frozen BEFORE UPDATE ON access_events
WHEN NEW.log_index IS NOT OLD.log_index OR NEW.at IS NOT OLD.at OR NEW.action IS NOT OLD.action
  OR NEW.outcome IS NOT OLD.outcome OR NEW.actor IS NOT OLD.actor OR NEW.target IS NOT OLD.target
  OR NEW.net IS NOT OLD.net OR NEW.org_code IS NOT OLD.org_code OR NEW.request_id IS NOT OLD.request_id
  OR NEW.detail IS NOT OLD.detail
  OR (NEW.ip IS NOT NULL AND NEW.ip IS NOT OLD.ip)
  OR (NEW.user_agent IS NOT NULL AND NEW.user_agent IS NOT OLD.user_agent)
BEGIN SELECT RAISE(ABORT, 'access_events: only ip and user_agent may be cleared'); END;

-- Bearer JWT ids already used by sureties (replay protection until they expire).
CREATE TABLE api_jti (
  jti TEXT PRIMARY KEY,
  exp INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
