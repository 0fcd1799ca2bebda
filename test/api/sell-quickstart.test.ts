import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createStore } from '../../src/accounts/stores';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startApi, type RunningApi } from '../../src/server';
import { LocalObjectStorage } from '../../src/storage/local-storage';
import { freePort } from '../../src/temporal/dev-server';
import { type Harness, startHarness } from '../helpers/harness';

const run = promisify(execFile);

/**
 * The Sell seed's quick start, its seven curl calls byte for byte but for the base URL,
 * the key and the file, against a real listening server.
 */
let h: Harness;
let api: RunningApi;
let base: string;
let key: string;
let dir: string;

beforeAll(async () => {
  h = await startHarness();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', SELLFLOW_DATA_DIR: h.config.dataDir, PUBLIC_BASE_URL: base });
  api = await startApi(
    {
      config,
      db: h.db,
      logger: createLogger('silent'),
      temporal: h.temporal,
      taskQueue: h.taskQueue,
      storage: new LocalObjectStorage(config),
    },
    port,
    '127.0.0.1',
  );
  const created = await h.db.transaction().execute((trx) => createStore(trx, { slug: 'quickstart' }));
  key = created.keys.live.key;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sellflow-qs-'));
});
afterAll(async () => {
  await api.close();
  await h.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args], { cwd: dir });
  const at = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
}

describe('Sell publishing API quick start (7 calls, unchanged)', () => {
  it('pushes a product end to end, and a second run is idempotent', async () => {
    const zip = Buffer.alloc(1048576, 7);
    fs.writeFileSync(path.join(dir, 'my-app-1.0.0.zip'), zip);

    const quickStart = async () => {
      // 1. Create the product (upsert by externalId)
      const product = await curl([
        `${base}/api/v1/products`,
        '-H',
        `Authorization: Bearer ${key}`,
        '-H',
        'Content-Type: application/json',
        '-d',
        '{\n    "externalId": "my-app",\n    "name": "My App",\n    "priceCents": 2900,\n    "currency": "USD",\n    "productType": "DIGITAL_DOWNLOAD"\n  }',
      ]);
      expect([200, 201]).toContain(product.status);
      // 2. Get a presigned upload URL
      const upload = await curl([
        `${base}/api/v1/uploads`,
        '-H',
        `Authorization: Bearer ${key}`,
        '-H',
        'Content-Type: application/json',
        '-d',
        '{"fileName":"my-app-1.0.0.zip","contentType":"application/zip","contentLength":1048576}',
      ]);
      expect(upload.status).toBe(200);
      const { url, key: storageKey } = JSON.parse(upload.body);
      expect(storageKey).toMatch(/^sellers\/\d+\/api\/.+-my-app-1\.0\.0\.zip$/);
      // 3. Upload the file directly
      const put = await curl(['-X', 'PUT', '--data-binary', '@my-app-1.0.0.zip', '-H', 'Content-Type: application/zip', url]);
      expect(put.status).toBe(200);
      // 4. Create a release and register the file against it
      const release = await curl([
        `${base}/api/v1/products/my-app/releases`,
        '-H',
        `Authorization: Bearer ${key}`,
        '-H',
        'Content-Type: application/json',
        '-d',
        '{"version":"1.0.0","externalId":"git-tag-v1.0.0"}',
      ]);
      expect([200, 201]).toContain(release.status);
      const file = await curl([
        `${base}/api/v1/products/my-app/releases/git-tag-v1.0.0/files`,
        '-H',
        `Authorization: Bearer ${key}`,
        '-H',
        'Content-Type: application/json',
        '-d',
        JSON.stringify({ storageKey, fileName: 'my-app-1.0.0.zip', fileSize: 1048576, mimeType: 'application/zip' }),
      ]);
      expect([200, 201]).toContain(file.status);
      // 5. Publish the release (also marks it current) and publish the product
      const publishRelease = await curl([
        '-X',
        'POST',
        `${base}/api/v1/products/my-app/releases/git-tag-v1.0.0/publish`,
        '-H',
        `Authorization: Bearer ${key}`,
      ]);
      expect(publishRelease.status).toBe(200);
      const publishProduct = await curl(['-X', 'POST', `${base}/api/v1/products/my-app/publish`, '-H', `Authorization: Bearer ${key}`]);
      expect(publishProduct.status).toBe(200);
      return { product: JSON.parse(publishProduct.body), release: JSON.parse(publishRelease.body), storageKey };
    };

    const first = await quickStart();
    expect(first.product).toMatchObject({
      externalId: 'my-app',
      name: 'My App',
      priceCents: 2900,
      currency: 'USD',
      productType: 'DIGITAL_DOWNLOAD',
      status: 'PUBLISHED',
    });
    expect(first.product.currentRelease).toEqual({ id: first.release.id, version: '1.0.0' });
    expect(first.release).toMatchObject({
      externalId: 'git-tag-v1.0.0',
      isCurrent: true,
      files: [{ fileName: 'my-app-1.0.0.zip', fileSize: 1048576 }],
    });
    expect(Date.parse(first.release.publishedAt)).not.toBeNaN();

    // Re-running the pipeline (CI retry) updates instead of duplicating.
    const second = await quickStart();
    expect(second.product.id).toBe(first.product.id);
    expect(second.release.id).toBe(first.release.id);
    const products = await h.db.selectFrom('products').select('id').where('external_id', '=', 'my-app').execute();
    expect(products).toHaveLength(1);
    const releases = await h.db.selectFrom('releases').select('id').where('external_id', '=', 'git-tag-v1.0.0').execute();
    expect(releases).toHaveLength(1);
    expect(fs.readFileSync(h.localStorage().store.pathOf(second.storageKey)).equals(zip)).toBe(true);
  });
});
