import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { SALE_UNDOING_STATUSES } from '../domain/invoice-status';

export type EntitlementKind = 'license' | 'community_grant' | 'subscription_access' | 'delivered_product';

/** The official entitlement states Sellflow shows: held, or held but suspended (a paused subscription). */
export type EntitlementState = 'active' | 'suspended';

/** One thing a customer holds right now, without its secret (no key, serial or file). */
export interface Entitlement {
  id: string;
  kind: EntitlementKind;
  state: EntitlementState;
  customer_id: number;
  subject: { type: string; id: number | string; name: string };
}

/**
 * Orders whose goods are gone: the money went back for good (refunded, a dispute lost) or the
 * order was voided. An open dispute (DISPUTING) is not one: it holds back only what its transition
 * takes (commission, community access, whose grant rows say so); keys keep working, the
 * subscription goes on and downloads stay until it is lost.
 */
const GOODS_GONE = SALE_UNDOING_STATUSES.filter((status) => status !== 'DISPUTING');

/**
 * What a customer holds now, read from the rows the workflows write, so the view follows them
 * at once: an active, unexpired license key; a community grant granted and not being revoked; a
 * subscription not ended whose access was not taken back (`suspended` while paused: it renews no
 * more until resumed); a delivered download. Keys and downloads of an order whose goods are gone
 * (refunded, reversed, voided), and its subscription, are no longer held, whatever their own row
 * still says; nor a download whose line a refund took back.
 */
export async function customerEntitlements(db: DbExecutor, customer: { id: number; store_id: number }): Promise<Entitlement[]> {
  const now = new Date();
  const undone = sql.join(GOODS_GONE.map((s) => sql.lit(s)));
  const ofCustomer = (alias: string) =>
    sql<boolean>`${sql.ref(`${alias}.customer_id`)} = ${customer.id} and ${sql.ref(`${alias}.store_id`)} = ${customer.store_id}`;

  const licenses = await db
    .selectFrom('license_keys as k')
    .innerJoin('invoices as i', 'i.id', 'k.invoice_id')
    .innerJoin('products as p', 'p.id', 'k.product_id')
    .select(['k.id', 'k.product_id', 'p.title'])
    .where(ofCustomer('i'))
    .where('k.active', '=', true)
    .where((eb) => eb.or([eb('k.expires_at', 'is', null), eb('k.expires_at', '>', now)]))
    .where(sql<boolean>`i.status not in (${undone})`)
    .orderBy('k.id')
    .execute();
  const grants = await db
    .selectFrom('community_grants as g')
    .innerJoin('invoices as i', 'i.id', 'g.invoice_id')
    .innerJoin('community_spaces as sp', 'sp.id', 'g.space_id')
    .select(['g.id', 'g.space_id', 'g.platform', 'sp.name'])
    .where(ofCustomer('i'))
    .where('g.status', '=', 'granted')
    .where('g.revoke_requested_at', 'is', null)
    .where('g.revoked_at', 'is', null)
    .orderBy('g.id')
    .execute();
  const subscriptions = await db
    .selectFrom('subscriptions as s')
    .innerJoin('invoices as i', 'i.id', 's.invoice_id')
    .innerJoin('product_variants as v', 'v.id', 's.product_variant_id')
    .select(['s.id', 's.product_variant_id', 'v.title', 's.paused_at'])
    .where(ofCustomer('i'))
    .where('s.status', 'in', ['ACTIVE', 'PAST_DUE'])
    .where('s.ended_at', 'is', null)
    .where('s.entitlements_revoked_at', 'is', null)
    // Refunded: the subscription workflow is still cancelling it at the provider, but nothing is held meanwhile.
    .where(sql<boolean>`i.status not in (${undone})`)
    .orderBy('s.id')
    .execute();
  const downloads = await db
    .selectFrom('delivery_steps as d')
    .innerJoin('invoices as i', 'i.id', 'd.invoice_id')
    .innerJoin('invoice_lines as l', 'l.id', 'd.line_id')
    .select(['d.id', 'l.product_id', 'l.title'])
    .where(ofCustomer('i'))
    .where('d.kind', '=', 'downloads')
    .where('d.status', '=', 'delivered')
    .where(sql<boolean>`i.status not in (${undone})`)
    // A line refunded whole (the refund's consequences ran) took its download back, though the order stands.
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('refunds as r')
            .select('r.id')
            .whereRef('r.invoice_id', '=', 'd.invoice_id')
            .where('r.consequences_at', 'is not', null)
            .where(sql<boolean>`r.line_ids @> to_jsonb(d.line_id)`),
        ),
      ),
    )
    .orderBy('d.id')
    .execute();

  const held = (kind: EntitlementKind, id: string, subject: Entitlement['subject'], state: EntitlementState = 'active'): Entitlement => ({
    id,
    kind,
    state,
    customer_id: customer.id,
    subject,
  });
  return [
    ...licenses.map((k) => held('license', `license_key_${k.id}`, { type: 'product', id: k.product_id, name: k.title })),
    ...grants.map((g) =>
      held('community_grant', `community_grant_${g.id}`, { type: 'community_space', id: g.space_id, name: g.name ?? g.platform }),
    ),
    ...subscriptions.map((s) =>
      held(
        'subscription_access',
        `subscription_${s.id}`,
        { type: 'product_variant', id: s.product_variant_id, name: s.title },
        s.paused_at === null ? 'active' : 'suspended',
      ),
    ),
    ...downloads.map((d) => held('delivered_product', `download_${d.id}`, { type: 'product', id: d.product_id, name: d.title })),
  ];
}
