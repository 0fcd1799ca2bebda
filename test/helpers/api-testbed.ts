import request from 'supertest';
import { type Harness, startHarness } from './harness';

type Store = Awaited<ReturnType<Harness['createStore']>>;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ApiTestbed {
  h: Harness;
  /** The store the tests act as. */
  store: Store;
  /** Another store: its key must never reach the first one's rows. */
  other: Store;
  /** A call under `base` (e.g. `/api/v2`), with the store's live key unless another is given. */
  call: (method: Method, path: string, body?: object, key?: string) => request.Test;
}

/**
 * A test file's harness and two stores, started before its tests and closed after them. Read
 * the fields inside tests and hooks: they are filled in by the beforeAll this registers.
 */
export function apiTestbed(options: { base?: string; harness?: Parameters<typeof startHarness>[0]; timeoutMs?: number } = {}): ApiTestbed {
  const base = options.base ?? '/api/v2';
  const bed = {
    call: (method: Method, path: string, body?: object, key = bed.store.live) =>
      request(bed.h.app)[method](`${base}${path}`).set('Authorization', `Bearer ${key}`).send(body),
  } as ApiTestbed;
  beforeAll(async () => {
    bed.h = await startHarness(options.harness);
    bed.store = await bed.h.createStore();
    bed.other = await bed.h.createStore();
  }, options.timeoutMs);
  afterAll(() => bed.h?.close());
  return bed;
}
