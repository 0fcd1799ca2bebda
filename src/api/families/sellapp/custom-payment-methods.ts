import { z } from 'zod';
import {
  createCustomMethod,
  type CustomMethodInput,
  customMethodView,
  deleteCustomMethod,
  findCustomMethod,
  storeCustomMethods,
  updateCustomMethod,
} from '../../../gateways/custom-payment-methods';
import { CUSTOM_METHOD_TYPES } from '../../../domain/custom-payment-method';
import type { ApiDependencies } from '../../context';
import type { DocumentedRouter, RouteContext } from '../../route';

const decimal = z
  .union([z.number(), z.string().max(20)])
  .nullable()
  .optional();
const fields = {
  type: z.enum(CUSTOM_METHOD_TYPES),
  name: z.string().min(1).max(100),
  description: z.string().max(500).nullable().optional(),
  instructions: z.string().max(10_000).nullable().optional(),
  steps: z.array(z.string().max(500).nullable()).max(10).nullable().optional(),
  redirect_url: z.string().max(2_000).nullable().optional(),
  skip_interstitial_page: z.boolean().optional(),
  show_processing_status_page: z.boolean().optional(),
  require_proof_of_payment: z.boolean().optional(),
  enabled: z.boolean().optional(),
  sort_order: z.number().int().min(0).max(1_000_000).optional(),
  modifier: z.object({ percentage: decimal, fixed: decimal }).strict().nullable().optional(),
};
const createBody = z.object(fields).strict().openapi('CustomPaymentMethodCreate');
const updateBody = z.object(fields).partial().strict().openapi('CustomPaymentMethodUpdate');

const view = z
  .object({
    id: z.string(),
    type: z.enum(CUSTOM_METHOD_TYPES),
    name: z.string(),
    description: z.string().nullable(),
    instructions: z.string().nullable(),
    steps: z.array(z.string()),
    redirect_url: z.string().nullable(),
    skip_interstitial_page: z.boolean(),
    show_processing_status_page: z.boolean(),
    require_proof_of_payment: z.boolean(),
    enabled: z.boolean(),
    sort_order: z.number(),
    modifier: z.object({ percentage: z.string().nullable(), fixed: z.string().nullable() }).nullable(),
    icon_url: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('CustomPaymentMethod');
const one = z.object({ data: view });
const params = z.object({ customPaymentMethod: z.string().min(1).max(64) });

/**
 * SellApp's custom payment methods (/v2/payment-methods/custom): instructions shown at checkout
 * (up to three steps, optionally a proof of payment) or a redirect to the store's own page.
 * Registered before /payment-methods/:paymentMethod, which would otherwise take "custom".
 */
export function registerCustomPaymentMethodRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const common = { tags: ['Payment methods'], scope: 'ops:write' as const };
  const member = { ...common, path: '/payment-methods/custom/:customPaymentMethod', params, response: one };
  /** PUT and PATCH are one write: the mode says whether what is omitted goes back to its default or stays. */
  const change =
    (mode: 'replace' | 'update') =>
    async ({ auth, params, body }: RouteContext<{ customPaymentMethod: string }, undefined, CustomMethodInput>) => ({
      data: customMethodView(await updateCustomMethod(deps.db, auth.store.id, params.customPaymentMethod, body, mode)),
    });
  router
    .route({
      ...common,
      method: 'get',
      path: '/payment-methods/custom',
      summary: 'The store’s custom payment methods, in checkout order',
      response: z.object({ data: z.array(view) }),
      handler: async ({ auth }) => ({ data: (await storeCustomMethods(deps.db, auth.store.id)).map(customMethodView) }),
    })
    .route({
      ...common,
      method: 'post',
      path: '/payment-methods/custom',
      summary: 'Create a custom payment method (instruction- or redirect-based)',
      body: createBody,
      status: 201,
      response: one,
      handler: async ({ auth, body }) => ({ data: customMethodView(await createCustomMethod(deps.db, auth.store.id, body)) }),
    })
    .route({
      ...member,
      method: 'get',
      summary: 'One custom payment method',
      handler: async ({ auth, params }) => ({
        data: customMethodView(await findCustomMethod(deps.db, auth.store.id, params.customPaymentMethod)),
      }),
    })
    .route({
      ...member,
      method: 'put',
      summary: 'Replace a custom payment method (what is omitted goes back to its default)',
      body: createBody,
      handler: change('replace'),
    })
    .route({
      ...member,
      method: 'patch',
      summary: 'Change fields of a custom payment method (modifier: null or {} clears it)',
      body: updateBody,
      handler: change('update'),
    })
    .route({
      ...member,
      method: 'delete',
      summary: 'Delete a custom payment method: variants stop offering it; invoices keep naming it',
      handler: async ({ auth, params }) => ({
        data: customMethodView(await deleteCustomMethod(deps.db, auth.store.id, params.customPaymentMethod)),
      }),
    });
}
