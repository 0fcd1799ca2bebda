import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { findCustomer, updateCustomer, customerProfile, selfServiceChange } from '../../customers/customers';
import { customerEntitlements } from '../../customers/entitlements';
import {
  customerOrders,
  portalOrder,
  portalOrderViews,
  portalSubscription,
  portalSubscriptionCapabilities,
  portalSubscriptions,
  ownSubscription,
} from '../../customers/portal';
import {
  ACTION_PATHS,
  actOnSubscription,
  actionBody,
  paymentMethodBody,
  paymentMethodPage,
  paymentMethodResponse,
} from './v2/subscription-actions';
import { actionResponse } from './v2/subscription-action-shapes';
import { confirmChange, portalChangeBody, previewChange, requiredField } from './v2/subscription-changes';
import type { ApiDependencies } from '../context';
import type { RequestAuth } from '../middleware/authenticate';
import { pagedSearch } from '../paged-search';
import { pageQuery, pageUrl } from '../pagination';
import { DocumentedRouter } from '../route';
import { rowId } from '../schemas/common';
import { customerMetadata, customerProfileView, entitlementView } from '../schemas/customers';

// `email` is in the official model but only the seller changes it: any other e-mail is a 422 (selfServiceChange).
const profileBody = z.object({
  email: z.string().max(255).optional(),
  name: z.string().max(255).nullable().optional(),
  locale: z
    .string()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a BCP 47 language tag')
    .max(35)
    .nullable()
    .optional(),
  metadata: customerMetadata.optional(),
});
const anyData = z.object({ data: z.unknown() }).passthrough();

