import request from 'supertest';
import { downloadableFiles } from '../../src/catalog/releases';
import { type Harness, startHarness } from '../helpers/harness';

let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  h = await startHarness();
  store = await h.createStore();
});
afterAll(() => h.close());

type Method = 'get' | 'post' | 'patch' | 'delete';
const call = (method: Method, path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v1${path}`).set('Authorization', `Bearer ${key}`).send(body);

/** Uploads bytes through a presigned URL the way a client would; returns the storage key. */
async function upload(content = 'zip-bytes', key = store.live, contentType = 'application/zip'): Promise<string> {
  const presign = await call('post', '/uploads', { fileName: 'app.zip', contentType, contentLength: Buffer.byteLength(content) }, key);
  expect(presign.status).toBe(200);
  const url = new URL(presign.body.url);
  await request(h.app)
    .put(url.pathname + url.search)
    .set('Content-Type', contentType)
    .send(content)
    .expect(200);
  return presign.body.key;
}

async function releasedProduct(externalId: string) {
  await call('post', '/products', { externalId, name: externalId, priceCents: 500 }).expect(201);
  await call('post', `/products/${externalId}/releases`, { version: '1.0.0', externalId: 'v1' }).expect(201);
  const storageKey = await upload();
  await call('post', `/products/${externalId}/releases/v1/files`, {
    storageKey,
    fileName: 'app.zip',
    fileSize: 9,
    mimeType: 'application/zip',
  }).expect(201);
  await call('post', `/products/${externalId}/releases/v1/publish`).expect(200);
  return storageKey;
}

describe('Sell products', () => {
  it('upserts by externalId: same externalId twice gives one row, updated', async () => {
    const first = await call('post', '/products', { externalId: 'upsert-me', name: 'One', priceCents: 100 });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      externalId: 'upsert-me',
      name: 'One',
      priceCents: 100,
      currency: 'USD',
      status: 'DRAFT',
      productType: 'DIGITAL_DOWNLOAD',
    });
    expect(first.body.id).toMatch(/^[a-z][a-z0-9]{23}$/);
    const second = await call('post', '/products', { externalId: 'upsert-me', name: 'Two' });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id: first.body.id, name: 'Two', priceCents: 100 });
    expect(await h.db.selectFrom('products').select('id').where('external_id', '=', 'upsert-me').execute()).toHaveLength(1);
    // By id or by externalId.
    expect((await call('get', `/products/${first.body.id}`)).body.name).toBe('Two');
    expect((await call('get', '/products/upsert-me')).body.id).toBe(first.body.id);
    const patched = await call('patch', '/products/upsert-me', { priceCents: 250 });
    expect(patched.body).toMatchObject({ name: 'Two', priceCents: 250 });
  });

  it('refuses each publish gate with its param', async () => {
    await call('post', '/products', { externalId: 'free', name: 'Free', priceCents: 0 });
    const free = await call('post', '/products/free/publish');
    expect(free.status).toBe(400);
    expect(free.body.error).toMatchObject({ type: 'invalid_request', code: 'invalid_price', param: 'priceCents' });

    await call('post', '/products', { externalId: 'no-release', name: 'No release', priceCents: 900 });
    const noRelease = await call('post', '/products/no-release/publish');
    expect(noRelease.body.error).toMatchObject({ code: 'missing_release', param: 'releases' });

    await call('post', '/products', { externalId: 'sub', name: 'Sub', priceCents: 900, productType: 'SUBSCRIPTION' });
    const sub = await call('post', '/products/sub/publish');
    expect(sub.status).toBe(400);
    expect(sub.body.error).toEqual({
      type: 'invalid_request',
      code: 'missing_field',
      message: 'Subscription products require a billingInterval',
      param: 'billingInterval',
    });
    await call('patch', '/products/sub', { billingInterval: 'month' }).expect(200);
    const published = await call('post', '/products/sub/publish');
    expect(published.body).toMatchObject({ status: 'PUBLISHED', billingInterval: 'MONTH' });

    await releasedProduct('with-release');
    expect((await call('post', '/products/with-release/publish')).body.status).toBe('PUBLISHED');
  });

  it('forces DRAFT for test keys, which can never publish nor touch published products', async () => {
    const created = await call('post', '/products', { externalId: 'sandbox', name: 'Sandbox', priceCents: 100 }, store.test);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'DRAFT', livemode: false });
    const publish = await call('post', '/products/sandbox/publish', undefined, store.test);
    expect(publish.status).toBe(403);
    expect(publish.body.error.type).toBe('permission_denied');
    await releasedProduct('live-one');
    await call('post', '/products/live-one/publish').expect(200);
    expect((await call('patch', '/products/live-one', { name: 'Hijacked' }, store.test)).status).toBe(403);
    expect((await call('post', '/products', { externalId: 'live-one', priceCents: 1 }, store.test)).status).toBe(403);
    expect((await call('post', '/products/live-one/releases', { version: '9', externalId: 'evil' }, store.test)).status).toBe(403);
    expect((await call('get', '/products/live-one')).body.name).toBe('live-one');
  });

  it('archives softly with POST …/archive and DELETE; archived products leave the default list', async () => {
    await call('post', '/products', { externalId: 'old', name: 'Old', priceCents: 100 });
    const archived = await call('post', '/products/old/archive');
    expect(archived.body.status).toBe('ARCHIVED');
    expect(archived.body.archivedAt).not.toBeNull();
    await call('post', '/products', { externalId: 'older', name: 'Older', priceCents: 100 });
    expect((await call('delete', '/products/older')).body.status).toBe('ARCHIVED');
    const list = await call('get', '/products?limit=100');
    expect(list.body.data.map((p: { externalId: string }) => p.externalId)).not.toContain('old');
    const onlyArchived = await call('get', '/products?status=ARCHIVED');
    expect(onlyArchived.body.data.map((p: { externalId: string }) => p.externalId).sort()).toEqual(['old', 'older']);
    expect((await call('post', '/products/old/publish')).status).toBe(409);
  });

  it('pages with a cursor and filters by status and externalId', async () => {
    const own = await h.createStore();
    for (let i = 0; i < 5; i += 1) await call('post', '/products', { externalId: `page-${i}`, name: `P${i}`, priceCents: 100 }, own.live);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await call('get', `/products?limit=2${cursor ? `&cursor=${cursor}` : ''}`, undefined, own.live);
      seen.push(...page.body.data.map((p: { externalId: string }) => p.externalId));
      cursor = page.body.nextCursor;
      expect(page.body.hasMore).toBe(cursor !== null);
    } while (cursor);
    expect(seen).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    const one = await call('get', '/products?externalId=page-3', undefined, own.live);
    expect(one.body.data.map((p: { name: string }) => p.name)).toEqual(['P3']);
    expect((await call('get', '/products?status=PUBLISHED', undefined, own.live)).body.data).toEqual([]);
  });

  it('validates with 400 and param in the Sell envelope', async () => {
    const res = await call('post', '/products', { externalId: 'bad', name: 'Bad', priceCents: -1 });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request', param: 'priceCents' });
    expect(res.body).toMatchObject({ type: 'validation_error', status: 400, errors: { priceCents: [expect.any(String)] } });
    const noName = await call('post', '/products', { externalId: 'nameless' });
    expect(noName.body.error).toMatchObject({ code: 'missing_field', param: 'name' });
    const missing = await call('get', '/products/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.type).toBe('not_found');
  });

  it('keeps stores apart: products, releases and files', async () => {
    await releasedProduct('isolated');
    const other = await h.createStore();
    expect((await call('get', '/products/isolated', undefined, other.live)).status).toBe(404);
    expect((await call('get', '/products/isolated/releases', undefined, other.live)).status).toBe(404);
    expect((await call('post', '/products/isolated/releases', { version: 'x', externalId: 'x' }, other.live)).status).toBe(404);
    // Same externalId in another store is another product.
    expect((await call('post', '/products', { externalId: 'isolated', name: 'Theirs', priceCents: 1 }, other.live)).status).toBe(201);
    expect((await call('get', '/products/isolated')).body.name).toBe('isolated');
  });
});

describe('Sell releases and files', () => {
  it('publishing promotes and demotes atomically; markCurrent rolls back; publish: true waits for a file', async () => {
    await releasedProduct('versions');
    await call('post', '/products/versions/releases', { version: '2.0.0', externalId: 'v2', publish: true }).expect(201);
    let releases = (await call('get', '/products/versions/releases')).body.data;
    expect(releases.map((r: { externalId: string; isCurrent: boolean }) => [r.externalId, r.isCurrent])).toEqual([
      ['v1', true],
      ['v2', false],
    ]);
    const key = await upload('v2 bytes');
    await call('post', '/products/versions/releases/v2/files', {
      storageKey: key,
      fileName: 'app.zip',
      fileSize: 8,
      mimeType: 'application/zip',
    }).expect(201);
    releases = (await call('get', '/products/versions/releases')).body.data;
    expect(releases.map((r: { externalId: string; isCurrent: boolean }) => [r.externalId, r.isCurrent])).toEqual([
      ['v1', false],
      ['v2', true],
    ]);
    const rollback = await call('post', '/products/versions/releases', { externalId: 'v1', markCurrent: true });
    expect(rollback.status).toBe(200);
    expect(rollback.body.isCurrent).toBe(true);
    const current = await h.db
      .selectFrom('releases')
      .innerJoin('products', 'products.id', 'releases.product_id')
      .select('releases.external_id')
      .where('products.external_id', '=', 'versions')
      .where('is_current', '=', true)
      .execute();
    expect(current).toEqual([{ external_id: 'v1' }]);
    const events = await h.db
      .selectFrom('events')
      .select('data')
      .where('type', '=', 'release.published')
      .where('store_id', '=', store.id)
      .execute();
    expect(events.filter((e) => e.data.externalId === 'v2')).toHaveLength(1);
  });

  it('refuses to publish a release with no file', async () => {
    await call('post', '/products', { externalId: 'empty-release', name: 'E', priceCents: 100 });
    await call('post', '/products/empty-release/releases', { version: '1', externalId: 'r1' }).expect(201);
    const res = await call('post', '/products/empty-release/releases/r1/publish');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('release_has_no_files');
  });

  it('rejects storage keys outside the store’s namespace, missing objects and wrong sizes', async () => {
    await call('post', '/products', { externalId: 'files', name: 'F', priceCents: 100 });
    await call('post', '/products/files/releases', { version: '1', externalId: 'r1' });
    const other = await h.createStore();
    const theirs = await upload('their bytes', other.live);
    const register = (storageKey: string, fileSize = 9) =>
      call('post', '/products/files/releases/r1/files', { storageKey, fileName: 'a.zip', fileSize, mimeType: 'application/zip' });
    for (const key of [theirs, 'sellers/1/../2/api/x', 'elsewhere/file.zip', `sellers/${store.id}/apix/file.zip`]) {
      const res = await register(key);
      expect({ key, status: res.status, code: res.body.error.code }).toEqual({ key, status: 400, code: 'storage_key_outside_namespace' });
    }
    expect((await register(`sellers/${store.id}/api/never-uploaded.zip`)).body.error.code).toBe('file_not_uploaded');
    const mine = await upload();
    expect((await register(mine, 10)).body.error).toMatchObject({ code: 'file_size_mismatch', param: 'fileSize' });
    expect((await register(mine, 9)).status).toBe(201);
    expect((await register(mine, 9)).status).toBe(200);
    const files = (await call('get', '/products/files/releases/r1/files')).body.data;
    expect(files).toHaveLength(1);
  });
});

describe('uploads and signed URLs', () => {
  it('presigns a 15-minute PUT and refuses tampered, expired or mismatched uploads', async () => {
    const presign = await call('post', '/uploads', {
      fileName: 'my app (final).zip',
      contentType: 'application/zip',
      contentLength: 5,
      folder: 'builds/nightly',
    });
    expect(presign.body.key).toMatch(new RegExp(`^sellers/${store.id}/api/builds/nightly/[a-z0-9]+-my-app-final-.zip$`));
    const ttl = Date.parse(presign.body.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    const url = new URL(presign.body.url);
    const put = (target: URL, body = 'hello', type = 'application/zip') =>
      request(h.app)
        .put(target.pathname + target.search)
        .set('Content-Type', type)
        .send(body);

    const otherKey = new URL(url);
    otherKey.pathname = otherKey.pathname.replace(/[^/]+$/, 'evil.zip');
    expect((await put(otherKey)).body.error.code).toBe('invalid_signature');
    const longer = new URL(url);
    longer.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    expect((await put(longer)).status).toBe(403);
    const bigger = new URL(url);
    bigger.searchParams.set('content_length', '999');
    expect((await put(bigger, 'x'.repeat(999))).status).toBe(403);
    expect((await put(url, 'hello', 'text/plain')).body.error.code).toBe('content_type_mismatch');
    expect((await put(url, 'too long!')).status).toBe(400);
    expect((await put(url, 'hello')).status).toBe(200);

    // An expired URL, signed correctly, is refused as expired.
    const signed = await h.localStorage().presignUpload(presign.body.key, 'application/zip', 5, Date.now() - 16 * 60_000);
    const expired = new URL(signed.url);
    const res = await put(expired);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('url_expired');
  });

  it('needs uploads:write and validates the request in the Sell envelope', async () => {
    expect((await call('post', '/uploads', { fileName: 'a', contentType: 'zip', contentLength: 0 })).body.error.type).toBe(
      'invalid_request',
    );
    expect(
      (await call('post', '/uploads', { fileName: 'a', contentType: 'application/zip', contentLength: 1, folder: '../x' })).body.error
        .param,
    ).toBe('folder');
  });

  it('hands the current release’s files to a DIGITAL_DOWNLOAD order through expiring signed links', async () => {
    const key = await releasedProduct('download-me');
    const variant = await h.db
      .selectFrom('product_variants')
      .innerJoin('products', 'products.id', 'product_variants.product_id')
      .select(['product_variants.product_id', 'product_variants.deliverable'])
      .where('products.external_id', '=', 'download-me')
      .executeTakeFirstOrThrow();
    const files = await downloadableFiles(h.db, variant);
    expect(files).toEqual([{ storageKey: key, fileName: 'app.zip' }]);
    const link = new URL((await h.localStorage().presignDownload(files[0]!.storageKey, files[0]!.fileName)).url);
    const download = await request(h.app)
      .get(link.pathname + link.search)
      .responseType('blob');
    expect(download.status).toBe(200);
    expect(download.headers['content-disposition']).toContain('app.zip');
    expect(Buffer.from(download.body).toString()).toBe('zip-bytes');
    const tampered = new URL(link);
    tampered.searchParams.set('filename', 'other.zip');
    expect((await request(h.app).get(tampered.pathname + tampered.search)).status).toBe(403);
    const unsigned = await request(h.app).get(link.pathname);
    expect(unsigned.status).toBe(403);
    const stale = new URL((await h.localStorage().presignDownload(key, 'app.zip', Date.now() - 2 * 3600_000)).url);
    expect((await request(h.app).get(stale.pathname + stale.search)).body.error.code).toBe('url_expired');
  });
});
