import { createVariant, uploadFile } from '../helpers/catalog-fixtures';
import { apiTestbed } from '../helpers/api-testbed';

/** The spec's variant-deliverable resource: configuration, files (uploads of the t.store) and folders. */
const t = apiTestbed();
const { call } = t;

async function downloadable() {
  const key = await uploadFile(t.h, t.store.live, 'guide.pdf');
  const made = await createVariant(t.h, t.store.live, { deliverable: { types: ['DOWNLOADABLE'], data: { files: [key] } } });
  return { ...made, base: `/products/${made.productId}/variants/${made.variantId}/deliverable` };
}
const delivered = async (variantId: number) =>
  (await t.h.db.selectFrom('product_variants').select('deliverable').where('id', '=', variantId).executeTakeFirstOrThrow()).deliverable
    .files;

describe('variant deliverable files and folders', () => {
  it('lists the files a variant was made with, adds uploads, and delivery hands over exactly those, by their names', async () => {
    const v = await downloadable();
    const listed = await call('get', `${v.base}/files`);
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([
      expect.objectContaining({ filename: 'guide.pdf', extension: 'pdf', size: 9, variant_id: v.variantId }),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain('sellers/');
    const folder = await call('post', `${v.base}/folders`, { name: 'Extras' });
    expect(folder.status).toBe(201);
    const extra = await uploadFile(t.h, t.store.live, 'extra.zip', 'zip', 'application/zip');
    const added = await call('post', `${v.base}/files`, { key: extra, folder_id: folder.body.data.id, custom_name: 'Bonus.zip' });
    expect(added.status).toBe(201);
    expect(added.body.data).toMatchObject({ custom_name: 'Bonus.zip', folder_id: folder.body.data.id, mime_type: 'application/zip' });
    expect((await delivered(v.variantId))!.map((f) => f.file_name)).toEqual(['guide.pdf', 'Bonus.zip']);
    expect((await call('post', `${v.base}/files`, { key: extra })).status).toBe(409);
    // PUT resets what it is not sent; PATCH keeps it.
    const replaced = await call('put', `${v.base}/files/${added.body.data.id}`, { custom_name: 'B.zip' });
    expect(replaced.body.data).toMatchObject({ custom_name: 'B.zip', folder_id: null });
    const patched = await call('patch', `${v.base}/files/${added.body.data.id}`, { folder_id: folder.body.data.id });
    expect(patched.body.data).toMatchObject({ custom_name: 'B.zip', folder_id: folder.body.data.id });
    // Deleting the folder moves its file to the top level.
    expect((await call('delete', `${v.base}/folders/${folder.body.data.id}`)).status).toBe(200);
    expect((await call('get', `${v.base}/files/${added.body.data.id}`)).body.data.folder_id).toBeNull();
    expect((await call('delete', `${v.base}/files/${added.body.data.id}`)).status).toBe(200);
    expect((await delivered(v.variantId))!.map((f) => f.file_name)).toEqual(['guide.pdf']);
    const last = listed.body.data[0].id as number;
    expect((await call('delete', `${v.base}/files/${last}`)).status).toBe(409);
  });

  it('never takes another store’s upload, folder or variant, and shows nothing across stores', async () => {
    const v = await downloadable();
    const theirUpload = await uploadFile(t.h, t.other.live, 'secret.pdf');
    expect((await call('post', `${v.base}/files`, { key: theirUpload })).status).toBe(422);
    const theirs = await createVariant(t.h, t.other.live, { deliverable: { types: ['DOWNLOADABLE'], data: { files: [theirUpload] } } });
    const theirBase = `/products/${theirs.productId}/variants/${theirs.variantId}/deliverable`;
    const theirFolder = (await call('post', `${theirBase}/folders`, { name: 'Private' }, t.other.live)).body.data.id as number;
    const theirFile = (await call('get', `${theirBase}/files`, undefined, t.other.live)).body.data[0].id as number;
    expect((await call('get', `${theirBase}/files`)).status).toBe(404);
    expect((await call('get', `${v.base}/files/${theirFile}`)).status).toBe(404);
    expect((await call('delete', `${v.base}/files/${theirFile}`)).status).toBe(404);
    expect((await call('get', `${v.base}/folders/${theirFolder}`)).status).toBe(404);
    const mine = await uploadFile(t.h, t.store.live, 'mine.pdf');
    expect((await call('post', `${v.base}/files`, { key: mine, folder_id: theirFolder })).status).toBe(422);
    expect((await call('post', `${v.base}/folders`, { name: 'x', parent_id: theirFolder })).status).toBe(422);
    expect((await call('get', `${theirBase}/files`, undefined, t.other.live)).body.data).toHaveLength(1);
  });

  it('is a 422 on bad input: no key, a key never uploaded, download controls it cannot honour, a folder inside itself', async () => {
    const v = await downloadable();
    expect((await call('post', `${v.base}/files`, {})).status).toBe(422);
    expect((await call('post', `${v.base}/files`, { key: `sellers/${t.store.id}/api/nothing.pdf` })).status).toBe(422);
    const key = await uploadFile(t.h, t.store.live, 'w.pdf');
    expect((await call('post', `${v.base}/files`, { key, watermark: true })).status).toBe(422);
    expect((await call('post', `${v.base}/files`, { key, max_downloads: 3 })).status).toBe(422);
    const parent = (await call('post', `${v.base}/folders`, { name: 'Parent' })).body.data.id as number;
    const child = (await call('post', `${v.base}/folders`, { name: 'Child', parent_id: parent })).body.data.id as number;
    expect((await call('patch', `${v.base}/folders/${parent}`, { parent_id: child })).status).toBe(422);
    expect((await call('post', `${v.base}/folders`, { name: '' })).status).toBe(422);
  });
});

describe('variant deliverable configuration', () => {
  it('shows the types and settings, never the dynamic endpoint, and PUT replaces them', async () => {
    const made = await createVariant(t.h, t.store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'Hi' } } });
    const path = `/products/${made.productId}/variants/${made.variantId}/deliverable`;
    const got = await call('get', path);
    expect(got.body.data).toMatchObject({ types: ['MANUAL'], data: { comment: 'Hi' }, webhook_configured: false });
    const put = await call('put', path, {
      types: ['DYNAMIC', 'LICENSE_KEY'],
      data: { webhook: 'https://seller.example/deliver', licensePrefix: 'KEY', licenseLength: 2, licenseLengthUnit: 'weeks' },
    });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({
      types: ['DYNAMIC', 'LICENSE_KEY'],
      webhook_configured: true,
      data: { licensePrefix: 'KEY', licenseLength: 14, licenseLengthUnit: 'DAYS', isLicenseLimitUnlimited: true },
    });
    expect(JSON.stringify(put.body)).not.toContain('seller.example');
    expect((await call('put', path, { types: ['TEXT', 'MANUAL'], data: { comment: 'x' } })).status).toBe(422);
    expect((await call('put', path, { types: ['NOTHING'], data: {} })).status).toBe(422);
    expect((await call('put', path, { types: ['MANUAL'], data: { comment: 'x' } }, t.other.live)).status).toBe(404);
    expect((await call('get', path, undefined, t.other.live)).status).toBe(404);
  });
});
