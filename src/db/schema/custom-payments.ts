import type { ColumnType, Generated } from 'kysely';

type Json<T> = ColumnType<T, string | undefined, string>;

/** Fee (negative) or discount (positive) of one custom method, as SellApp's decimal strings. */
export interface CustomMethodModifier {
  percentage: string | null;
  fixed: string | null;
}

export interface CustomPaymentMethodsTable {
  /** 26 characters, as SellApp's custom_payment_method_id. */
  id: string;
  store_id: number;
  type: 'instructions' | 'redirect';
  name: string;
  description: string | null;
  instructions: string | null;
  /** Up to three checkout steps shown with the instructions. */
  steps: Json<string[]>;
  /** Redirect methods: the store's page, with {invoice_id}, {price}, … filled at checkout. */
  redirect_url: string | null;
  skip_interstitial_page: Generated<boolean>;
  show_processing_status_page: Generated<boolean>;
  require_proof_of_payment: Generated<boolean>;
  enabled: Generated<boolean>;
  sort_order: Generated<number>;
  modifier: ColumnType<CustomMethodModifier | null, string | null | undefined, string | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  deleted_at: Date | null;
}

export interface InvoicePaymentProofsTable {
  invoice_id: number;
  text: string | null;
  /** An image the buyer uploaded (presigned, under the store's namespace). */
  image_key: string | null;
  submitted_at: Generated<Date>;
}
