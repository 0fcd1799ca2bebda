import { z } from 'zod';
import { createCustomerSession, revokeCustomerSession } from '../../../customers/sessions';
import type { ApiDependencies } from '../../context';
import type { DocumentedRouter } from '../../route';
import { rowId, rowIdNumber } from '../../schemas/common';
import { externalId } from '../../schemas/customers';
import { scopeOf } from './customers';

const sessionBody = z.union([z.object({ customer_id: rowIdNumber }), z.object({ external_customer_id: externalId })]);

/** A seller's app opens the customer portal for one of its customers: a short-lived token, shown once. */
export function registerCustomerSessionRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  router
    .route({
      method: 'post',
      path: '/customer-sessions',
      summary: 'Create a customer session: a 15-minute bearer token for the customer portal, shown once',
      tags: ['Customers'],
      scope: 'invoices:write',
      modes: 'both',
      body: sessionBody,
      status: 201,
      response: z.object({ data: z.object({ id: z.string(), token: z.string(), redemption_url: z.string(), expires_at: z.string() }) }),
      handler: async ({ auth, body }) => {
        const session = await createCustomerSession(
          deps.db,
          scopeOf(auth),
          'customer_id' in body ? { customerId: body.customer_id } : { externalCustomerId: body.external_customer_id },
          auth.keyId,
        );
        return {
          data: {
            id: String(session.id),
            token: session.token,
            // No hosted pages: the token, as a Bearer, opens the portal's API here.
            redemption_url: `${deps.config.api.publicBaseUrl}/api/v2/customer-portal/me`,
            expires_at: session.expiresAt.toISOString(),
          },
        };
      },
    })
    .route({
      method: 'delete',
      path: '/customer-sessions/:session',
      summary: 'Revoke a customer session at once',
      tags: ['Customers'],
      scope: 'invoices:write',
      modes: 'both',
      params: z.object({ session: rowId }),
      response: z.object({ revoked: z.boolean() }),
      handler: async ({ auth, params }) => {
        await revokeCustomerSession(deps.db, scopeOf(auth), params.session);
        return { revoked: true };
      },
    });
}
