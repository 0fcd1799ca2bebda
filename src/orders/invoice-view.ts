import { grantSummaries } from '../community/grant-view';
import { customerNumber } from './customer-number';
import { customPaymentSummaries } from './payment-proof';
import { postPurchaseRedirects } from './post-purchase-redirect';
import { laravelTime } from '../catalog/views/timestamps';
import type { Db, StatusHistoryEntry } from '../db/schema';
import type { ObjectStorage } from '../storage/object-storage';

/** SellApp's money block: cents as strings, units = quantity. */
export function money(cents: number, currency: string, units: number) {
  return { base: String(cents), currency, units, vat: 0, total: { exclusive: String(cents), inclusive: String(cents) } };
}

function checkoutUrlOf(gateway: unknown): string | null {
  const url = (gateway as { data?: { checkout_url?: unknown } } | null)?.data?.checkout_url;
  return typeof url === 'string' ? url : null;
}

type InvoiceRow = Awaited<ReturnType<typeof loadInvoiceRows>>[number];

export async function loadInvoiceRows(db: Db, storeId: number, ids: number[]) {
  if (ids.length === 0) return [];
  return db.selectFrom('invoices').selectAll().where('store_id', '=', storeId).where('id', 'in', ids).execute();
}

export interface InvoiceViewOptions {
  /** The invoice's own hosted checkout page (./invoice-checkout-link.ts), its `checkout` until a gateway's page is opened. */
  checkoutPage?: (invoiceId: number) => string;
}

