// Certificates and their events: all Kysely code for certificates and certificate_events.
import type { Kysely } from 'kysely';
import type { EventPayload } from '../domain/certificate.ts';
import type { StoredEvent } from '../domain/history.ts';
import type { CertificateEventRow, CertificateRow, Database } from './database.ts';
import { preparedQuery } from './prepared.ts';

/** The columns of an event the pages and the event rules need: everything but the stored JWS and receipt. */
const EVENT_HEAD_COLUMNS = [
  'log_index',
  'contract_number',
  'version',
  'event',
  'target_version',
  'surety_id',
  'event_id',
  'submission',
  'payload',
  'issued_at',
] as const;

export type EventHead = Pick<CertificateEventRow, (typeof EVENT_HEAD_COLUMNS)[number]>;

/** An event row as the domain's event rules and history projection take it. */
export function storedEvent(e: EventHead): StoredEvent {
  return {
    version: e.version,
    event: e.event,
    targetVersion: e.target_version,
    issuedAt: e.issued_at,
    logIndex: e.log_index,
    // Our own ingest wrote this JSON from the validated payload; the rules and the projection replay it.
    payload: JSON.parse(e.payload) as EventPayload,
  };
}

/** Everything the ingest batch needs to apply the event rules: the certificates and all their events. */
export async function loadCertificatesWithEvents(
  db: Kysely<Database>,
  contractNumbers: readonly string[],
): Promise<{ certificates: CertificateRow[]; events: EventHead[] }> {
  if (contractNumbers.length === 0) return { certificates: [], events: [] };
  const numbers = [...new Set(contractNumbers)];
  const certificates = await db
    .selectFrom('certificates')
    .selectAll()
    .where('contract_number', 'in', numbers)
    .execute();
  const events = await db
    .selectFrom('certificate_events')
    .select(EVENT_HEAD_COLUMNS)
    .where('contract_number', 'in', numbers)
    .orderBy('contract_number')
    .orderBy('version')
    .execute();
  return { certificates, events };
}

/** Prior submissions with these eventIds (idempotency); one indexed query per surety in the batch. */
export async function findEventsByEventIds(
  db: Kysely<Database>,
  keys: readonly { suretyId: number; eventId: string }[],
): Promise<Pick<CertificateEventRow, 'surety_id' | 'event_id' | 'submission' | 'log_index'>[]> {
  const bySurety = new Map<number, Set<string>>();
  for (const k of keys) {
    const ids = bySurety.get(k.suretyId) ?? new Set<string>();
    bySurety.set(k.suretyId, ids);
    ids.add(k.eventId);
  }
  const out: Pick<CertificateEventRow, 'surety_id' | 'event_id' | 'submission' | 'log_index'>[] = [];
  for (const [suretyId, ids] of bySurety) {
    const rows = await db
      .selectFrom('certificate_events')
      .select(['surety_id', 'event_id', 'submission', 'log_index'])
      .where('surety_id', '=', suretyId)
      .where('event_id', 'in', [...ids])
      .execute();
    out.push(...rows);
  }
  return out;
}

export function findEventByLogIndex(
  db: Kysely<Database>,
  logIndex: number,
): Promise<CertificateEventRow | undefined> {
  return db.selectFrom('certificate_events').selectAll().where('log_index', '=', logIndex).executeTakeFirst();
}

const certificateByNumber = preparedQuery((db, contractNumber: string) =>
  db.selectFrom('certificates').selectAll().where('contract_number', '=', contractNumber),
);

export async function findCertificate(
  db: Kysely<Database>,
  contractNumber: string,
): Promise<CertificateRow | undefined> {
  return (await certificateByNumber(db, contractNumber))[0];
}

/** A certificate's events without the stored JWS and receipt (the bulk of each row): what the pages show. */
const eventHeads = preparedQuery((db, contractNumber: string) =>
  db
    .selectFrom('certificate_events')
    .select(EVENT_HEAD_COLUMNS)
    .where('contract_number', '=', contractNumber)
    .orderBy('version'),
);

export function listEventHeads(db: Kysely<Database>, contractNumber: string): Promise<EventHead[]> {
  return eventHeads(db, contractNumber);
}

export function listEvents(db: Kysely<Database>, contractNumber: string): Promise<CertificateEventRow[]> {
  return db
    .selectFrom('certificate_events')
    .selectAll()
    .where('contract_number', '=', contractNumber)
    .orderBy('version')
    .execute();
}
