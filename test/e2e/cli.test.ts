import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEmbedded } from '../../src/db/connect';
import { migrateToLatest } from '../../src/db/migrate';
import { hashApiKey } from '../../src/security/api-key-secret';
import { runCli } from '../helpers/cli';

/** The CLI against embedded PGlite: alone, and while another process owns the data directory. */
let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sellflow-cli-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const env = () => ({ SELLFLOW_DATA_DIR: dataDir, DATABASE_URL: undefined });

describe('sellflow stores create --json', () => {
  it('prints exactly one JSON object with the store and both keys, and stores only hashes', async () => {
    const result = await runCli(['stores', 'create', '--slug', 'demo', '--json'], env());
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const output = JSON.parse(lines[0]!);
    expect(Object.keys(output).sort()).toEqual(['keys', 'store']);
    expect(output.store).toEqual({ id: expect.any(Number), slug: 'demo' });
    expect(Object.keys(output.keys).sort()).toEqual(['live', 'test']);
    expect(output.keys.live).toMatch(/^sf_live_[A-Za-z0-9]{32}$/);
    expect(output.keys.test).toMatch(/^sf_test_[A-Za-z0-9]{32}$/);

    const again = await runCli(['stores', 'create', '--slug', 'demo', '--json'], env());
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toEqual({ error: { code: 'slug_taken', message: 'A store with slug "demo" already exists' } });

    const listed = await runCli(['keys', 'list', '--store', 'demo', '--json'], env());
    const keys = JSON.parse(listed.stdout).keys as { id: number; prefix: string; mode: string; revoked_at: string | null }[];
    expect(keys.map((k) => k.mode).sort()).toEqual(['live', 'test']);
    expect(listed.stdout).not.toContain(output.keys.live);
    expect(keys.find((k) => k.mode === 'live')!.prefix).toBe(output.keys.live.slice(0, 12));

    const testKey = keys.find((k) => k.mode === 'test')!;
    const revoked = await runCli(['keys', 'revoke', String(testKey.id), '--json'], env());
    expect(JSON.parse(revoked.stdout)).toEqual({ revoked: { id: testKey.id } });
    const relisted = JSON.parse((await runCli(['keys', 'list', '--store', 'demo', '--json'], env())).stdout).keys;
    expect(relisted.find((k: { id: number }) => k.id === testKey.id).revoked_at).not.toBeNull();

    // Straight from the data directory: the hash is there, the key is not.
    const database = await openEmbedded(path.join(dataDir, 'pglite'), { own: true });
    try {
      const rows = await database.db.selectFrom('api_keys').select('key_hash').execute();
      expect(rows.map((r) => r.key_hash)).toContain(hashApiKey(output.keys.live));
    } finally {
      await database.close();
    }
  });

  it('rejects a bad slug and unknown scopes with a clear error', async () => {
    const bad = await runCli(['stores', 'create', '--slug', 'Not A Slug', '--json'], env());
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error.code).toBe('invalid_slug');
    const scopes = await runCli(['stores', 'create', '--slug', 'ok', '--scopes', 'products:read,fly:high', '--json'], env());
    expect(JSON.parse(scopes.stdout).error).toEqual({ code: 'invalid_scope', message: 'Unknown scopes: fly:high' });
  });

  it('goes through the process that owns the embedded database instead of opening it twice', async () => {
    const owner = await openEmbedded(path.join(dataDir, 'pglite'), { own: true });
    try {
      await migrateToLatest(owner.db);
      const result = await runCli(['stores', 'create', '--slug', 'shared', '--json'], env());
      expect(result.code).toBe(0);
      const store = await owner.db.selectFrom('stores').select(['id', 'slug']).where('slug', '=', 'shared').executeTakeFirst();
      expect(store).toEqual({ id: JSON.parse(result.stdout).store.id, slug: 'shared' });
    } finally {
      await owner.close();
    }
    expect(fs.existsSync(path.join(dataDir, 'pglite.lock'))).toBe(false);
  });
});
