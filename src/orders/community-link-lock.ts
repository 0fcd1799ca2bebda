import type { DbExecutor } from '../db/schema';

/**
 * The lock under which a new invite link and the order's delivery e-mail settle which of them
 * carries the link: the grant's transaction takes it before it sets the link (the invoice
 * before the grant, the repo's lock order), and the delivery e-mail reads the order's grants
 * under it. So either the link is committed before the e-mail reads the grants (the e-mail
 * carries it), or the e-mail's claim is there when the link looks for it (an e-mail of its own):
 * never neither. The one that takes the link writes its send key on the grant
 * (link_email_key) in that transaction, and the other leaves a link so marked out: never both,
 * also when the link lands between the e-mail's claim and its read of the grants, or between
 * two attempts of the e-mail.
 */
export async function lockOrderForCommunityLinks(trx: DbExecutor, invoiceId: number): Promise<void> {
  await trx.selectFrom('invoices').select('id').where('id', '=', invoiceId).forNoKeyUpdate().execute();
}
