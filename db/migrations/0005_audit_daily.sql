-- 0005_audit_daily: per-day counts of access events for the auditor's dashboard (/audit), so a 30-day dashboard
-- reads ~30 × outcomes rows instead of counting millions of events. Frozen once released: shared by the Node
-- migrator and `wrangler d1 migrations apply` (plain SQLite, no PRAGMAs).
--
-- One row per (scope, JST day, outcome). org_code '*' counts every event (the platform's auditors); any other value
-- counts one organisation's scope (exactly the events access_scopes gives it, 0004_audit). day is the JST calendar
-- day as a day number: (at + 9 h) / 1 day, integer division (JST has no daylight saving time).
-- Derived data like access_scopes, written by triggers in the same transaction as the event itself — so a count can
-- never disagree with the events a committed batch holds. The access log stays the evidence.
CREATE TABLE access_daily (
  org_code TEXT NOT NULL,
  day INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  n INTEGER NOT NULL CHECK (n >= 0),
  PRIMARY KEY (org_code, day, outcome)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER access_events_daily AFTER INSERT ON access_events
BEGIN
  INSERT INTO access_daily (org_code, day, outcome, n)
    VALUES ('*', (NEW.at + 32400000) / 86400000, NEW.outcome, 1)
    ON CONFLICT (org_code, day, outcome) DO UPDATE SET n = n + 1;
END;

-- Fires once per scope row actually inserted (INSERT OR IGNORE skips duplicates, and their triggers with them).
CREATE TRIGGER access_scopes_daily AFTER INSERT ON access_scopes
BEGIN
  INSERT INTO access_daily (org_code, day, outcome, n)
    SELECT NEW.org_code, (e.at + 32400000) / 86400000, e.outcome, 1
    FROM access_events e WHERE e.log_index = NEW.log_index
    ON CONFLICT (org_code, day, outcome) DO UPDATE SET n = n + 1;
END;

-- Events recorded before this migration.
INSERT INTO access_daily (org_code, day, outcome, n)
  SELECT '*', (at + 32400000) / 86400000, outcome, count(*) FROM access_events GROUP BY 2, 3;
INSERT INTO access_daily (org_code, day, outcome, n)
  SELECT s.org_code, (e.at + 32400000) / 86400000, e.outcome, count(*)
  FROM access_scopes s JOIN access_events e ON e.log_index = s.log_index
  GROUP BY 1, 2, 3;
