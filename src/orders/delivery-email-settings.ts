import type { DbExecutor } from '../db/schema';

/** The store's delivery e-mail switches (seed: Send Delivery Email, Support Email as Reply-To, Trustpilot Email). */
export interface DeliveryEmailSettings {
  sendDeliveryEmail: boolean;
  replyToEmail: string | null;
  trustpilotEmail: string | null;
}

export async function deliveryEmailSettings(db: DbExecutor, storeId: number): Promise<DeliveryEmailSettings> {
  const row = await db
    .selectFrom('stores')
    .select(['send_delivery_email', 'reply_to_email', 'trustpilot_email'])
    .where('id', '=', storeId)
    .executeTakeFirstOrThrow();
  return { sendDeliveryEmail: row.send_delivery_email, replyToEmail: row.reply_to_email, trustpilotEmail: row.trustpilot_email };
}

/** Changes only what is named; an address set to null is removed. */
export async function saveDeliveryEmailSettings(
  db: DbExecutor,
  storeId: number,
  change: Partial<DeliveryEmailSettings>,
): Promise<DeliveryEmailSettings> {
  await db
    .updateTable('stores')
    .set({
      ...(change.sendDeliveryEmail !== undefined ? { send_delivery_email: change.sendDeliveryEmail } : {}),
      ...(change.replyToEmail !== undefined ? { reply_to_email: change.replyToEmail } : {}),
      ...(change.trustpilotEmail !== undefined ? { trustpilot_email: change.trustpilotEmail } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', storeId)
    .execute();
  return deliveryEmailSettings(db, storeId);
}
