import type { ColumnType, Generated } from 'kysely';

type Json<T> = ColumnType<T, string | undefined, string>;
type JsonRequired<T> = ColumnType<T, string, string>;

export interface ProductsTable {
  id: Generated<number>;
  public_id: string;
  store_id: number;
  external_id: string | null;
  title: string;
  slug: string;
  description: Generated<string>;
  visibility: Generated<string>;
  type: Generated<string>;
  /** Sell publishing status: DRAFT, PUBLISHED or ARCHIVED. */
  status: Generated<string>;
  product_type: string | null;
  billing_interval: string | null;
  images: Json<unknown[]>;
  order: Generated<number>;
  delivery_text: string | null;
  additional_information: Json<unknown[]>;
  other_settings: Json<Record<string, unknown>>;
  warranty: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  section_id: number | null;
  section_order: number | null;
  category_id: number | null;
  is_discoverable: Generated<boolean>;
  livemode: Generated<boolean>;
  published_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  deleted_at: Date | null;
}

export interface VariantDeliverableConfig {
  parsingMode?: string;
  delimiter?: string | null;
  removeDuplicate?: boolean;
  /** MANUAL: the fixed text or instructions delivered. */
  comment?: string | null;
  /** DYNAMIC: the seller's endpoint. */
  webhook?: string | null;
  /** Stock for non-serial deliverables; null means unlimited. DYNAMIC: as last reported by the seller. */
  stock?: number | null;
  license_key?: { prefix: string | null; limit: number | null; expires_in_days: number | null } | null;
  /** DOWNLOADABLE: storage keys of the files handed over. */
  files?: { storage_key: string; file_name: string; file_size: number; mime_type: string }[];
  /** DOWNLOADABLE from the product's current release (Sell products). */
  current_release?: boolean;
}

export interface ProductVariantsTable {
  id: Generated<number>;
  store_id: number;
  product_id: number;
  title: string;
  description: Generated<string>;
  price_cents: number;
  currency: string;
  humble: Generated<boolean>;
  pricing_type: Generated<string>;
  frequency_value: number | null;
  frequency_interval: string | null;
  minimum_purchase_quantity: Generated<number>;
  maximum_purchase_quantity: number | null;
  bulk_discount: Json<{ minimum_purchase_amount: number; discount_percentage: number }[]>;
  payment_methods: ColumnType<string[], string[], string[]>;
  /** The store's custom methods this variant takes (with CUSTOM_PAYMENT_METHOD in payment_methods). */
  custom_payment_method_ids: ColumnType<string[], string[] | undefined, string[]>;
  other_settings: Json<Record<string, unknown>>;
  visibility: Generated<string>;
  deliverable_types: ColumnType<string[], string[], string[]>;
  deliverable: JsonRequired<VariantDeliverableConfig>;
  order: Generated<number>;
  sold_out: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  deleted_at: Date | null;
}

/** A managed file of a variant's downloadable deliverable: an uploaded object of the store. */
export interface VariantDeliverableFilesTable {
  id: Generated<number>;
  store_id: number;
  variant_id: number;
  product_id: number;
  storage_key: string;
  file_name: string;
  mime_type: string;
  size: string | number;
  custom_name: string | null;
  folder_id: number | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface VariantDeliverableFoldersTable {
  id: Generated<number>;
  store_id: number;
  variant_id: number;
  name: string;
  description: string | null;
  parent_id: number | null;
  sort_order: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface VariantSerialsTable {
  id: Generated<string>;
  store_id: number;
  variant_id: number;
  value: string;
  status: Generated<'AVAILABLE' | 'SOLD'>;
  /** Who claimed it (order step idempotency key): a retried claim finds its own serial. */
  claim_key: string | null;
  sold_at: Date | null;
  created_at: Generated<Date>;
}

export interface UploadsTable {
  id: Generated<number>;
  store_id: number;
  storage_key: string;
  file_name: string;
  content_type: string;
  content_length: ColumnType<number, number, number>;
  expires_at: Date;
  uploaded_at: Date | null;
  created_at: Generated<Date>;
}

export interface ReleasesTable {
  id: Generated<number>;
  public_id: string;
  store_id: number;
  product_id: number;
  external_id: string | null;
  version: string;
  is_current: Generated<boolean>;
  /** `publish: true` on create: promote as soon as a file is registered. */
  publish_requested: Generated<boolean>;
  published_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ReleaseFilesTable {
  id: Generated<number>;
  public_id: string;
  store_id: number;
  release_id: number;
  storage_key: string;
  file_name: string;
  file_size: ColumnType<number, number, number>;
  mime_type: string;
  created_at: Generated<Date>;
}

export interface SectionsTable {
  id: Generated<number>;
  store_id: number;
  title: string;
  slug: string;
  hidden: boolean;
  order: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface GroupsTable {
  id: Generated<number>;
  store_id: number;
  title: string;
  order: number | null;
  unlisted: boolean;
  image: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  section_id: number | null;
  section_order: number | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface GroupProductsTable {
  group_id: number;
  product_id: number;
  order: number;
}
