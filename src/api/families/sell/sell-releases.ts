import { z } from 'zod';
import {
  getReleaseFile,
  promoteRelease,
  registerReleaseFile,
  releaseFiles,
  releaseIdsOf,
  requireRelease,
  upsertRelease,
} from '../../../catalog/releases';
import { assertTestModeMayChange, requireByRef } from '../../../catalog/sell-products';
import { fileView, releaseViews } from '../../../catalog/views/sell';
import type { ApiDependencies } from '../../context';
import type { DocumentedRouter } from '../../route';
import { fileBody, releaseBody } from '../../schemas/sell';
import { actorOf } from '../../routes/v2/products';

const releaseView = z
  .object({
    id: z.string(),
    externalId: z.string().nullable(),
    version: z.string(),
    isCurrent: z.boolean(),
    publishedAt: z.string().nullable(),
    files: z.array(z.unknown()),
  })
  .passthrough()
  .openapi('Release');
const fileViewSchema = z
  .object({ id: z.string(), storageKey: z.string(), fileName: z.string(), fileSize: z.number(), mimeType: z.string() })
  .passthrough()
  .openapi('ReleaseFile');
const refParams = z.object({ ref: z.string().min(1).max(200) });
const releaseParams = refParams.extend({ releaseRef: z.string().min(1).max(200) });

/** Releases of a Sell product and the files registered against them. */
export function registerSellReleaseRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const view = async (id: number) => (await releaseViews(deps.db, [id]))[0]!;

  router
    .route({
      method: 'get',
      path: '/products/:ref/releases',
      summary: 'List a product’s releases',
      tags: ['Sell releases'],
      scope: 'products:read',
      params: refParams,
      response: z.object({ data: z.array(releaseView) }),
      handler: async ({ auth, params }) => {
        const product = await requireByRef(deps.db, auth.store.id, params.ref);
        return { data: await releaseViews(deps.db, await releaseIdsOf(deps.db, product.id)) };
      },
    })
    .route({
      method: 'post',
      path: '/products/:ref/releases',
      summary:
        'Create or upsert a release by externalId (publish: true promotes once a file is registered; markCurrent: true rolls back to it)',
      tags: ['Sell releases'],
      scope: 'releases:write',
      modes: 'both',
      params: refParams,
      body: releaseBody,
      status: 201,
      response: releaseView,
      handler: async ({ auth, params, body, res }) => {
        const product = await requireByRef(deps.db, auth.store.id, params.ref);
        const { id, created } = await deps.db.transaction().execute((trx) => upsertRelease(trx, actorOf(auth), product, body));
        res.status(created ? 201 : 200).json(await view(id));
      },
    })
    .route({
      method: 'post',
      path: '/products/:ref/releases/:releaseRef/publish',
      summary: 'Publish: stamps publishedAt, becomes current, demotes the previous current release atomically',
      tags: ['Sell releases'],
      scope: 'releases:write',
      modes: 'both',
      params: releaseParams,
      response: releaseView,
      handler: async ({ auth, params }) => {
        const product = await requireByRef(deps.db, auth.store.id, params.ref);
        const release = await requireRelease(deps.db, product.id, params.releaseRef);
        await deps.db.transaction().execute(async (trx) => {
          assertTestModeMayChange(actorOf(auth), product);
          await promoteRelease(trx, actorOf(auth), product, release);
        });
        return view(release.id);
      },
    })
    .route({
      method: 'get',
      path: '/products/:ref/releases/:releaseRef/files',
      summary: 'List a release’s files',
      tags: ['Sell releases'],
      scope: 'products:read',
      params: releaseParams,
      response: z.object({ data: z.array(fileViewSchema) }),
      handler: async ({ auth, params }) => {
        const product = await requireByRef(deps.db, auth.store.id, params.ref);
        const release = await requireRelease(deps.db, product.id, params.releaseRef);
        return { data: (await releaseFiles(deps.db, release.id)).map(fileView) };
      },
    })
    .route({
      method: 'post',
      path: '/products/:ref/releases/:releaseRef/files',
      summary: 'Register an uploaded object (storageKey under sellers/<store>/api/) against a release',
      tags: ['Sell releases'],
      scope: 'releases:write',
      modes: 'both',
      params: releaseParams,
      body: fileBody,
      status: 201,
      response: fileViewSchema,
      handler: async ({ auth, params, body, res }) => {
        const product = await requireByRef(deps.db, auth.store.id, params.ref);
        const release = await requireRelease(deps.db, product.id, params.releaseRef);
        const { id, created } = await deps.db
          .transaction()
          .execute((trx) => registerReleaseFile(trx, actorOf(auth), deps.storage, product, release, body));
        res.status(created ? 201 : 200).json(fileView(await getReleaseFile(deps.db, id)));
      },
    });
}
