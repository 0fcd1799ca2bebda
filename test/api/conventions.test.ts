import request from 'supertest';
import { type Harness, startHarness } from '../helpers/harness';

let h: Harness;
let key: string;
beforeAll(async () => {
  h = await startHarness();
  key = (await h.createStore()).live;
});
afterAll(() => h.close());

describe('API conventions', () => {
  it('validates with zod: 422 on v2 with SellApp message/errors and the Sell envelope with param', async () => {
    const res = await request(h.app).post('/api/v2/api-keys').set('Authorization', `Bearer ${key}`).send({ mode: 'sometimes', scopes: [] });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('The given data was invalid.');
    expect(res.body.error.type).toBe('invalid_request');
    expect(res.body.error.param).toBe('mode');
    expect(Object.keys(res.body.errors).sort()).toEqual(['mode', 'scopes']);
    expect(res.body.errors.scopes[0]).toMatch(/at least 1|>=1|too small/i);
  });

  it('reports a missing required field as missing_field with its param', async () => {
    const res = await request(h.app).post('/api/v2/api-keys').set('Authorization', `Bearer ${key}`).send({ name: 'x' });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ type: 'invalid_request', code: 'missing_field', param: 'scopes' });
  });

  it('rejects unknown fields rather than ignoring them', async () => {
    const res = await request(h.app)
      .post('/api/v2/api-keys')
      .set('Authorization', `Bearer ${key}`)
      .send({ scopes: ['ops:write'], admin: true });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_field');
  });

  it('answers malformed JSON with 400 in the envelope', async () => {
    const res = await request(h.app)
      .post('/api/v2/api-keys')
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'application/json')
      .send('{"scopes": [');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request', code: 'invalid_json' });
  });

  it('takes a JSON null body as no body (seed-era clients send it with DELETE); other bare values are refused', async () => {
    const created = await request(h.app)
      .post('/api/v2/api-keys')
      .set('Authorization', `Bearer ${key}`)
      .send({ scopes: ['ops:write'] });
    const deleted = await request(h.app)
      .delete(`/api/v2/api-keys/${created.body.data.id}`)
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'application/json')
      .send('null');
    expect(deleted.status).toBe(200);
    const bare = await request(h.app)
      .post('/api/v2/api-keys')
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'application/json')
      .send('42');
    expect([bare.status, bare.body.error.code]).toEqual([400, 'invalid_json']);
  });

  it('answers unknown routes with 404 in the envelope, inside and outside /api', async () => {
    for (const path of ['/nothing-here', '/api/v1/nothing', '/api/v2/nothing']) {
      const res = await request(h.app).get(path).set('Authorization', `Bearer ${key}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ type: 'not_found', code: 'route_not_found' });
    }
  });

  it('answers bad path parameters with a validation error, not a 500', async () => {
    const res = await request(h.app).delete('/api/v2/api-keys/not-a-number').set('Authorization', `Bearer ${key}`);
    expect(res.status).toBe(422);
    expect(res.body.error.param).toBe('id');
  });

  it('gives every response a uuid request id, echoing an incoming uuid and the same id in the error body', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const generated = await request(h.app).get('/api/v2/api-keys').set('Authorization', `Bearer ${key}`);
    expect(generated.headers['x-request-id']).toMatch(uuid);
    const incoming = '6f1c2b9e-8d4a-4c3e-b5a7-0e9d8c7b6a51';
    const echoed = await request(h.app).get('/api/v2/api-keys').set('Authorization', `Bearer ${key}`).set('X-Request-Id', incoming);
    expect(echoed.headers['x-request-id']).toBe(incoming);
    // The official SDKs decode request_id as a uuid: any other incoming id is replaced.
    const replaced = await request(h.app).get('/nope').set('X-Request-Id', 'trace-42');
    expect(replaced.headers['x-request-id']).toMatch(uuid);
    expect(replaced.body.request_id).toBe(replaced.headers['x-request-id']);
  });
});

describe('pagination', () => {
  it('pages SellApp style with links and meta', async () => {
    const store = await h.createStore();
    for (let i = 0; i < 4; i += 1) {
      await request(h.app)
        .post('/api/v2/api-keys')
        .set('Authorization', `Bearer ${store.live}`)
        .send({ scopes: ['ops:write'] })
        .expect(201);
    }
    // 2 default keys + 4 = 6 keys; pages of 4.
    const first = await request(h.app).get('/api/v2/api-keys?limit=4').set('Authorization', `Bearer ${store.live}`);
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(4);
    expect(first.body.meta).toMatchObject({ current_page: 1, from: 1, to: 4, last_page: 2, per_page: 4, total: 6 });
    expect(first.body.links.prev).toBeNull();
    expect(first.body.links.next).toContain('page=2');
    const second = await request(h.app)
      .get(first.body.links.next.replace(/^https?:\/\/[^/]+/, ''))
      .set('Authorization', `Bearer ${store.live}`);
    expect(second.body.data).toHaveLength(2);
    expect(second.body.meta).toMatchObject({ current_page: 2, from: 5, to: 6 });
    const ids = [...first.body.data, ...second.body.data].map((k: { id: number }) => k.id);
    expect(new Set(ids).size).toBe(6);
  });

  it('defaults to 15 per page and refuses more than 100', async () => {
    const ok = await request(h.app).get('/api/v2/api-keys').set('Authorization', `Bearer ${key}`);
    expect(ok.body.meta.per_page).toBe(15);
    const tooMany = await request(h.app).get('/api/v2/api-keys?limit=101').set('Authorization', `Bearer ${key}`);
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error.param).toBe('limit');
    const badPage = await request(h.app).get('/api/v2/api-keys?page=0').set('Authorization', `Bearer ${key}`);
    expect(badPage.status).toBe(422);
  });
});

describe('OpenAPI', () => {
  it('describes the routes from the same zod schemas that validate them', async () => {
    const res = await request(h.app).get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const create = res.body.paths['/api/v2/api-keys'].post;
    const schema = create.requestBody.content['application/json'].schema;
    expect(schema.required).toContain('scopes');
    expect(schema.properties.mode.enum).toEqual(['live', 'test']);
    expect(schema.additionalProperties).toBe(false);
    expect(res.body.paths['/api/v2/api-keys/{id}'].delete.parameters[0]).toMatchObject({ name: 'id', in: 'path' });
    expect(res.body.paths['/api/v2/ops/ping'].post).toBeDefined();
    expect(res.body.components.schemas.Error).toBeDefined();
    const variantCreate = res.body.paths['/api/v2/products/{product}/variants'].post.requestBody.content['application/json'].schema;
    const variantSchema = variantCreate.$ref ? res.body.components.schemas[variantCreate.$ref.split('/').pop()] : variantCreate;
    expect(variantSchema.required).toEqual(expect.arrayContaining(['title', 'description', 'deliverable', 'pricing', 'payment_methods']));
    for (const path of [
      '/api/v1/listings',
      '/api/v1/products',
      '/api/v1/products/{ref}/releases/{releaseRef}/files',
      '/api/v1/uploads',
      '/api/v2/products/search',
    ]) {
      expect(res.body.paths[path]).toBeDefined();
    }
  });
});
