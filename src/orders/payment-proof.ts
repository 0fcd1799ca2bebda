import { CatalogConflictError, CatalogNotFoundError } from '../catalog/errors';
import { startUpload } from '../catalog/uploads';
import type { Db, DbExecutor } from '../db/schema';
import { CUSTOM_PAYMENT_METHOD, MAX_PROOF_IMAGE_BYTES, MAX_PROOF_TEXT_LENGTH, PROOF_IMAGE_TYPES } from '../domain/custom-payment-method';
import { recordEvent } from '../events/record';
import { type ObjectStorage, storeNamespace } from '../storage/object-storage';
import { flagForReview, reviewReason } from './custom-payment-review';
import { InvoiceRuleError } from './errors';
import { transitionInvoice } from './invoice-transitions';
import { orderTokenHash } from './buyer-order';

/**
 * The buyer's proof of a custom payment (a text, a screenshot, or both), sent by the order token
 * only they hold. It attaches to the invoice for the seller's review: the order moves to REVIEW,
 * is flagged, and `order.payment_review_required` goes out. A later proof replaces the earlier.
 */

const proofFolder = (invoiceId: number) => `proofs/${invoiceId}`;

/**
 * The buyer's order: by the token only they hold, or by id once the caller checked the invoice
 * page's signature (src/orders/invoice-checkout-link.ts); never by a bare id from a buyer.
 */
export type BuyerOrderRef = string | { invoiceId: number };

/** The custom-method invoice the token (or checked id) opens, in the store; 404 for any other. */
async function invoiceOfToken(db: DbExecutor, storeId: number, ref: BuyerOrderRef, lock = false) {
  let query = db
    .selectFrom('invoices')
    .select(['id', 'store_id', 'livemode', 'status', 'payment_method', 'custom_payment_method_id', 'gateway'])
    .where('store_id', '=', storeId);
  query = typeof ref === 'string' ? query.where('status_token_hash', '=', orderTokenHash(ref)) : query.where('id', '=', ref.invoiceId);
  if (lock) query = query.forUpdate();
  const invoice = await query.executeTakeFirst();
  if (!invoice) throw new CatalogNotFoundError('Order');
  if (invoice.payment_method !== CUSTOM_PAYMENT_METHOD || !invoice.custom_payment_method_id)
    throw new CatalogConflictError('not_a_custom_payment', 'This order is not paid with a custom payment method', 'payment_method');
  if (invoice.status !== 'PENDING' && invoice.status !== 'REVIEW')
    throw new CatalogConflictError('invalid_status', `The order is ${invoice.status}: it takes no proof of payment`, 'status');
  if (!(invoice.gateway as { data?: { custom_checkout_started_at?: string } }).data?.custom_checkout_started_at)
    throw new CatalogConflictError('checkout_not_started', 'Start the checkout before sending a proof of payment', 'status');
  return invoice;
}

export interface ProofUploadRequest {
  fileName: string;
  contentType: string;
  contentLength: number;
}

/** A presigned PUT for the screenshot, under the store's namespace and this invoice's folder. */
export async function startProofUpload(db: Db, storage: ObjectStorage, storeId: number, token: BuyerOrderRef, upload: ProofUploadRequest) {
  const invoice = await invoiceOfToken(db, storeId, token);
  if (!(PROOF_IMAGE_TYPES as readonly string[]).includes(upload.contentType))
    throw new InvoiceRuleError('invalid_field', `A proof image is one of ${PROOF_IMAGE_TYPES.join(', ')}`, 'content_type');
  if (upload.contentLength < 1 || upload.contentLength > MAX_PROOF_IMAGE_BYTES)
    throw new InvoiceRuleError('invalid_field', `A proof image has 1 to ${MAX_PROOF_IMAGE_BYTES} bytes`, 'content_length');
  return startUpload(db, storage, storeId, { ...upload, folder: proofFolder(invoice.id) });
}

export interface ProofSubmission {
  text?: string | null;
  imageKey?: string | null;
}

/** The image the buyer uploaded for this invoice, arrived and within the limits; 422 otherwise. */
async function checkedImage(db: Db, storage: ObjectStorage, storeId: number, invoiceId: number, key: string): Promise<string> {
  const prefix = `${storeNamespace(storeId)}${proofFolder(invoiceId)}/`;
  const upload = key.startsWith(prefix)
    ? await db
        .selectFrom('uploads')
        .select(['content_type', 'content_length'])
        .where('store_id', '=', storeId)
        .where('storage_key', '=', key)
        .executeTakeFirst()
    : undefined;
  if (!upload) throw new InvoiceRuleError('invalid_field', 'image_key is not a proof upload of this order', 'image_key');
  const size = await storage.objectSize(key);
  if (size === null)
    throw new InvoiceRuleError('upload_missing', 'The image has not been uploaded yet: PUT it to the upload URL first', 'image_key');
  if (size > MAX_PROOF_IMAGE_BYTES)
    throw new InvoiceRuleError('invalid_field', `A proof image has at most ${MAX_PROOF_IMAGE_BYTES} bytes`, 'image_key');
  return key;
}

