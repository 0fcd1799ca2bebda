import { randomBytes } from 'node:crypto';
import type { DbExecutor } from '../db/schema';
import type { SecretBox } from '../security/secret-box';

/** The store's webhook secret (signs dynamic deliveries), created on first use, stored sealed. */
export async function storeWebhookSecret(db: DbExecutor, box: SecretBox, storeId: number): Promise<string> {
  const row = await db.selectFrom('stores').select('webhook_secret_encrypted').where('id', '=', storeId).executeTakeFirstOrThrow();
  if (row.webhook_secret_encrypted) return box.open(row.webhook_secret_encrypted);
  const secret = `whsec_${randomBytes(24).toString('hex')}`;
  // Two first uses at once: the first write wins and both read it back.
  await db
    .updateTable('stores')
    .set({ webhook_secret_encrypted: box.seal(secret) })
    .where('id', '=', storeId)
    .where('webhook_secret_encrypted', 'is', null)
    .execute();
  const stored = await db.selectFrom('stores').select('webhook_secret_encrypted').where('id', '=', storeId).executeTakeFirstOrThrow();
  return box.open(stored.webhook_secret_encrypted!);
}
