-- 0004_audit: what the auditor console (/audit) needs to stay fast at 10M access events, and nothing else.
-- Frozen once released: shared by the Node migrator and `wrangler d1 migrations apply`.
--
-- Every list is keyset-paged newest first (WHERE log_index < :cursor ORDER BY log_index DESC LIMIT 50). An index on
-- (column, log_index) serves "column = ? AND log_index < ?" already in log_index order, so a filtered page is one
-- index range walk — no full scan, no temporary B-tree sort. (log_index is the rowid, so these are the same b-trees
-- an index on the column alone would be; it is named for the reader.) A period filter needs no index of its own:
-- `at` never decreases along the log, so the existing access_events_by_at turns a JST date range into a log_index
-- range with two probes.
CREATE INDEX access_events_by_org ON access_events (org_code, log_index);
CREATE INDEX access_events_by_target ON access_events (target, log_index);
CREATE INDEX access_events_by_actor ON access_events (actor, log_index);
CREATE INDEX access_events_by_action ON access_events (action, log_index);
CREATE INDEX access_events_by_outcome ON access_events (outcome, log_index);
CREATE INDEX access_events_by_ip ON access_events (ip, log_index);

-- Which organisations' auditors may see an access event: the organisation of the user who acted (org_code) and
-- the orderer of the certificate the event is about (certificates.orderer_code of target). Kept as rows so an
-- organisation's auditor pages through "own users OR own certificates" as ONE ordered index range — the OR written
-- against access_events would need a temporary B-tree sort over every matching event at each page.
-- Derived data (a trigger writes it with the event, in the same transaction); the access log stays the evidence.
CREATE TABLE access_scopes (
  org_code TEXT NOT NULL,
  log_index INTEGER NOT NULL REFERENCES access_events (log_index),
  PRIMARY KEY (org_code, log_index)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER access_events_scope AFTER INSERT ON access_events
BEGIN
  INSERT OR IGNORE INTO access_scopes (org_code, log_index)
    SELECT NEW.org_code, NEW.log_index WHERE NEW.org_code IS NOT NULL;
  INSERT OR IGNORE INTO access_scopes (org_code, log_index)
    SELECT orderer_code, NEW.log_index FROM certificates WHERE contract_number = NEW.target;
END;
CREATE TRIGGER access_scopes_no_update BEFORE UPDATE ON access_scopes
BEGIN SELECT RAISE(ABORT, 'access_scopes is append-only'); END;
CREATE TRIGGER access_scopes_no_delete BEFORE DELETE ON access_scopes
BEGIN SELECT RAISE(ABORT, 'access_scopes is append-only'); END;

-- Events recorded before this migration.
INSERT OR IGNORE INTO access_scopes (org_code, log_index)
  SELECT org_code, log_index FROM access_events WHERE org_code IS NOT NULL;
INSERT OR IGNORE INTO access_scopes (org_code, log_index)
  SELECT c.orderer_code, e.log_index FROM access_events e JOIN certificates c ON c.contract_number = e.target;
