import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The seed's Abandoned Cart Reminders, as the official marketing settings carry them
  // ({enabled, min_total_cents, max_total_cents, reminders: [{after_hours}], incentive_mode,
  // coupon_id, send_incentive_on_step}); null: never configured, i.e. off. Validated by the API
  // (src/domain/abandoned-cart.ts); a coupon deleted later is skipped when a reminder is sent.
  await db.schema.alterTable('stores').addColumn('abandoned_cart', 'jsonb').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('stores').dropColumn('abandoned_cart').execute();
}
