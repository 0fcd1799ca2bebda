import { type SelectQueryBuilder, sql } from 'kysely';
import type { Database, Db } from '../db/schema';

type InvoiceQuery = SelectQueryBuilder<Database, 'invoices', object>;

export interface InvoiceFilters {
  search?: string;
  search_by:
    | 'default'
    | 'transaction_id'
    | 'serial_code'
    | 'additional_info'
    | 'product_name'
    | 'discord_data'
    | 'crypto_txid'
    | 'crypto_address'
    | 'coupon_code';
  id?: string;
  email?: string;
  transaction_id?: string;
  serial_code?: string;
  additional_info?: string;
  product_name?: string;
  discord_data?: string;
  crypto_txid?: string;
  crypto_address?: string;
  coupon_code?: string;
  status?: string[];
  payment_methods?: string[];
  needs_attention?: string;
}

const contains = (value: string) => `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function byLine(column: 'title' | 'additional_information', value: string) {
  return sql<boolean>`exists (select 1 from invoice_lines l where l.invoice_id = invoices.id and l.${sql.ref(column)}::text ilike ${contains(value)})`;
}

function bySerial(value: string) {
  return sql<boolean>`exists (select 1 from delivery_steps s where s.invoice_id = invoices.id and s.kind = 'serials' and s.result::text ilike ${contains(value)})`;
}

function byGateway(value: string) {
  return sql<boolean>`invoices.gateway::text ilike ${contains(value)}`;
}

/** SellApp's invoice filters (list query or search body) as one WHERE. */
function applyInvoiceFilters(query: InvoiceQuery, f: InvoiceFilters): InvoiceQuery {
  let q = query;
  if (f.id) q = q.where(sql<boolean>`invoices.id::text = ${f.id}`);
  if (f.email) q = q.where('customer_email', 'ilike', contains(f.email.toLowerCase()));
  if (f.status?.length) q = q.where('status', 'in', f.status);
  if (f.payment_methods?.length) q = q.where('payment_method', 'in', f.payment_methods);
  if (f.product_name) q = q.where(byLine('title', f.product_name));
  if (f.additional_info) q = q.where(byLine('additional_information', f.additional_info));
  if (f.serial_code) q = q.where(bySerial(f.serial_code));
  if (f.coupon_code) q = q.where('coupon_code', '=', f.coupon_code);
  for (const value of [f.transaction_id, f.discord_data, f.crypto_txid, f.crypto_address]) if (value) q = q.where(byGateway(value));
  if (f.needs_attention !== undefined) q = q.where('needs_attention', '=', f.needs_attention === 'true' || f.needs_attention === '1');
  if (f.search) {
    const s = f.search;
    switch (f.search_by) {
      case 'transaction_id':
      case 'discord_data':
      case 'crypto_txid':
      case 'crypto_address':
        q = q.where(byGateway(s));
        break;
      case 'serial_code':
        q = q.where(bySerial(s));
        break;
      case 'additional_info':
        q = q.where(byLine('additional_information', s));
        break;
      case 'product_name':
        q = q.where(byLine('title', s));
        break;
      case 'coupon_code':
        q = q.where('coupon_code', '=', s);
        break;
      default:
        q = q.where((eb) =>
          eb.or([eb('customer_email', 'ilike', contains(s)), eb(sql<string>`invoices.id::text`, '=', s), byLine('title', s)]),
        );
    }
  }
  return q;
}

/** A store's invoices of one mode (never its charges) that match the filters, nothing selected yet: what a list or search pages through. */
export function invoicesMatching(db: Db, storeId: number, livemode: boolean, filters: InvoiceFilters): InvoiceQuery {
  return applyInvoiceFilters(
    db.selectFrom('invoices').where('store_id', '=', storeId).where('kind', '=', 'INVOICE').where('livemode', '=', livemode),
    filters,
  );
}
