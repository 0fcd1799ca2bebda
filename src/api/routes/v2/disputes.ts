import { z } from 'zod';
import { disputeQuery, disputeView, loadDispute, loadDisputes } from '../../../disputes/dispute-views';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import { offsetOf, pageQuery, pageUrl, toPage } from '../../pagination';
import type { DocumentedRouter } from '../../route';

const disputeModel = z
  .object({ id: z.string(), provider: z.string(), amount: z.number(), currency: z.string(), status: z.string() })
  .passthrough()
  .openapi('Dispute');

/** Disputes the gateways reported (Stripe `charge.dispute.*`), read-only: their outcome is the gateway's. */
export function registerDisputeRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  router
    .route({
      method: 'get',
      path: '/disputes',
      summary: 'List disputes, newest first',
      tags: ['Disputes'],
      scope: 'invoices:read',
      query: pageQuery,
      response: z.object({ data: z.array(disputeModel) }).passthrough(),
      handler: async ({ auth, query, req }) => {
        const { total } = await disputeQuery(deps.db, auth.store.id, auth.livemode)
          .select((eb) => eb.fn.countAll<number>().as('total'))
          .executeTakeFirstOrThrow();
        const rows = await loadDisputes(deps.db, auth.store.id, auth.livemode, { limit: query.limit, offset: offsetOf(query) });
        return toPage(rows.map(disputeView), Number(total), query, pageUrl(deps.config.api.publicBaseUrl, req));
      },
    })
    .route({
      method: 'get',
      path: '/disputes/:dispute',
      summary: 'Retrieve a dispute',
      tags: ['Disputes'],
      scope: 'invoices:read',
      params: z.object({ dispute: z.string().max(64) }),
      response: z.object({ data: disputeModel }),
      handler: async ({ auth, params }) => {
        // Dispute ids are UUIDs: anything else names no dispute (and must not reach the uuid column).
        const id = z.uuid().safeParse(params.dispute);
        const row = id.success ? await loadDispute(deps.db, auth.store.id, auth.livemode, id.data) : undefined;
        if (!row) throw notFound('Dispute');
        return { data: disputeView(row) };
      },
    });
}
