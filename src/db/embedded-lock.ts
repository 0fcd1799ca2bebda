import fs from 'node:fs';
import path from 'node:path';

/**
 * One process owns an embedded (PGlite) data directory and serves it over the Postgres
 * wire protocol; every other process connects through that. The lock file says who the
 * owner is and where it listens, so there are never two writers on one directory.
 */
export interface EmbeddedOwner {
  pid: number;
  port: number | null;
}

export function lockPath(dataDir: string): string {
  return path.join(dataDir, 'pglite.lock');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readOwner(dataDir: string): EmbeddedOwner | null {
  try {
    const owner = JSON.parse(fs.readFileSync(lockPath(dataDir), 'utf8')) as EmbeddedOwner;
    return typeof owner.pid === 'number' ? owner : null;
  } catch {
    return null;
  }
}

/** Takes the lock, or returns the live owner. A lock left by a dead process is cleared. */
export function acquireOrFindOwner(dataDir: string): { acquired: true } | { acquired: false; owner: EmbeddedOwner } {
  fs.mkdirSync(dataDir, { recursive: true });
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      const fd = fs.openSync(lockPath(dataDir), 'wx');
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, port: null } satisfies EmbeddedOwner));
      fs.closeSync(fd);
      return { acquired: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(dataDir);
    if (owner && owner.pid !== process.pid && isAlive(owner.pid)) return { acquired: false, owner };
    fs.rmSync(lockPath(dataDir), { force: true });
  }
  throw new Error(`Could not lock the embedded database in ${dataDir}`);
}

export function publishPort(dataDir: string, port: number): void {
  const next = lockPath(dataDir) + '.tmp';
  fs.writeFileSync(next, JSON.stringify({ pid: process.pid, port } satisfies EmbeddedOwner));
  fs.renameSync(next, lockPath(dataDir));
}

export function releaseLock(dataDir: string): void {
  const owner = readOwner(dataDir);
  if (owner?.pid === process.pid) fs.rmSync(lockPath(dataDir), { force: true });
}

export async function waitForOwnerPort(dataDir: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const owner = readOwner(dataDir);
    if (!owner || !isAlive(owner.pid)) throw new Error('The process that owned the embedded database exited');
    if (owner.port) return owner.port;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out waiting for the embedded database in ${dataDir}`);
}
