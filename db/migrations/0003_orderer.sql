-- 0003_orderer: the orderer's 確認済み保証一覧 (org_certificates) and 受領/返戻 (acknowledgements, append-only).
-- Frozen once released: shared by the Node migrator and `wrangler d1 migrations apply`.

-- domain.md: "After one successful check the certificate stays in the organisation's list (確認済み一覧), and
-- later versions are visible there without the key." One row per (orderer organisation, certificate); the row
-- is the organisation's right to see the certificate, written only after a successful number + key check.
-- last_viewed_version is the highest event version the organisation has seen on the certificate page
-- (NULL: never opened), so "changed since you last looked" is certificates.versions > last_viewed_version.
CREATE TABLE org_certificates (
  org_code TEXT NOT NULL,
  contract_number TEXT NOT NULL REFERENCES certificates (contract_number),
  first_verified_at INTEGER NOT NULL,
  last_viewed_at INTEGER,
  last_viewed_version INTEGER CHECK (last_viewed_version IS NULL OR last_viewed_version >= 1),
  PRIMARY KEY (org_code, contract_number)
) STRICT, WITHOUT ROWID;

-- 受領 / 返戻 marks, read by the surety through GET /api/v1/acknowledgements?since=<id>. The id is the cursor:
-- AUTOINCREMENT never reuses an id, and SQLite's single writer commits ids in order, so a reader that has seen
-- id N never later finds a new row below N.
-- surety_id is copied from certificates at insert time (and checked by a trigger) so the surety's cursor read
-- is one range scan of acknowledgements_by_surety instead of a join over every orderer's marks.
CREATE TABLE acknowledgements (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  contract_number TEXT NOT NULL REFERENCES certificates (contract_number),
  surety_id INTEGER NOT NULL REFERENCES organisations (id),
  org_code TEXT NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users (id),
  kind TEXT NOT NULL CHECK (kind IN ('received', 'returned')),
  -- domain.md: "returned with a reason (返戻)"; 受領 carries none.
  reason TEXT CHECK (
    (kind = 'returned' AND reason IS NOT NULL AND length(reason) BETWEEN 1 AND 500)
    OR (kind = 'received' AND reason IS NULL)
  ),
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX acknowledgements_by_surety ON acknowledgements (surety_id, id);
CREATE INDEX acknowledgements_by_certificate ON acknowledgements (contract_number, org_code, id);
CREATE TRIGGER acknowledgements_surety_matches BEFORE INSERT ON acknowledgements
WHEN NEW.surety_id IS NOT (SELECT surety_id FROM certificates WHERE contract_number = NEW.contract_number)
BEGIN SELECT RAISE(ABORT, 'acknowledgements.surety_id must be the certificate''s surety'); END;
CREATE TRIGGER acknowledgements_no_update BEFORE UPDATE ON acknowledgements
BEGIN SELECT RAISE(ABORT, 'acknowledgements is append-only'); END;
CREATE TRIGGER acknowledgements_no_delete BEFORE DELETE ON acknowledgements
BEGIN SELECT RAISE(ABORT, 'acknowledgements is append-only'); END;
