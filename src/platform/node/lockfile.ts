// Data-directory lock: a pid file taken by `densho serve` / `densho demo` (and briefly by commands that write the
// logs or replace the database) so that `restore` and `migrate` refuse while a server runs. CLI log writers go
// ahead beside a server (appends from two processes are safe: TrustLog) but not beside `restore`/`migrate`.
// Trusts the pid in the file only as far as "is that process alive": a lock of a dead pid is stale and taken over.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'densho.lock';

export interface LockInfo {
  pid: number;
  /** What holds it: "serve", "demo", "restore", "org add" … */
  purpose: string;
  host: string;
  startedAt: string;
  /** Random per acquisition, so release() never removes a lock someone else took over. */
  token: string;
}

export class LockHeldError extends Error {
  override name = 'LockHeldError';
  constructor(
    readonly holder: LockInfo,
    readonly path: string,
  ) {
    super(
      `the data directory is in use by \`densho ${holder.purpose}\` (pid ${holder.pid}, since ${holder.startedAt}) — ` +
        `stop that process first (or, if it is gone, delete ${path})`,
    );
  }
}

export interface HeldLock {
  info: LockInfo;
  path: string;
  /** Remove the lock file if it is still ours. Idempotent; also runs at process exit. */
  release(): void;
}

export function lockPath(dataDir: string): string {
  return join(dataDir, LOCK_FILE);
}

/** True if a process with this pid exists (EPERM means it exists but belongs to another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseLock(text: string): LockInfo | null {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid !== 'number' || !Number.isSafeInteger(v.pid) || v.pid <= 0) return null;
    return {
      pid: v.pid,
      purpose: typeof v.purpose === 'string' ? v.purpose : 'unknown',
      host: typeof v.host === 'string' ? v.host : '',
      startedAt: typeof v.startedAt === 'string' ? v.startedAt : '',
      token: typeof v.token === 'string' ? v.token : '',
    };
  } catch {
    return null;
  }
}

function readRaw(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * The live holder of the lock, or null when the directory is free (no lock file, or a stale one).
 * A lock written on another host (a shared filesystem) is treated as live: we cannot check its pid.
 */
export function readLock(dataDir: string): LockInfo | null {
  const raw = readRaw(lockPath(dataDir));
  if (raw === null) return null;
  const info = parseLock(raw);
  if (!info) return null;
  if (info.host !== '' && info.host !== hostname()) return info;
  return isAlive(info.pid) ? info : null;
}

/**
 * Take the lock or throw LockHeldError. The file is written complete under a temporary name and then
 * hard-linked into place: link() fails atomically if the lock exists, so no reader ever sees a half-written
 * lock and two processes can never both succeed.
 */
export function acquireLock(dataDir: string, purpose: string): HeldLock {
  mkdirSync(dataDir, { recursive: true });
  const path = lockPath(dataDir);
  const info: LockInfo = {
    pid: process.pid,
    purpose,
    host: hostname(),
    startedAt: new Date().toISOString(),
    token: randomBytes(9).toString('base64url'),
  };
  const text = `${JSON.stringify(info)}\n`;
  const tmp = `${path}.${process.pid}.${info.token}`;
  writeFileSync(tmp, text, { mode: 0o644 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
      }
      const raw = readRaw(path);
      if (raw === null) continue; // released between our link and our read: try again
      const holder = parseLock(raw);
      const live =
        holder !== null && ((holder.host !== '' && holder.host !== hostname()) || isAlive(holder.pid));
      if (live) throw new LockHeldError(holder, path);
      // Stale (dead pid, or unreadable): take it over — but only if it is still the file we judged.
      if (readRaw(path) === raw) unlinkSync(path);
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }

  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    const raw = readRaw(path);
    if (raw !== null && parseLock(raw)?.token === info.token) {
      try {
        unlinkSync(path);
      } catch {
        // someone removed it by hand; nothing left to release
      }
    }
  };
  // A crash or process.exit() still removes the lock; a SIGKILL leaves a stale lock, which the next taker reclaims.
  process.on('exit', release);
  return { info, path, release };
}
