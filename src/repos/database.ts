// The Kysely Database interface: one table type per migration table. Append-only columns are
// typed ColumnType<T, T, never> so the compiler refuses an UPDATE of them (the triggers refuse it again).
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Frozen<T> = ColumnType<T, T, never>;

export interface OrganisationsTable {
  id: Generated<number>;
  kind: 'orderer' | 'surety' | 'platform';
  code: string;
  name: string;
  accepts_esurety: number;
  accepts_since: string | null;
  created_at: number;
}

export interface SuretyKeysTable {
  kid: string;
  surety_id: number;
  public_jwk: string;
  alg: 'EdDSA' | 'ES256';
  created_at: number;
  revoked_at: number | null;
}

export interface UsersTable {
  id: Generated<number>;
  org_id: number;
  login: string;
  password_hash: string;
  role: 'clerk' | 'auditor' | 'admin';
  display_name: string | null;
  created_at: number;
  disabled_at: number | null;
}

export type LogName = 'certs' | 'access';

export interface LogsTable {
  name: Frozen<LogName>;
  origin: Frozen<string>;
  created_at: Frozen<number>;
}

export interface LogEntriesTable {
  log: Frozen<LogName>;
  idx: Frozen<number>;
  leaf: Frozen<Uint8Array>;
}

export interface LogTilesTable {
  log: LogName;
  level: number;
  idx: number;
  hashes: Uint8Array;
}

export interface LogCheckpointsTable {
  log: Frozen<LogName>;
  size: Frozen<number>;
  root: Frozen<Uint8Array>;
  note: Frozen<string>;
  created_at: Frozen<number>;
}

export interface CertificatesTable {
  contract_number: string;
  surety_id: number;
  orderer_code: string;
  product: string;
  auth_key_digest: Uint8Array;
  status: 'active' | 'terminated';
  versions: number;
  work_name: string;
  contractor_name: string;
  first_issued_at: number;
  last_issued_at: number;
}

export interface CertificateEventsTable {
  log_index: Frozen<number>;
  contract_number: Frozen<string>;
  version: Frozen<number>;
  event: Frozen<'issue' | 'change' | 'correction' | 'change_cancel' | 'termination'>;
  target_version: Frozen<number | null>;
  surety_id: Frozen<number>;
  event_id: Frozen<string>;
  kid: Frozen<string>;
  jws: Frozen<string>;
  submission: Frozen<Uint8Array>;
  payload: Frozen<string>;
  issued_at: Frozen<number>;
  tree_size: Frozen<number>;
  receipt: Frozen<string>;
}

export interface AccessEventsTable {
  log_index: Frozen<number>;
  at: Frozen<number>;
  action: Frozen<string>;
  outcome: Frozen<string>;
  actor: Frozen<string | null>;
  org_code: Frozen<string | null>;
  target: Frozen<string | null>;
  net: Frozen<string>;
  /** Clear IP and user agent: only the retention job may set them to NULL. */
  ip: ColumnType<string | null, string | null, null>;
  user_agent: ColumnType<string | null, string | null, null>;
  request_id: Frozen<string | null>;
  detail: Frozen<string | null>;
}

/**
 * Which organisations' auditors may see an access event (0004_audit): the acting user's organisation and the
 * orderer of the certificate it is about. Written by a trigger with the event; derived, append-only.
 */
export interface AccessScopesTable {
  org_code: Frozen<string>;
  log_index: Frozen<number>;
}

export interface ApiJtiTable {
  jti: string;
  exp: number;
}

/** 確認済み保証一覧: an orderer organisation's right to see a certificate (0003_orderer). */
export interface OrgCertificatesTable {
  org_code: Frozen<string>;
  contract_number: Frozen<string>;
  first_verified_at: Frozen<number>;
  last_viewed_at: number | null;
  last_viewed_version: number | null;
}

/** 受領/返戻 marks: append-only, `id` is the surety's read cursor (0003_orderer). */
export interface AcknowledgementsTable {
  id: Generated<number>;
  contract_number: Frozen<string>;
  surety_id: Frozen<number>;
  org_code: Frozen<string>;
  user_id: Frozen<number>;
  kind: Frozen<'received' | 'returned'>;
  reason: Frozen<string | null>;
  at: Frozen<number>;
}

/** Web sign-in sessions (0002_sessions): only SHA-256 of the cookie secret is stored. */
export interface SessionsTable {
  id: Frozen<string>;
  secret_hash: Frozen<Uint8Array>;
  user_id: Frozen<number>;
  created_at: Frozen<number>;
  last_seen_at: number;
  ip: string | null;
  user_agent: string | null;
}

/** Failure counters with lockout for login and 保証確認 (0002_sessions). */
export interface ThrottlesTable {
  key: string;
  failures: number;
  window_start: number;
  locked_until: number;
}

/** Per-day access event counts by scope and outcome, kept by triggers (0005_audit_daily). org_code '*' = all. */
export interface AccessDailyTable {
  org_code: string;
  /** JST day number: floor((at + 9 h) / 1 day). */
  day: number;
  outcome: string;
  n: number;
}

export interface Database {
  organisations: OrganisationsTable;
  surety_keys: SuretyKeysTable;
  users: UsersTable;
  logs: LogsTable;
  log_entries: LogEntriesTable;
  log_tiles: LogTilesTable;
  log_checkpoints: LogCheckpointsTable;
  certificates: CertificatesTable;
  certificate_events: CertificateEventsTable;
  access_events: AccessEventsTable;
  access_scopes: AccessScopesTable;
  access_daily: AccessDailyTable;
  api_jti: ApiJtiTable;
  sessions: SessionsTable;
  throttles: ThrottlesTable;
  org_certificates: OrgCertificatesTable;
  acknowledgements: AcknowledgementsTable;
}

export type OrganisationRow = Selectable<OrganisationsTable>;
export type SuretyKeyRow = Selectable<SuretyKeysTable>;
export type UserRow = Selectable<UsersTable>;
export type CertificateRow = Selectable<CertificatesTable>;
export type CertificateEventRow = Selectable<CertificateEventsTable>;
export type NewCertificateEvent = Insertable<CertificateEventsTable>;
export type AccessEventRow = Selectable<AccessEventsTable>;
export type OrgCertificateRow = Selectable<OrgCertificatesTable>;
export type AcknowledgementRow = Selectable<AcknowledgementsTable>;
export type SessionRow = Selectable<SessionsTable>;
export type ThrottleRow = Selectable<ThrottlesTable>;
