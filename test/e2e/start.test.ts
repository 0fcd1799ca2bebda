import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/temporal/dev-server';
import { runCli, spawnCli, waitForOutput } from '../helpers/cli';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function exited(child: ReturnType<typeof spawnCli>): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));
}

/**
 * `sellflow start` as `npm start` runs it: Temporal dev server, embedded PGlite, worker
 * and API in one process; the CLI alongside it; Ctrl-C leaves nothing behind; state
 * survives a restart.
 */
describe('sellflow start (all-in-one, embedded defaults)', () => {
  // Two full boots (each may take up to 90 s on a loaded machine) in one test.
  jest.setTimeout(240_000);
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sellflow-start-'));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  async function boot() {
    const env = {
      SELLFLOW_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      TEMPORAL_CLI_PATH: process.env.SELLFLOW_TEST_TEMPORAL_CLI,
      DATABASE_URL: undefined,
      TEMPORAL_ADDRESS: undefined,
    };
    const child = spawnCli(['start'], env);
    const output = await waitForOutput(child, /Ctrl-C stops everything/, 90_000);
    const api = `http://127.0.0.1:${env.PORT}`;
    const temporalPid = Number(fs.readFileSync(path.join(dataDir, 'temporal.sqlite.pid'), 'utf8'));
    return { child, output, api, env, temporalPid };
  }

  it('starts everything, serves the CLI alongside, stops cleanly on SIGINT and keeps its state', async () => {
    const first = await boot();
    expect(first.output).toContain(`API          ${first.api}`);
    expect(first.output).toMatch(/Temporal UI {2}http:\/\/127\.0\.0\.1:\d+/);
    expect(alive(first.temporalPid)).toBe(true);

    const health = await fetch(`${first.api}/health`);
    expect(health.status).toBe(200);

    // The CLI reaches the running process's embedded database.
    const created = await runCli(['stores', 'create', '--slug', 'demo', '--json'], first.env);
    expect(created.code).toBe(0);
    const { keys } = JSON.parse(created.stdout);

    const ping = await fetch(`${first.api}/api/v2/ops/ping`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${keys.live}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'e2e' }),
    });
    expect(ping.status).toBe(200);
    expect(((await ping.json()) as { data: unknown }).data).toMatchObject({ pong: true, message: 'e2e' });

    first.child.kill('SIGINT');
    expect(await exited(first.child)).toBe(0);
    expect(alive(first.temporalPid)).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'pglite.lock'))).toBe(false);

    // Restart on the same data directory: the store and its key are still there.
    const second = await boot();
    try {
      const res = await fetch(`${second.api}/api/v2/api-keys`, { headers: { Authorization: `Bearer ${keys.live}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { meta: { total: number } }).meta.total).toBe(2);
    } finally {
      second.child.kill('SIGINT');
      expect(await exited(second.child)).toBe(0);
    }
    expect(alive(second.temporalPid)).toBe(false);
  });
});
