import fs from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../config';
import type { Database, Db } from './schema';
import { acquireOrFindOwner, publishPort, releaseLock, waitForOwnerPort } from './embedded-lock';
import { LivemodeScopePlugin } from './livemode-scope';

// int8 (bigint) counts come back as strings by default; our counts fit in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface DatabaseHandle {
  db: Db;
  /** Where the data lives, for people: never contains a password. */
  description: string;
  kind: 'postgres' | 'embedded';
  /** The connection pool under `db`, for libraries that speak pg themselves (shared rate limits). */
  pool: pg.Pool;
  ping(): Promise<void>;
  close(): Promise<void>;
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres';
  }
}

function fromPool(pool: pg.Pool, description: string, kind: DatabaseHandle['kind'], onClose?: () => Promise<void>): DatabaseHandle {
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new LivemodeScopePlugin()] });
  return {
    db,
    description,
    kind,
    pool,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
      await onClose?.();
    },
  };
}

export async function openPostgres(url: string, poolSize: number): Promise<DatabaseHandle> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
  return fromPool(pool, redactUrl(url), 'postgres');
}

/**
 * Embedded PGlite under `dir`. The first process to open it owns it and serves it on a
 * loopback port; all access, the owner's included, goes through that socket.
 * Each process uses ONE connection: PGlite is a single session, and the socket's
 * multiplexer interleaves extended-protocol messages of concurrent connections (one
 * connection's Parse can replace another's unnamed statement). One connection per process
 * serialises queries and transactions correctly; Postgres is the choice for concurrency.
 */
export async function openEmbedded(dir: string, options: { own?: boolean } = {}): Promise<DatabaseHandle> {
  const lockDir = path.dirname(dir);
  let claim = acquireOrFindOwner(lockDir);
  // A long-lived owner (npm start) waits for a short-lived one (a CLI call) to finish
  // instead of depending on it.
  for (let waited = 0; options.own && !claim.acquired; waited += 200) {
    if (waited > 60_000) throw new Error(`The embedded database in ${lockDir} is held by pid ${claim.owner.pid}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    claim = acquireOrFindOwner(lockDir);
  }
  if (!claim.acquired) {
    const port = await waitForOwnerPort(lockDir);
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max: 1 });
    return fromPool(pool, `embedded PGlite ${dir} (served by pid ${claim.owner.pid} on 127.0.0.1:${port})`, 'embedded');
  }
  let pglite: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    fs.mkdirSync(dir, { recursive: true });
    // Loaded only here: a process on Postgres never pays for the embedded engine at start.
    const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')]);
    pglite = await PGlite.create(dir);
    server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: 16 });
    await server.start();
    const port = Number(server.getServerConn().split(':').pop());
    publishPort(lockDir, port);
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max: 1 });
    const ownedServer = server;
    const ownedDb = pglite;
    return fromPool(pool, `embedded PGlite ${dir} (serving on 127.0.0.1:${port})`, 'embedded', async () => {
      await ownedServer.stop();
      await ownedDb.close();
      releaseLock(lockDir);
    });
  } catch (error) {
    await server?.stop().catch(() => undefined);
    await pglite?.close().catch(() => undefined);
    releaseLock(lockDir);
    throw error;
  }
}

/** `own`: this process must serve the embedded database itself (the all-in-one process). */
export function openDatabase(config: Config, options: { own?: boolean } = {}): Promise<DatabaseHandle> {
  return config.database.url
    ? openPostgres(config.database.url, config.database.poolSize)
    : openEmbedded(config.database.embeddedDir, options);
}

/** The database answers a query (the health check's probe). */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
