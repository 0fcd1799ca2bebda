import { z } from 'zod';
import { requireProduct } from '../../../catalog/products';
import { findLiveVariant } from '../../../catalog/variant-list';
import { CommunityNotFoundError } from '../../../community/errors';
import { setVariantAccess, variantAccess } from '../../../community/variant-access';
import type { ApiDependencies } from '../../context';
import type { RequestAuth } from '../../middleware/authenticate';
import type { DocumentedRouter } from '../../route';
import { rowId } from '../../schemas/common';

const variantParams = z.object({ product: rowId, variant: rowId });
const accessView = z
  .object({
    id: z.number(),
    space_id: z.number(),
    platform: z.string(),
    role_ids: z.array(z.string()),
    linking_required: z.boolean(),
    remove_on_expiry: z.boolean(),
    remove_on_pause: z.boolean(),
  })
  .passthrough()
  .openapi('VariantCommunityAccess');
const accessBody = z.object({
  access: z
    .array(
      z.object({
        space_id: rowId,
        role_ids: z
          .array(z.string().regex(/^\d{1,20}$/, 'a Discord role id'))
          .max(25)
          .default([]),
        linking_required: z.boolean().default(false),
        remove_on_expiry: z.boolean().default(true),
        remove_on_pause: z.boolean().default(false),
      }),
    )
    .max(20),
});

/** A variant's Community section: which roles, chats, channels and groups a purchase grants. */
export function registerCommunityAccessRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const requireVariant = async (auth: RequestAuth, productId: number, variantId: number) => {
    await requireProduct(deps.db, auth.store.id, productId);
    const row = await findLiveVariant(deps.db, auth.store.id, productId, variantId);
    if (!row) throw new CommunityNotFoundError('Product variant');
    return row.id;
  };

  router
    .route({
      method: 'get',
      path: '/products/:product/variants/:variant/community',
      summary: "The variant's community access",
      tags: ['Community'],
      scope: 'products:read',
      params: variantParams,
      response: z.object({ data: z.array(accessView) }),
      handler: async ({ auth, params }) => ({
        data: await variantAccess(deps.db, await requireVariant(auth, params.product, params.variant)),
      }),
    })
    .route({
      method: 'put',
      path: '/products/:product/variants/:variant/community',
      summary:
        'Replace what the variant grants: Discord roles in a guild, a Telegram chat, a Slack channel, a WhatsApp group; linking required at checkout; removal on subscription expiry (default on) and while the subscription is paused (default off)',
      tags: ['Community'],
      scope: 'community:write',
      params: variantParams,
      body: accessBody,
      response: z.object({ data: z.array(accessView) }),
      handler: async ({ auth, params, body }) => ({
        data: await setVariantAccess(deps.db, auth.store.id, await requireVariant(auth, params.product, params.variant), body.access),
      }),
    });
}
