import { claimSerials } from '../../src/catalog/serial-stock';
import { createVariant } from '../helpers/catalog-fixtures';
import { apiTestbed } from '../helpers/api-testbed';

/** The seller's serial stock writes (PUT …/serials, POST …/serials/import, DELETE …/serials/{serial}). */
const t = apiTestbed();
const { call } = t;

async function textVariant(serials: string[]) {
  const made = await createVariant(t.h, t.store.live, { deliverable: { types: ['TEXT'], data: { serials, parsingMode: 'NEW_LINE' } } });
  return { ...made, path: `/products/${made.productId}/variants/${made.variantId}/serials` };
}
const claim = (variantId: number, key: string) =>
  t.h.db.transaction().execute((trx) => claimSerials(trx, { variantId, quantity: 1, claimKey: key }));
async function stock(variantId: number) {
  const rows = await t.h.db
    .selectFrom('variant_serials')
    .select(['value', 'status', 'claim_key'])
    .where('variant_id', '=', variantId)
    .orderBy('id')
    .execute();
  return {
    available: rows.filter((r) => r.status === 'AVAILABLE').map((r) => r.value),
    sold: rows.filter((r) => r.status === 'SOLD').map((r) => [r.value, r.claim_key]),
  };
}

describe('PUT /v2/products/{product}/variants/{variant}/serials', () => {
  it('replaces the unsold stock; sold serials stay sold, and are not put back on sale', async () => {
    const v = await textVariant(['A', 'B', 'C']);
    expect(await claim(v.variantId, 'order-1/line-1')).toEqual(['A']);
    const res = await call('put', v.path, { serials: ['X', 'Y', 'Y', 'A'] });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ previous_count: 2, current_count: 2, submitted_count: 4 });
    expect(await stock(v.variantId)).toEqual({ available: ['X', 'Y'], sold: [['A', 'order-1/line-1']] });
    const kept = await call('put', v.path, { serials: ['Y', 'Y'], remove_duplicates: false });
    expect(kept.body.data).toEqual({ previous_count: 2, current_count: 2, submitted_count: 2 });
  });

  it('a replace racing an order’s claim never deletes or re-sells the claimed serial', async () => {
    const v = await textVariant(['A', 'B']);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let claimed!: (serials: string[]) => void;
    const claimedNow = new Promise<string[]>((resolve) => (claimed = resolve));
    // The order's delivery holds its claim (uncommitted) while the seller replaces the stock.
    const order = t.h.db.transaction().execute(async (trx) => {
      const got = await claimSerials(trx, { variantId: v.variantId, quantity: 1, claimKey: 'order-race/line-1' });
      claimed(got);
      await gate;
      return got;
    });
    expect(await claimedNow).toEqual(['A']);
    const replacing = call('put', v.path, { serials: ['N1', 'N2'] }).then((r) => r);
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    expect(await order).toEqual(['A']);
    const res = await replacing;
    expect(res.status).toBe(200);
    expect(await stock(v.variantId)).toEqual({ available: ['N1', 'N2'], sold: [['A', 'order-race/line-1']] });
    // The claim retried (an activity retry) hands over the same serial, not a new one.
    expect(await claim(v.variantId, 'order-race/line-1')).toEqual(['A']);
    expect((await stock(v.variantId)).available).toEqual(['N1', 'N2']);
  });

  it('is a 422 on bad input or a non-TEXT variant, and a 404 for another store', async () => {
    const v = await textVariant(['A']);
    expect((await call('put', v.path, { serials: 'A,B' })).status).toBe(422);
    expect((await call('put', v.path, {})).status).toBe(422);
    const manual = await createVariant(t.h, t.store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
    expect((await call('put', `/products/${manual.productId}/variants/${manual.variantId}/serials`, { serials: ['A'] })).status).toBe(422);
    expect((await call('put', v.path, { serials: ['Z'] }, t.other.live)).status).toBe(404);
    expect((await stock(v.variantId)).available).toEqual(['A']);
  });
});

describe('POST /v2/products/{product}/variants/{variant}/serials/import', () => {
  it('appends a file’s serials split as asked (202), or replaces the unsold stock', async () => {
    const v = await textVariant(['A']);
    const res = await call('post', `${v.path}/import`, { file: 'B|C|A|C', parsing_mode: 'CUSTOM', custom_delimiter: '|' });
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({ status: 'completed', tracker_id: expect.any(String), current_count: 3 });
    expect((await stock(v.variantId)).available).toEqual(['A', 'B', 'C']);
    const replaced = await call('post', `${v.path}/import`, { file: 'Q\nR\n', parsing_mode: 'NEW_LINE', mode: 'replace' });
    expect(replaced.status).toBe(202);
    expect((await stock(v.variantId)).available).toEqual(['Q', 'R']);
  });

  it('is a 422 for CUSTOM without a delimiter or an unknown mode, and a 404 for another store', async () => {
    const v = await textVariant(['A']);
    expect((await call('post', `${v.path}/import`, { file: 'B|C', parsing_mode: 'CUSTOM' })).status).toBe(422);
    expect((await call('post', `${v.path}/import`, { file: 'B', parsing_mode: 'TAB' })).status).toBe(422);
    expect((await call('post', `${v.path}/import`, { file: 'B', parsing_mode: 'NEW_LINE' }, t.other.live)).status).toBe(404);
    expect((await stock(v.variantId)).available).toEqual(['A']);
  });
});

describe('DELETE /v2/products/{product}/variants/{variant}/serials/{serial}', () => {
  it('removes an unsold serial; a sold one is the order’s record (409); unknown or foreign ones are 404', async () => {
    const v = await textVariant(['A', 'B']);
    await claim(v.variantId, 'order-2/line-1');
    const list = (await call('get', v.path)).body.data as { id: number; value: string }[];
    const sold = list.find((s) => s.value === 'A')!;
    const unsold = list.find((s) => s.value === 'B')!;
    expect((await call('delete', `${v.path}/${unsold.id}`, undefined, t.other.live)).status).toBe(404);
    const res = await call('delete', `${v.path}/${unsold.id}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: String(unsold.id), serial: 'B' });
    expect((await call('delete', `${v.path}/${unsold.id}`)).status).toBe(404);
    const refused = await call('delete', `${v.path}/${sold.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('serial_sold');
    expect(await stock(v.variantId)).toEqual({ available: [], sold: [['A', 'order-2/line-1']] });
    expect((await call('delete', `${v.path}/not-a-number`)).status).toBe(422);
  });
});
