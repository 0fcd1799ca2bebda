import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import pg from 'pg';

/**
 * Where a phase's CPU went, by part of the deployment: the bench's own process (API, worker and
 * the load it generates), the Temporal server, and the Postgres backends serving Sellflow's
 * database and (full server) Temporal's. CPU time, unlike wall time, says what a part costs per
 * order whatever else shares the cores, so it shows which ratio to the bare workflow is reachable.
 */
export type CpuPart = 'sellflow' | 'temporal' | 'postgres_sellflow' | 'postgres_temporal';
export type CpuSnapshot = Map<string, number>;

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** A process's user + system CPU so far, in ms; null when it is gone or not Linux. */
function processCpuMs(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; the fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000;
  } catch {
    return null;
  }
}

export interface CpuSources {
  temporalPid: number;
  /** A connection to the machine's Postgres (the bench's DATABASE_URL); absent for embedded PGlite, which runs in the bench's process. */
  postgresUrl?: string;
  sellflowDatabase?: string;
  /** Databases whose backends are Temporal's (the full server's persistence and visibility). */
  temporalDatabases: string[];
}

export async function cpuSnapshot(sources: CpuSources): Promise<CpuSnapshot> {
  const snapshot: CpuSnapshot = new Map();
  const own = process.cpuUsage();
  snapshot.set('sellflow', (own.user + own.system) / 1000);
  snapshot.set(`temporal:${sources.temporalPid}`, processCpuMs(sources.temporalPid) ?? 0);
  if (sources.postgresUrl) {
    const admin = new pg.Client({ connectionString: sources.postgresUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ pid: number; datname: string }>(
        'select pid, datname from pg_stat_activity where datname = any($1) and pid <> pg_backend_pid()',
        [[sources.sellflowDatabase ?? '', ...sources.temporalDatabases]],
      );
      for (const { pid, datname } of rows) {
        const part: CpuPart = datname === sources.sellflowDatabase ? 'postgres_sellflow' : 'postgres_temporal';
        const ms = processCpuMs(pid);
        if (ms !== null) snapshot.set(`${part}:${pid}`, ms);
      }
    } finally {
      await admin.end();
    }
  }
  return snapshot;
}

/**
 * CPU ms per unit of work between two snapshots, by part. A backend that connected during the
 * phase counts from zero; one that disconnected before its end is lost (the pools keep theirs).
 */
export function cpuPerUnit(before: CpuSnapshot, after: CpuSnapshot, units: number): Record<CpuPart | 'total', number> {
  const per: Record<CpuPart | 'total', number> = { sellflow: 0, temporal: 0, postgres_sellflow: 0, postgres_temporal: 0, total: 0 };
  for (const [key, ms] of after) {
    const part = key.split(':')[0] as CpuPart;
    per[part] += Math.max(0, ms - (before.get(key) ?? 0));
  }
  for (const part of Object.keys(per) as (CpuPart | 'total')[]) per[part] = Number((per[part] / units).toFixed(1));
  per.total = Number((per.sellflow + per.temporal + per.postgres_sellflow + per.postgres_temporal).toFixed(1));
  return per;
}

/** Profiles this process's main thread until stop(), then writes the profile to `file`. */
export async function profileMainThread(file: string): Promise<{ stop: () => Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      fs.writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