export async function submitPaymentProof(
  db: Db,
  storage: ObjectStorage,
  storeId: number,
  token: BuyerOrderRef,
  proof: ProofSubmission,
): Promise<{ invoiceId: number; status: string }> {
  const text = proof.text?.trim() || null;
  if (!text && !proof.imageKey) throw new InvoiceRuleError('missing_field', 'A proof of payment needs a text or an image', 'text');
  if (text && text.length > MAX_PROOF_TEXT_LENGTH)
    throw new InvoiceRuleError('invalid_field', `A proof text has at most ${MAX_PROOF_TEXT_LENGTH} characters`, 'text');
  const found = await invoiceOfToken(db, storeId, token);
  const imageKey = proof.imageKey ? await checkedImage(db, storage, storeId, found.id, proof.imageKey) : null;
  return db.transaction().execute(async (trx) => {
    const invoice = await invoiceOfToken(trx, storeId, token, true);
    await trx
      .insertInto('invoice_payment_proofs')
      .values({ invoice_id: invoice.id, text, image_key: imageKey })
      .onConflict((oc) => oc.column('invoice_id').doUpdateSet({ text, image_key: imageKey, submitted_at: new Date() }))
      .execute();
    const method = await trx
      .selectFrom('custom_payment_methods')
      .select('name')
      .where('id', '=', invoice.custom_payment_method_id!)
      .executeTakeFirstOrThrow();
    if (invoice.status === 'PENDING') {
      await transitionInvoice(trx, invoice.id, 'REVIEW', { event: 'order.payment_review_required' });
    } else {
      // Already in review: the seller hears of the new proof.
      await recordEvent(trx, {
        storeId,
        livemode: invoice.livemode,
        type: 'order.payment_review_required',
        data: { id: invoice.id, status: 'REVIEW' },
      });
    }
    await flagForReview(trx, invoice.id, reviewReason(method.name, true));
    return { invoiceId: invoice.id, status: 'REVIEW' };
  });
}

/** What the seller's invoice and order views show of custom payments: the method and the proof (its image through GET …/payment-proof). */
export async function customPaymentSummaries(db: DbExecutor, invoices: { id: number; custom_payment_method_id: string | null }[]) {
  const custom = invoices.filter((i) => i.custom_payment_method_id !== null);
  const summaries = new Map<number, { custom_payment_method_id: string; name: string | null; proof: ProofSummary | null }>();
  if (custom.length === 0) return summaries;
  const [methods, proofs] = await Promise.all([
    db
      .selectFrom('custom_payment_methods')
      .select(['id', 'name'])
      .where(
        'id',
        'in',
        custom.map((i) => i.custom_payment_method_id!),
      )
      .execute(),
    db
      .selectFrom('invoice_payment_proofs')
      .selectAll()
      .where(
        'invoice_id',
        'in',
        custom.map((i) => i.id),
      )
      .execute(),
  ]);
  for (const invoice of custom) {
    const proof = proofs.find((p) => p.invoice_id === invoice.id);
    summaries.set(invoice.id, {
      custom_payment_method_id: invoice.custom_payment_method_id!,
      name: methods.find((m) => m.id === invoice.custom_payment_method_id)?.name ?? null,
      proof: proof ? { text: proof.text, has_image: proof.image_key !== null, submitted_at: proof.submitted_at.toISOString() } : null,
    });
  }
  return summaries;
}

interface ProofSummary {
  text: string | null;
  has_image: boolean;
  submitted_at: string;
}

/** The proof with its image as an expiring link, for the seller; null when none was sent. */
export async function paymentProofOf(db: DbExecutor, storage: ObjectStorage, invoiceId: number) {
  const proof = await db.selectFrom('invoice_payment_proofs').selectAll().where('invoice_id', '=', invoiceId).executeTakeFirst();
  if (!proof) return null;
  const image = proof.image_key ? await storage.presignDownload(proof.image_key, proof.image_key.split('/').pop()!) : null;
  return {
    text: proof.text,
    image_url: image?.url ?? null,
    image_url_expires_at: image?.expiresAt.toISOString() ?? null,
    submitted_at: proof.submitted_at.toISOString(),
  };
}