/** The customer portal (/api/v2/customer-portal): one customer's own profile, orders, subscriptions and entitlements. */
export function customerPortalRouter(registry: OpenAPIRegistry, deps: ApiDependencies): DocumentedRouter {
  const router = new DocumentedRouter(registry, '/api/v2/customer-portal');
  const scope = (auth: RequestAuth) => ({ storeId: auth.store.id, livemode: auth.livemode });
  const me = (auth: RequestAuth) => findCustomer(deps.db, scope(auth), auth.customer!.id);
  const common = { tags: ['Customer portal'], scope: 'none' as const, modes: 'both' as const };
  router
    .route({
      ...common,
      method: 'get',
      path: '/me',
      summary: 'The signed-in customer',
      response: z.object({ data: customerProfileView }),
      handler: async ({ auth }) => ({ data: customerProfile(await me(auth)) }),
    })
    .route({
      ...common,
      method: 'patch',
      path: '/me',
      summary: 'Update the signed-in customer (name, locale, metadata; a new e-mail is a 422: the seller changes it)',
      body: profileBody,
      response: z.object({ data: customerProfileView }),
      handler: async ({ auth, body }) => {
        const row = await deps.db.transaction().execute(async (trx) => {
          const current = await me(auth);
          return updateCustomer(trx, scope(auth), current, selfServiceChange(current, body));
        });
        return { data: customerProfile(row) };
      },
    })
    .route({
      ...common,
      method: 'get',
      path: '/orders',
      summary: 'The customer’s orders',
      query: pageQuery,
      response: anyData,
      handler: async ({ auth, query, req }) => {
        const customer = await me(auth);
        return pagedSearch({
          from: customerOrders(deps.db, customer),
          rows: (q) => q.select('id'),
          order: [['id', 'desc']],
          page: query,
          path: pageUrl(deps.config.api.publicBaseUrl, req),
          view: (rows) =>
            portalOrderViews(
              deps.db,
              rows.map((r) => r.id),
            ),
        });
      },
    })
    .route({
      ...common,
      method: 'get',
      path: '/orders/:order',
      summary: 'One of the customer’s orders (another customer’s is a 404)',
      params: z.object({ order: rowId }),
      response: anyData,
      handler: async ({ auth, params }) => ({ data: await portalOrder(deps.db, await me(auth), params.order) }),
    })
    .route({
      ...common,
      method: 'get',
      path: '/subscriptions',
      summary: 'The customer’s subscriptions',
      response: anyData,
      handler: async ({ auth }) => ({ data: await portalSubscriptions(deps.db, await me(auth)) }),
    })
    .route({
      ...common,
      method: 'get',
      path: '/subscriptions/:subscription',
      summary: 'One of the customer’s subscriptions',
      params: z.object({ subscription: rowId }),
      response: anyData,
      handler: async ({ auth, params }) => ({ data: await portalSubscription(deps.db, await me(auth), params.subscription) }),
    })
    .route({
      ...common,
      method: 'get',
      path: '/subscriptions/:subscription/capabilities',
      summary: 'Which lifecycle actions the subscription’s state allows now, and why not',
      params: z.object({ subscription: rowId }),
      response: anyData,
      handler: async ({ auth, params }) => ({
        data: await portalSubscriptionCapabilities(deps.db, await me(auth), params.subscription),
      }),
    })
    .route({
      ...common,
      method: 'get',
      path: '/entitlements',
      summary: 'What the customer holds now',
      response: z.object({ data: z.array(entitlementView) }),
      handler: async ({ auth }) => ({ data: await customerEntitlements(deps.db, await me(auth)) }),
    });
  router.route({
    ...common,
    method: 'post',
    path: '/subscriptions/:subscription/actions/update-payment-method',
    summary: 'The provider’s hosted page where the customer replaces the card of one of their subscriptions',
    params: z.object({ subscription: rowId }),
    body: paymentMethodBody,
    response: paymentMethodResponse,
    handler: async ({ auth, params, req, body }) =>
      paymentMethodPage(deps, await ownSubscription(deps.db, await me(auth), params.subscription), 'customer', req, body),
  });
  // change-plan and change-renewal-date: preview (what it charges, under a preview_id), then confirm
  // with that preview_id; the answer is the subscription as it is now, with the preview or action.
  const changes = [
    ['change-plan', 'change_plan'],
    ['change-renewal-date', 'shift_billing_date'],
  ] as const;
  for (const [path, action] of changes) {
    router.route({
      ...common,
      method: 'post',
      path: `/subscriptions/:subscription/actions/${path}/preview`,
      summary: `What ${path} would do now (the proration it charges or credits), under a preview_id the confirm needs`,
      params: z.object({ subscription: rowId }),
      body: portalChangeBody,
      response: anyData,
      handler: async ({ auth, params, req, body }) => {
        const customer = await me(auth);
        const row = await ownSubscription(deps.db, customer, params.subscription);
        if (action === 'change_plan' && !body?.product_variant_id)
          throw requiredField('product_variant_id', 'Name the variant to move to.');
        if (action === 'shift_billing_date' && !body?.renewal_date) throw requiredField('renewal_date', 'Name the new renewal date.');
        const preview = await previewChange(deps, row, 'customer', req, {
          action,
          targetVariantId: body?.product_variant_id ?? undefined,
          renewalDate: body?.renewal_date ?? undefined,
          reason: body?.reason,
        });
        return { data: { ...(await portalSubscription(deps.db, customer, row.id)), preview_id: preview.preview_token, ...preview } };
      },
    });
    router.route({
      ...common,
      method: 'post',
      path: `/subscriptions/:subscription/actions/${path}/confirm`,
      summary: `Applies the ${path} preview (preview_id) exactly as previewed, once (409 when the subscription changed since)`,
      params: z.object({ subscription: rowId }),
      body: portalChangeBody,
      response: anyData,
      handler: async ({ auth, params, body }) => {
        const customer = await me(auth);
        const row = await ownSubscription(deps.db, customer, params.subscription);
        if (!body?.preview_id) throw requiredField('preview_id', 'Preview the change first, and confirm with its preview_id.');
        const taken = await confirmChange(deps, deps.db, row, 'customer', action, body.preview_id, {
          targetVariantId: body.product_variant_id ?? undefined,
          renewalDate: body.renewal_date ?? undefined,
        });
        return { data: { ...(await portalSubscription(deps.db, customer, row.id)), action: taken } };
      },
    });
  }
  // The customer acts only on their own subscription, and only as its capabilities allow (the workflow decides).
  for (const [path, action] of Object.entries(ACTION_PATHS)) {
    router.route({
      ...common,
      method: 'post',
      path: `/subscriptions/:subscription/actions/${path}`,
      summary: `${action.replace(/_/g, ' ')} one of the customer’s subscriptions (409 with the reason when not allowed now)`,
      params: z.object({ subscription: rowId }),
      body: actionBody,
      response: actionResponse,
      handler: async ({ auth, params, req }) =>
        actOnSubscription(deps, deps.db, await ownSubscription(deps.db, await me(auth), params.subscription), action, 'customer', req),
    });
  }
  return router;
}
