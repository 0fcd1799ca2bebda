import { type ChildProcess, spawn } from 'node:child_process';
import request from 'supertest';
import { downloadableFiles } from '../../src/catalog/releases';
import { freePort } from '../../src/temporal/dev-server';
import { resolveGoTool } from '../../src/tools/go-tools';
import { type Harness, startHarness } from '../helpers/harness';
import { waitForPort } from '../helpers/ports';

/**
 * The S3 driver against gofakes3, a local server speaking the S3 HTTP API (built with
 * `go install`, like the Temporal CLI): presigned PUT straight to the bucket, size check
 * by HEAD, presigned GET for downloads.
 */
let fake: ChildProcess;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;

beforeAll(async () => {
  const binary = await resolveGoTool(
    { name: 'gofakes3', module: 'github.com/johannesboyne/gofakes3/cmd/gofakes3@v1.2.0', configuredVariable: 'GOFAKES3_PATH' },
    { configuredPath: process.env.GOFAKES3_PATH, searchPath: process.env.PATH ?? '' },
  );
  const port = await freePort();
  fake = spawn(binary.path, ['-backend', 'memory', '-autobucket', '-host', `127.0.0.1:${port}`], { stdio: 'ignore' });
  await waitForPort(port, 'gofakes3');
  h = await startHarness({
    env: {
      S3_BUCKET: 'sellflow-test',
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_ACCESS_KEY_ID: 'test',
      S3_SECRET_ACCESS_KEY: 'test-secret',
    },
  });
  store = await h.createStore();
}, 300_000);
afterAll(async () => {
  await h?.close();
  fake?.kill();
});

const call = (method: 'get' | 'post', path: string, body?: object) =>
  request(h.app)[method](path).set('Authorization', `Bearer ${store.live}`).send(body);

async function uploadToBucket(content: string): Promise<string> {
  const presign = await call('post', '/api/v1/uploads', {
    fileName: 'build.zip',
    contentType: 'application/zip',
    contentLength: Buffer.byteLength(content),
  });
  expect(presign.status).toBe(200);
  expect(presign.body.url).toContain('X-Amz-Signature=');
  expect(presign.body.url).toContain('X-Amz-Expires=900');
  const put = await fetch(presign.body.url, { method: 'PUT', headers: { 'Content-Type': 'application/zip' }, body: content });
  expect(put.status).toBe(200);
  return presign.body.key;
}

describe('S3-compatible storage', () => {
  it('uploads through a presigned URL, checks the object on registration and serves downloads by signed link', async () => {
    expect(h.storage.kind).toBe('s3');
    await call('post', '/api/v1/products', { externalId: 's3-app', name: 'S3 App', priceCents: 100 }).expect(201);
    await call('post', '/api/v1/products/s3-app/releases', { version: '1', externalId: 'v1' }).expect(201);
    const key = await uploadToBucket('bucket bytes');
    const wrongSize = await call('post', '/api/v1/products/s3-app/releases/v1/files', {
      storageKey: key,
      fileName: 'build.zip',
      fileSize: 99,
      mimeType: 'application/zip',
    });
    expect(wrongSize.body.error.code).toBe('file_size_mismatch');
    const missing = await call('post', '/api/v1/products/s3-app/releases/v1/files', {
      storageKey: `sellers/${store.id}/api/absent.zip`,
      fileName: 'a',
      fileSize: 1,
      mimeType: 'application/zip',
    });
    expect(missing.body.error.code).toBe('file_not_uploaded');
    await call('post', '/api/v1/products/s3-app/releases/v1/files', {
      storageKey: key,
      fileName: 'build.zip',
      fileSize: 12,
      mimeType: 'application/zip',
    }).expect(201);
    await call('post', '/api/v1/products/s3-app/releases/v1/publish').expect(200);

    const variant = await h.db
      .selectFrom('product_variants')
      .innerJoin('products', 'products.id', 'product_variants.product_id')
      .select(['product_variants.product_id', 'product_variants.deliverable'])
      .where('products.external_id', '=', 's3-app')
      .executeTakeFirstOrThrow();
    const [file] = await downloadableFiles(h.db, variant);
    const link = await h.storage.presignDownload(file!.storageKey, file!.fileName);
    const download = await fetch(link.url);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('bucket bytes');
  });

  it('accepts uploaded objects as a v2 DOWNLOADABLE deliverable', async () => {
    const key = await uploadToBucket('v2 file');
    const product = await call('post', '/api/v2/products', { title: 'Download', description: 'd', visibility: 'PUBLIC' });
    const variant = await call('post', `/api/v2/products/${product.body.data.id}/variants`, {
      title: 'Default',
      description: 'd',
      deliverable: { types: ['DOWNLOADABLE'], data: { files: [key] } },
      pricing: { humble: false, price: { price: 500, currency: 'USD' } },
      payment_methods: ['STRIPE'],
    });
    expect(variant.status).toBe(201);
    expect(variant.body.data.deliverable.data.files).toEqual([{ key, file_name: 'build.zip' }]);
  });
});
