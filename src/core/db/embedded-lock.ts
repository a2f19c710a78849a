import { closeSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { ServiceUnavailableError } from '../errors.js';

/**
 * One process at a time owns the embedded data directory: PGlite is PostgreSQL in this
 * process's memory, and a second instance on the same files would corrupt them. The lock file
 * names its holder so the error can say who it is.
 */
export interface LockHolder {
  pid: number;
  hostname: string;
  command: string;
  started_at: string;
  /** Kernel start time of the holder (Linux), so a reused pid is not mistaken for the holder. */
  proc_start?: string;
}

export class EmbeddedDbLockedError extends ServiceUnavailableError {
  override readonly code: string = 'embedded_db_locked';
  constructor(
    readonly holder: LockHolder,
    readonly lockPath: string,
  ) {
    super(
      'PostgreSQL',
      `the embedded database is in use by another process (pid ${holder.pid}${holder.hostname !== hostname() ? ` on ${holder.hostname}` : ''}: ${holder.command}, since ${holder.started_at})`,
      {
        hint: 'wait for it to finish, or set JOBSPRINT_DATABASE_URL to a PostgreSQL server so several processes can share it',
      },
    );
  }
}

function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name (field 2) may hold spaces, so count after ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function isAlive(holder: LockHolder): boolean {
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  if (holder.hostname !== hostname()) return true; // cannot tell: assume it is
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (holder.proc_start) {
    const now = procStart(holder.pid);
    if (now !== undefined && now !== holder.proc_start) return false;
  }
  return true;
}

function readHolder(path: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof h?.pid === 'number' ? h : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // Unreadable or garbage: treat as a dead holder's leftover.
    return { pid: -1, hostname: hostname(), command: '(unknown)', started_at: '(unknown)' };
  }
}

/**
 * Take the lock or throw EmbeddedDbLockedError naming the live holder. A lock left by a process
 * that died (or whose pid now belongs to another process) is replaced. Returns the release.
 */
export function acquireDataDirLock(lockPath: string, command = process.argv.slice(1).join(' ')): () => void {
  mkdirSync(lockPath.replace(/\/[^/]+$/, ''), { recursive: true, mode: 0o700 });
  const me: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    command: command.replace(/\s+/g, ' ').slice(0, 200),
    started_at: new Date().toISOString(),
    proc_start: procStart(process.pid),
  };
  // Written whole to a private file, then hard-linked into place: the link is atomic and fails
  // when the lock exists, so no reader ever sees a half-written lock.
  const tmp = `${lockPath}.${process.pid}.${Date.now()}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(me) + '\n');
  } finally {
    closeSync(fd);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, lockPath);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
      }
      const holder = readHolder(lockPath);
      if (holder && holder.pid !== process.pid && isAlive(holder)) throw new EmbeddedDbLockedError(holder, lockPath);
      if (holder?.pid === process.pid) throw new EmbeddedDbLockedError(holder, lockPath);
      try {
        unlinkSync(lockPath);
      } catch {
        // Someone else removed it first; retry the link.
      }
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    const holder = readHolder(lockPath);
    if (holder?.pid === process.pid) {
      try {
        unlinkSync(lockPath);
      } catch {
        // already gone
      }
    }
  };
  // A crash or process.exit() still frees the directory; SIGKILL leaves a lock that the next
  // process recognises as stale.
  process.on('exit', release);
  return release;
}

export function readLockHolder(lockPath: string): LockHolder | null {
  const h = readHolder(lockPath);
  return h && isAlive(h) ? h : null;
}
