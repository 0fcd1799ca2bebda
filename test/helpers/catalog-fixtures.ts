import request from 'supertest';
import type { Harness } from './harness';

/** Builds catalogue state over the real API, the way a seller would. */
export async function createVariant(
  h: Harness,
  key: string,
  variant: { deliverable: object; price?: number; payment_methods?: string[]; humble?: boolean; [extra: string]: unknown },
  product: { title?: string; additional_information?: object[] } = {},
): Promise<{ productId: number; variantId: number }> {
  const created = await request(h.app)
    .post('/api/v2/products')
    .set('Authorization', `Bearer ${key}`)
    .send({
      title: product.title ?? 'Goods',
      description: 'd',
      visibility: 'PUBLIC',
      additional_information: product.additional_information,
    });
  if (created.status !== 201) throw new Error(`product: ${JSON.stringify(created.body)}`);
  const { price, payment_methods, humble, ...rest } = variant;
  const res = await request(h.app)
    .post(`/api/v2/products/${created.body.data.id}/variants`)
    .set('Authorization', `Bearer ${key}`)
    .send({
      title: 'Default',
      description: 'd',
      pricing: { humble: humble ?? false, price: { price: price ?? 1000, currency: 'USD' } },
      payment_methods: payment_methods ?? ['STRIPE', 'PAYPAL', 'BTC'],
      ...rest,
    });
  if (res.status !== 201) throw new Error(`variant: ${JSON.stringify(res.body)}`);
  return { productId: created.body.data.id, variantId: res.body.data.id };
}

export async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`Timed out; last value: ${JSON.stringify(last).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 150));
    last = await probe();
  }
  return last;
}

/** Uploads bytes through a presigned URL (POST /api/v1/uploads), as a client would; returns the storage key. */
export async function uploadFile(h: Harness, key: string, fileName = 'guide.pdf', content = 'pdf-bytes', contentType = 'application/pdf') {
  const presign = await request(h.app)
    .post('/api/v1/uploads')
    .set('Authorization', `Bearer ${key}`)
    .send({ fileName, contentType, contentLength: Buffer.byteLength(content) });
  if (presign.status !== 200) throw new Error(`upload: ${JSON.stringify(presign.body)}`);
  const url = new URL(presign.body.url);
  const put = await request(h.app)
    .put(url.pathname + url.search)
    .set('Content-Type', contentType)
    .send(content);
  if (put.status !== 200) throw new Error(`upload PUT: ${put.status}`);
  return presign.body.key as string;
}