/** The v2 invoice model, plus `livemode` and the delivery steps ops need to see. */
export async function invoiceViews(db: Db, storeId: number, ids: number[], options: InvoiceViewOptions = {}) {
  const rows = await loadInvoiceRows(db, storeId, ids);
  if (rows.length === 0) return [];
  // Independent reads, at once on the pool: a view costs one round trip after the invoices, not five.
  const [lines, steps, replacements, grants, redirects, customPayments] = await Promise.all([
    db
      .selectFrom('invoice_lines')
      .select(['id', 'invoice_id', 'variant_id', 'product_id', 'title', 'quantity'])
      .where('invoice_id', 'in', ids)
      .orderBy('id')
      .execute(),
    db.selectFrom('delivery_steps').selectAll().where('invoice_id', 'in', ids).orderBy('id').execute(),
    db.selectFrom('invoices').select(['id', 'replacement_of']).where('replacement_of', 'in', ids).orderBy('id').execute(),
    grantSummaries(db, ids),
    postPurchaseRedirects(db, rows),
    customPaymentSummaries(db, rows),
  ]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids
    .map((id) => byId.get(id))
    .filter((r): r is InvoiceRow => r !== undefined)
    .map((invoice) => {
      const history = invoice.status_history as StatusHistoryEntry[];
      const own = lines.filter((l) => l.invoice_id === invoice.id);
      return {
        id: invoice.id,
        payment: {
          fee: money(0, invoice.currency, invoice.units),
          gateway: {
            data: {
              total: money(invoice.total_cents, invoice.currency, invoice.units),
              customer_email: invoice.customer_email,
              transaction_id: String((invoice.gateway as { data?: { transaction_id?: string } }).data?.transaction_id ?? ''),
              ...((invoice.gateway as { data?: Record<string, unknown> }).data ?? {}),
            },
            type: invoice.payment_method,
          },
          subtotal: money(
            invoice.subtotal_cents - invoice.coupon_discount_cents - invoice.method_adjustment_cents,
            invoice.currency,
            invoice.units,
          ),
          coupon: invoice.coupon_id
            ? {
                id: invoice.coupon_id,
                code: invoice.coupon_code,
                discount: money(invoice.coupon_discount_cents, invoice.currency, invoice.units),
              }
            : null,
          expires_at: laravelTime(invoice.expires_at),
          full_price: money(invoice.total_cents, invoice.currency, invoice.units),
          original_amount: money(invoice.subtotal_cents, invoice.currency, invoice.units),
        },
        status: {
          history: history,
          status: { setAt: laravelTime(invoice.status_set_at), status: invoice.status, updatedAt: laravelTime(invoice.updated_at) },
        },
        webhooks: [],
        feedback: '',
        created_at: laravelTime(invoice.created_at),
        updated_at: laravelTime(invoice.updated_at),
        store_id: invoice.store_id,
        coupon_id: invoice.coupon_id,
        subscription_id: invoice.subscription_id,
        // The checkout URL its last checkout opened (Stripe's), else the invoice's hosted page, as the official create model has it.
        checkout: checkoutUrlOf(invoice.gateway) ?? options.checkoutPage?.(invoice.id) ?? null,
        // The official models want strings and objects here: what Sellflow does not know is '' or {}.
        customer_information: {
          id: customerNumber(invoice.store_id, invoice.customer_email),
          email: invoice.customer_email ?? '',
          country: invoice.country,
          location: '',
          ip: invoice.customer_ip ?? '',
          proxied: false,
          browser_agent: '',
          vat: { amount: '0', country: invoice.country },
          discord_data: {},
          billing_details: {},
        },
        product_variants: own.map((l) => ({ id: l.variant_id, product_id: l.product_id, title: l.title, quantity: l.quantity })),
        livemode: invoice.livemode,
        // A custom method's order: which method, and the buyer's proof for the seller's review.
        custom_payment: customPayments.get(invoice.id) ?? null,
        affiliate: invoice.affiliate,
        replacement_of: invoice.replacement_of,
        // The product's post-purchase redirect, filled in for this order once it is completed.
        redirect_url: redirects.get(invoice.id) ?? null,
        replacements: replacements.filter((r) => r.replacement_of === invoice.id).map((r) => r.id),
        delivery: {
          needs_attention: invoice.needs_attention,
          // Why, when no failed step says it (e.g. a payment that did not match this invoice).
          attention_reason: invoice.needs_attention ? invoice.attention_reason : null,
          steps: steps
            .filter((s) => s.invoice_id === invoice.id)
            .map((s) => ({
              id: s.id,
              product_variant_id: own.find((l) => l.id === s.line_id)?.variant_id ?? null,
              kind: s.kind,
              status: s.status,
              attempts: s.attempts,
              reason: s.reason,
              updated_at: laravelTime(s.updated_at),
            })),
        },
        // The Community Access panel in brief; GET …/community has the history and the links.
        community_access: grants
          .filter((g) => g.invoice_id === invoice.id)
          .map((g) => ({
            id: g.id,
            platform: g.platform,
            space: g.space_name,
            status: g.status,
            reason: g.reason,
            invite_url: g.invite_url,
            updated_at: laravelTime(g.updated_at),
          })),
      };
    });
}

/** GET …/deliverables: what each line handed over; files as fresh signed links. */
export async function deliverablesView(db: Db, storage: ObjectStorage, invoiceId: number) {
  const lines = await db
    .selectFrom('invoice_lines as l')
    .innerJoin('products as p', 'p.id', 'l.product_id')
    .select(['l.id', 'l.variant_id', 'l.quantity', 'l.additional_information', 'l.deliverable_types', 'p.additional_information as fields'])
    .where('l.invoice_id', '=', invoiceId)
    .orderBy('l.id')
    .execute();
  const steps = await db
    .selectFrom('delivery_steps')
    .select(['line_id', 'kind', 'status', 'result'])
    .where('invoice_id', '=', invoiceId)
    .execute();
  const out = [];
  for (const line of lines) {
    const delivered = (kind: string) =>
      steps.find((s) => s.line_id === line.id && s.kind === kind && s.status === 'delivered')?.result ?? null;
    const files = (delivered('downloads')?.files as { storageKey: string; fileName: string }[] | undefined) ?? [];
    const links = await Promise.all(files.map(async (f) => (await storage.presignDownload(f.storageKey, f.fileName)).url));
    const answers = line.additional_information as Record<string, unknown>;
    const own = steps.filter((s) => s.line_id === line.id);
    out.push({
      invoice_id: invoiceId,
      line_id: line.id,
      // Every step of the line handed over (or skipped by ops).
      delivered: own.length > 0 && own.every((s) => s.status === 'delivered' || s.status === 'skipped'),
      product_variant_id: line.variant_id,
      deliverable: {
        types: line.deliverable_types,
        data: {
          serials: (delivered('serials')?.serials as string[] | undefined) ?? [],
          delivered_files: links,
          dynamic: (delivered('dynamic')?.dynamic as string | undefined) ?? '',
          manual: (delivered('manual')?.manual as string | undefined) ?? '',
          license_keys: (delivered('license_keys')?.license_keys as string[] | undefined) ?? [],
        },
      },
      quantity: line.quantity,
      additional_information: (line.fields as { key: string; type: string; label: string }[])
        .filter((f) => f.key in answers)
        .map((f) => ({ key: f.key, type: f.type, label: f.label, value: answers[f.key] })),
    });
  }
  return out;
}
