import { readFileSync } from 'node:fs';
import { issueApiKey } from '../../src/accounts/api-keys';
import { dueNow } from '../helpers/affiliate-fixtures';
import type Stripe from 'stripe';
import { runPayoutCycle } from '../../src/affiliates/payouts';
import path from 'node:path';
import request from 'supertest';
import { z } from 'zod';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { createVariant, uploadFile, waitFor } from '../helpers/catalog-fixtures';
import { officialProgramSettings } from '../helpers/affiliate-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { stripeWebhook, subscribe } from '../helpers/subscription-fixtures';
import { startWebhookReceiver } from '../fakes/webhook-receiver';
import { type FakeWhatsApp, startWhatsApp } from '../fakes/whatsapp';
import { startSellerEndpoint } from '../fakes/seller-endpoint';
import * as m from '../fixtures/sellapp-official/models';

/**
 * The official SellApp SDKs decode what we answer: every routed operation of
 * test/fixtures/sellapp-official/operations.txt (the spec's operations in Sellflow's scope) is
 * called with the body the SDK sends, and its response must have the spec's status and validate
 * against the operation's official response model (test/fixtures/sellapp-official/models.ts).
 */
const STRIPE_WEBHOOK_SECRET = 'whsec_sdkconformance';
let stripe: StripeBilling;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let whatsapp: FakeWhatsApp;

/** What the cases below share: rows made once, through the API, as a seller would. */
const s = {} as {
  productId: number;
  variantId: number;
  licenseVariantId: number;
  /** A DOWNLOADABLE variant: its first file and a folder, and an upload not yet one of its files. */
  downloads: { productId: number; variantId: number; fileId: number; folderId: number; spareKey: string };
  /** A TEXT variant, whose stock is serials. */
  serials: { productId: number; variantId: number };
  invoiceId: number;
  licenseKeyId: number;
  licenseKey: string;
  instanceId: string;
  groupId: number;
  couponId: number;
  blacklistId: number;
  sectionId: number;
  ticketId: number;
  messageId: number;
  feedbackId: number;
  chargeId: number;
  affiliateId: number;
  /** A referral in a payout, another outside any, a referral-link visit, the payout. */
  referralId: number;
  freeReferralId: number;
  sessionId: number;
  payoutId: number;
  subscriptionId: number;
  /** The customer buyer@e.co's first order made, given the external id crm_buyer. */
  customerId: number;
  /** A webhook channel subscribed to product.created, and a delivery to it. */
  channelId: string;
  deliveryId: string;
  notificationChannelId: string;
  /** The failed dynamic step of the order stuckOrder() made last. */
  stuckStepId: number;
  /** An account-wide key of the store's account (creates stores). */
  accountKey: string;
  /** A customer-portal session of the subscriber (buyer@example.com). */
  portalToken: string;
  /** A referral of the SDK affiliate that is due and in no payout (POST …/payouts books it). */
  dueReferralId: number;
  /** The status token of the last WhatsApp connect. */
  statusToken: string;
  /** A refund of a paid order, and a dispute Stripe reported for another. */
  refundId: number;
  disputeId: string;
  /** A second variant of the portal subscription's product, and the previews the confirms apply. */
  proVariantId: number;
  planPreviewId: string;
  renewalPreviewId: string;
  renewal: { subscriptionId: number; token: string; date: string };
  /** A row the current case made to consume. */
  doomed: number;
  doomedInstance: string;
};

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
function send(method: Method, url: string, body?: unknown, token = store.live) {
  const call = request(h.app)[method](`/api${url}`).set('Authorization', `Bearer ${token}`);
  return body === undefined ? call : call.send(body as object);
}

/** The request models the SDKs validate before sending (what they can send, not all they may). */
const sdkRequest = {
  createProduct: z.object({ title: z.string(), description: z.string(), visibility: z.string() }).loose(),
  createInvoice: z
    .object({
      customer_email: z.email(),
      payment_method: z.string(),
      product_variants: z.record(z.string(), z.object({ quantity: z.number().int() }).loose()),
    })
    .loose(),
  createGroup: z
    .object({
      title: z.string(),
      unlisted: z.boolean(),
      order: z.number().int().nullable().optional(),
      product_ids: z.array(z.number().int()).optional(),
    })
    .loose(),
  createCoupon: z
    .object({
      code: z.string(),
      type: z.enum(['PERCENTAGE', 'AMOUNT']),
      discount: z.union([z.number(), z.string()]),
      store_wide: z.boolean(),
      products: z.array(z.number().int()).optional(),
      product_variants: z.array(z.number().int()).optional(),
    })
    .loose(),
  createBlacklist: z.object({ type: z.string(), data: z.string(), description: z.string() }).loose(),
  activate: z.object({ license_key: z.string(), instance_name: z.string() }).loose(),
  deactivate: z.object({ license_key: z.string(), instance_id: z.string() }).loose(),
  validate: z.object({ license_key: z.string(), instance_id: z.string().optional() }).loose(),
  createCharge: z
    .object({ email: z.email(), return_url: z.url(), currency: z.string().length(3).optional(), total: z.number().int().optional() })
    .loose(),
  replyToFeedback: z.object({ reply: z.string() }).loose(),
  createRefund: z.object({ amount: z.string().nullable().optional() }).loose(),
  cancelSubscription: z.object({ cancel_at_period_end: z.boolean(), refund_last_payment: z.boolean().optional() }).loose(),
  /** Sdk…SubscriptionPlanChangeRequestApplicationJson: target_variant_id (and the confirm's preview_token). */
  planChange: z
    .object({
      target_variant_id: z.number().int(),
      preview_token: z.string().optional(),
      effective_timing: z.string().optional(),
      proration_behavior: z.string().optional(),
    })
    .loose(),
  /** Sdk…SubscriptionRenewalDateChangeRequestApplicationJson: renewal_date, an optional preview_token and reason. */
  renewalDate: z.object({ renewal_date: z.string(), preview_token: z.string().optional(), reason: z.string().optional() }).loose(),
  /** The customer portal's one action body: every field optional. */
  portalChange: z
    .object({
      preview_id: z.string().optional(),
      product_variant_id: z.number().int().optional(),
      renewal_date: z.string().optional(),
      return_url: z.string().optional(),
      reason: z.string().optional(),
    })
    .loose(),
  appendSerials: z.object({ serials: z.array(z.string()), remove_duplicates: z.boolean().optional() }).loose(),
  issueReplacement: z.object({ product_variants: z.record(z.string(), z.unknown()) }).loose(),
  notificationChannel: z.object({ channel: z.object({}).loose() }).loose(),
  sectionMembers: z.object({ resources: z.array(z.number().int()) }).loose(),
  replaceProduct: z
    .object({ title: z.string().optional(), description: z.string().optional(), expected_updated_at: z.string().optional() })
    .loose(),
  replaceVariant: z
    .object({ title: z.string().optional(), description: z.string().optional(), expected_updated_at: z.string().optional() })
    .loose(),
  replacePricing: z
    .object({
      pricing: z.object({ type: z.string(), price: z.object({}).loose(), humble: z.boolean() }).loose(),
      payment_methods: z.array(z.string()),
      bulk_discount: z.array(z.object({}).loose()).optional(),
      expected_updated_at: z.string().optional(),
    })
    .loose(),
  updatePricing: z.object({ pricing: z.object({}).loose().optional(), payment_methods: z.array(z.string()).optional() }).loose(),
  importSerials: z
    .object({
      file: z.string(),
      parsing_mode: z.enum(['COMMA', 'NEW_LINE', 'SPACE', 'CUSTOM']),
      custom_delimiter: z.string().nullable().optional(),
      remove_duplicates: z.boolean().optional(),
      mode: z.enum(['append', 'replace']).optional(),
    })
    .loose(),
  replaceDeliverable: z
    .object({ types: z.array(z.string()), expected_updated_at: z.string().optional(), data: z.object({}).loose() })
    .loose(),
  fileSettings: z
    .object({
      custom_name: z.string().nullable().optional(),
      folder_id: z.number().int().nullable().optional(),
      watermark: z.boolean().optional(),
      limit_to_purchase_ip: z.boolean().optional(),
    })
    .loose(),
  createFolder: z
    .object({ name: z.string(), description: z.string().nullable().optional(), parent_id: z.number().int().nullable().optional() })
    .loose(),
  syncGroupProducts: z.object({ product_ids: z.array(z.number().int()) }).loose(),
  createCustomer: z
    .object({
      external_id: z.string().optional(),
      email: z.string(),
      name: z.string().nullable().optional(),
      locale: z.string().nullable().optional(),
      metadata: z.record(z.string(), z.unknown()).optional(),
    })
    .loose(),
  upsertCustomer: z.object({ email: z.string(), name: z.string().nullable().optional() }).loose(),
  replaceAffiliateProgram: z
    .object({
      enabled: z.boolean(),
      settings: z
        .object({
          auto_approve_affiliates: z.boolean(),
          minimum_payout: z.string(),
          commission: z.object({ type: z.enum(['percentage', 'fixed']), amount: z.string() }).loose(),
          referrer_type: z.enum(['first_referrer', 'last_referrer']),
          tracking_length: z.number().int().min(1).max(90),
          subscription_commission: z.boolean(),
          enabled_specific_products: z.boolean(),
          payout_methods: z.array(z.string()).min(1),
          enable_hub: z.boolean(),
        })
        .loose(),
      products: z.array(z.object({ id: z.number().int(), enabled: z.boolean(), commission: z.object({}).loose().optional() }).loose()),
    })
    .loose(),
  inviteAffiliate: z.object({ email: z.email().max(255) }).loose(),
  affiliateStatus: z.object({ status: z.enum(['active', 'disabled', 'rejected']) }).loose(),
  referralStatus: z.object({ status: z.enum(['accepted', 'in_review', 'rejected']) }).loose(),
  payoutStatus: z.object({ status: z.enum(['due', 'paid']) }).loose(),
  orderSearch: z
    .object({
      filters: z
        .array(z.object({ field: z.string(), operator: z.enum(['eq', 'contains', 'in']), value: z.unknown() }).strict())
        .max(25)
        .optional(),
      sort: z
        .array(z.object({ field: z.literal('created_at'), direction: z.enum(['asc', 'desc']) }).strict())
        .max(1)
        .optional(),
      pagination: z
        .object({ page: z.number().int().min(1).optional(), limit: z.number().int().min(1).max(100).optional() })
        .strict()
        .optional(),
    })
    .strict(),
  createStore: z.object({ name: z.string(), slug: z.string(), visibility: z.enum(['PUBLIC', 'HIDDEN', 'PRIVATE']).optional() }).loose(),
  replaceGeneralSettings: z
    .object({ name: z.string(), visibility: z.string(), timezone: z.string(), currency: z.string(), dark_mode: z.string().nullish() })
    .loose(),
  updateGeneralSettings: z
    .object({
      name: z.string().optional(),
      visibility: z.string().optional(),
      timezone: z.string().optional(),
      currency: z.string().optional(),
      dark_mode: z.string().nullish(),
    })
    .loose(),
  startCommunityConnection: z.object({ mode: z.enum(['account', 'official_bot', 'custom_bot']).optional() }).loose(),
  completeCommunityConnection: z.object({ status_token: z.string().max(4096), server_id: z.string().max(255) }).loose(),
  createWebhookChannel: z
    .object({ name: z.string().max(100).nullable().optional(), url: z.url().max(2048), allowed_notifications: z.array(z.string()) })
    .loose(),
};

type Params = Record<string, string | number>;

interface Case {
  /** As in operations.txt: `METHOD /v2/path/{param}`; the call fills the path from `params`. */
  op: string;
  status: number;
  response: z.ZodType;
  /** The path's parameters, making any row the call consumes first. */
  params?: () => Params | Promise<Params>;
  body?: () => unknown;
  /** The SDK's request model the body must satisfy. */
  request?: z.ZodType;
  /** The bearer the call presents when not the store's live key (an account-wide key, a customer session). */
  token?: () => string;
  /** Query parameters the SDK sends. */
  query?: () => Record<string, string>;
}

async function freshProduct(title: string) {
  return (await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } } }, { title })).productId;
}
const manualVariant = () => createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
const variantBody = (title: string) => ({
  title,
  description: 'd',
  deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } },
  pricing: { humble: false, price: { price: 500, currency: 'USD' } },
  payment_methods: ['PAYPAL'],
});
let coupons = 0;
/** Coupon codes are unique per store: each case's coupon gets its own. */
const couponCode = (prefix: string) => `${prefix}${(coupons += 1)}`;
const created = async (url: string, body: object) => (await send('post', url, body)).body.data.id as number;
/** A subscription of the portal's customer (buyer@example.com) an action may end. */
const freshSubscription = async () =>
  (await subscribe(h, store.live, stripe, stripeWebhook(h, store.slug, STRIPE_WEBHOOK_SECRET), 3600)).id;

/** A 30.00 monthly variant of the product a subscription bills: where a plan change moves it. */
async function proVariantOf(subscriptionId: number): Promise<number> {
  const { product_id } = await h.db
    .selectFrom('subscriptions as s')
    .innerJoin('product_variants as v', 'v.id', 's.product_variant_id')
    .select('v.product_id')
    .where('s.id', '=', subscriptionId)
    .executeTakeFirstOrThrow();
  return created(`/v2/products/${product_id}/variants`, {
    title: 'Pro',
    description: 'd',
    pricing: { humble: false, price: { price: 3000, currency: 'USD' }, type: 'SUBSCRIPTION', frequency: { value: 1, interval: 'MONTH' } },
    payment_methods: ['STRIPE'],
    deliverable: { types: ['LICENSE_KEY'], data: { license_key: { prefix: 'PRO', limit: 1, expires_in_days: null } } },
  });
}
/** A renewal date ten days out, as a date-time or (the portal's example) a calendar date. */
const renewalIn = (days: number) => new Date(Date.now() + days * 24 * 3600_000).toISOString().slice(0, 10);

const product = () => ({ product: s.productId });
const downloads = () => ({ product: s.downloads.productId, variant: s.downloads.variantId });
const downloadFile = () => ({ ...downloads(), file: s.downloads.fileId });
const downloadFolder = () => ({ ...downloads(), folder: s.downloads.folderId });
const variant = () => ({ product: s.productId, variant: s.variantId });
const items = <T extends z.ZodType>(item: T) => m.obj({ data: z.array(item) });

const cases: Case[] = [
  // Products and variants
  { op: 'GET /v2/products', status: 200, response: m.openPage(m.product) },
  {
    op: 'POST /v2/products',
    status: 201,
    response: m.one(m.product),
    body: () => ({ title: 'Created', description: 'd', visibility: 'PUBLIC' }),
    request: sdkRequest.createProduct,
  },
  { op: 'GET /v2/products/{product}', status: 200, response: m.one(m.product), params: product },
  { op: 'PATCH /v2/products/{product}', status: 200, response: m.one(m.product), params: product, body: () => ({ title: 'Renamed' }) },
  {
    op: 'PUT /v2/products/{product}',
    status: 200,
    response: m.one(m.product),
    params: product,
    body: () => ({ title: 'Replaced', description: 'd', visibility: 'PUBLIC' }),
    request: sdkRequest.replaceProduct,
  },
  {
    op: 'DELETE /v2/products/{product}',
    status: 200,
    response: m.one(m.product),
    params: async () => ({ product: await freshProduct('Doomed') }),
  },
  { op: 'POST /v2/products/search', status: 200, response: m.openPage(m.product), body: () => ({}) },
  {
    op: 'POST /v2/products/batch',
    status: 200,
    response: items(m.product),
    body: () => ({ resources: [{ title: 'Batch', description: 'd', visibility: 'PUBLIC' }] }),
  },
  {
    op: 'PATCH /v2/products/batch',
    status: 200,
    response: items(m.product),
    body: () => ({ resources: { [s.productId]: { title: 'Batched' } } }),
  },
  {
    op: 'DELETE /v2/products/batch',
    status: 200,
    response: items(m.product),
    params: async () => {
      s.doomed = await freshProduct('Batch doomed');
      return {};
    },
    body: () => ({ resources: [s.doomed] }),
  },
  { op: 'GET /v2/products/{product}/variants', status: 200, response: m.openPage(m.variant), params: product },
  {
    op: 'POST /v2/products/{product}/variants',
    status: 201,
    response: m.one(m.variant),
    params: product,
    body: () => variantBody('Second'),
  },
  { op: 'GET /v2/products/{product}/variants/{variant}', status: 200, response: m.one(m.variant), params: variant },
  {
    op: 'PATCH /v2/products/{product}/variants/{variant}',
    status: 200,
    response: m.one(m.variant),
    params: variant,
    body: () => ({ title: 'Renamed' }),
  },
  {
    op: 'PUT /v2/products/{product}/variants/{variant}',
    status: 200,
    response: m.one(m.variant),
    params: variant,
    body: () => ({ title: 'Replaced', description: 'd' }),
    request: sdkRequest.replaceVariant,
  },
  {
    op: 'PUT /v2/products/{product}/variants/{variant}/pricing',
    status: 200,
    response: m.one(m.variant),
    params: variant,
    body: () => ({
      pricing: { type: 'SINGLE_PAYMENT', price: { price: 700, currency: 'USD' }, humble: false },
      payment_methods: ['PAYPAL'],
    }),
    request: sdkRequest.replacePricing,
  },
  {
    op: 'PATCH /v2/products/{product}/variants/{variant}/pricing',
    status: 200,
    response: m.one(m.variant),
    params: variant,
    body: () => ({ pricing: { price: { price: 800, currency: 'USD' } } }),
    request: sdkRequest.updatePricing,
  },
  {
    op: 'DELETE /v2/products/{product}/variants/{variant}',
    status: 200,
    response: m.one(m.variant),
    params: async () => {
      const made = await manualVariant();
      return { product: made.productId, variant: made.variantId };
    },
  },
  { op: 'POST /v2/products/{product}/variants/search', status: 200, response: m.openPage(m.variant), params: product, body: () => ({}) },
  {
    op: 'POST /v2/products/{product}/variants/batch',
    status: 200,
    response: items(m.variant),
    params: product,
    body: () => ({ resources: [variantBody('Batch')] }),
  },
  {
    op: 'PATCH /v2/products/{product}/variants/batch',
    status: 200,
    response: items(m.variant),
    params: product,
    body: () => ({ resources: { [s.variantId]: { title: 'Batched' } } }),
  },
  {
    op: 'DELETE /v2/products/{product}/variants/batch',
    status: 200,
    response: items(m.variant),
    params: async () => {
      const made = await manualVariant();
      s.doomed = made.variantId;
      return { product: made.productId };
    },
    body: () => ({ resources: [s.doomed] }),
  },
  { op: 'GET /v2/products/{product}/variants/{variant}/serials', status: 200, response: m.page(m.anyObject), params: variant },
  {
    op: 'POST /v2/products/{product}/variants/{variant}/serials',
    status: 201,
    response: m.one(m.anyObject),
    params: () => ({ product: s.serials.productId, variant: s.serials.variantId }),
    body: () => ({ serials: ['S-1', 'S-2', 'S-2'], remove_duplicates: true }),
    request: sdkRequest.appendSerials,
  },
  {
    op: 'PUT /v2/products/{product}/variants/{variant}/serials',
    status: 200,
    response: m.one(m.serialInventoryReplaced),
    params: () => ({ product: s.serials.productId, variant: s.serials.variantId }),
    body: () => ({ serials: ['R-1', 'R-2', 'R-2'], remove_duplicates: true }),
    request: sdkRequest.appendSerials,
  },
  {
    op: 'POST /v2/products/{product}/variants/{variant}/serials/import',
    status: 202,
    response: m.one(m.serialImportQueued),
    params: () => ({ product: s.serials.productId, variant: s.serials.variantId }),
    body: () => ({ file: 'I-1\nI-2\n', parsing_mode: 'NEW_LINE', remove_duplicates: true }),
    request: sdkRequest.importSerials,
  },
  {
    op: 'DELETE /v2/products/{product}/variants/{variant}/serials/{serial}',
    status: 200,
    response: m.one(m.serialInventoryEntry),
    params: async () => {
      const path = `/v2/products/${s.serials.productId}/variants/${s.serials.variantId}/serials?status=AVAILABLE`;
      const serial = (await send('get', path)).body.data[0].id as number;
      return { product: s.serials.productId, variant: s.serials.variantId, serial };
    },
  },

  // Customers
  { op: 'GET /v2/customers', status: 200, response: m.page(m.customer) },
  {
    op: 'POST /v2/customers',
    status: 201,
    response: m.one(m.customer),
    body: () => ({
      email: `maya${(coupons += 1)}@e.co`,
      external_id: `crm_maya_${coupons}`,
      name: 'Maya Chen',
      locale: 'en-GB',
      metadata: { plan: 'standard', seats: 3 },
    }),
    request: sdkRequest.createCustomer,
  },
  {
    op: 'POST /v2/customers/search',
    status: 200,
    response: m.page(m.customer),
    body: () => ({ filters: [{ field: 'email', operator: '=', value: 'buyer@e.co' }], sort: [{ field: 'created_at', direction: 'desc' }] }),
  },
  { op: 'GET /v2/customers/{customer}', status: 200, response: m.one(m.customer), params: () => ({ customer: s.customerId }) },
  {
    op: 'PATCH /v2/customers/{customer}',
    status: 200,
    response: m.one(m.customer),
    params: () => ({ customer: s.customerId }),
    body: () => ({ locale: 'en-US' }),
  },
  { op: 'GET /v2/customers/external/{externalId}', status: 200, response: m.one(m.customer), params: () => ({ externalId: 'crm_buyer' }) },
  {
    op: 'PUT /v2/customers/external/{externalId}',
    status: 200,
    response: m.one(m.customer),
    params: () => ({ externalId: 'crm_buyer' }),
    body: () => ({ email: 'buyer@e.co', name: 'Buyer' }),
    request: sdkRequest.upsertCustomer,
  },
  {
    op: 'PATCH /v2/customers/external/{externalId}',
    status: 200,
    response: m.one(m.customer),
    params: () => ({ externalId: 'crm_buyer' }),
    body: () => ({ locale: 'en-GB' }),
  },
  {
    op: 'GET /v2/customers/{customer}/entitlements',
    status: 200,
    response: items(m.entitlement),
    params: () => ({ customer: s.customerId }),
  },
  {
    op: 'GET /v2/customers/external/{externalId}/entitlements',
    status: 200,
    response: items(m.entitlement),
    params: () => ({ externalId: 'crm_buyer' }),
  },

  // Variant deliverable: configuration, files and folders (s.downloads: a DOWNLOADABLE variant with one file)
  { op: 'GET /v2/products/{product}/variants/{variant}/deliverable', status: 200, response: m.one(m.deliverableSettings), params: variant },
  {
    op: 'PUT /v2/products/{product}/variants/{variant}/deliverable',
    status: 200,
    response: m.one(m.deliverableSettings),
    params: variant,
    body: () => ({ types: ['MANUAL'], data: { comment: 'Thanks again' } }),
    request: sdkRequest.replaceDeliverable,
  },
  {
    op: 'GET /v2/products/{product}/variants/{variant}/deliverable/files',
    status: 200,
    response: m.page(m.deliverableFile),
    params: downloads,
  },
  {
    op: 'POST /v2/products/{product}/variants/{variant}/deliverable/files',
    status: 201,
    response: m.one(m.deliverableFile),
    params: downloads,
    body: () => ({ key: s.downloads.spareKey, folder_id: null }),
  },
  {
    op: 'GET /v2/products/{product}/variants/{variant}/deliverable/files/{file}',
    status: 200,
    response: m.one(m.deliverableFile),
    params: downloadFile,
  },
  {
    op: 'PUT /v2/products/{product}/variants/{variant}/deliverable/files/{file}',
    status: 200,
    response: m.one(m.deliverableFile),
    params: downloadFile,
    body: () => ({ custom_name: 'Guide.pdf', folder_id: s.downloads.folderId }),
    request: sdkRequest.fileSettings,
  },
  {
    op: 'PATCH /v2/products/{product}/variants/{variant}/deliverable/files/{file}',
    status: 200,
    response: m.one(m.deliverableFile),
    params: downloadFile,
    body: () => ({ custom_name: 'Handbook.pdf' }),
    request: sdkRequest.fileSettings,
  },
  {
    op: 'DELETE /v2/products/{product}/variants/{variant}/deliverable/files/{file}',
    status: 200,
    response: m.one(m.deliverableFile),
    params: async () => {
      const listed = await send('get', `/v2/products/${s.downloads.productId}/variants/${s.downloads.variantId}/deliverable/files`);
      const spare = (listed.body.data as { id: number }[]).find((f) => f.id !== s.downloads.fileId)!;
      return { ...downloads(), file: spare.id };
    },
  },
  {
    op: 'GET /v2/products/{product}/variants/{variant}/deliverable/folders',
    status: 200,
    response: m.page(m.deliverableFolder),
    params: downloads,
  },
  {
    op: 'POST /v2/products/{product}/variants/{variant}/deliverable/folders',
    status: 201,
    response: m.one(m.deliverableFolder),
    params: downloads,
    body: () => ({ name: 'Extras', description: null, parent_id: null }),
    request: sdkRequest.createFolder,
  },
  {
    op: 'GET /v2/products/{product}/variants/{variant}/deliverable/folders/{folder}',
    status: 200,
    response: m.one(m.deliverableFolder),
    params: downloadFolder,
  },
  {
    op: 'PUT /v2/products/{product}/variants/{variant}/deliverable/folders/{folder}',
    status: 200,
    response: m.one(m.deliverableFolder),
    params: downloadFolder,
    body: () => ({ name: 'Docs', sort_order: 1 }),
  },
  {
    op: 'PATCH /v2/products/{product}/variants/{variant}/deliverable/folders/{folder}',
    status: 200,
    response: m.one(m.deliverableFolder),
    params: downloadFolder,
    body: () => ({ description: 'Manuals' }),
  },
  {
    op: 'DELETE /v2/products/{product}/variants/{variant}/deliverable/folders/{folder}',
    status: 200,
    response: m.one(m.deliverableFolder),
    params: async () => {
      const id = await created(`/v2/products/${s.downloads.productId}/variants/${s.downloads.variantId}/deliverable/folders`, {
        name: 'Doomed',
      });
      return { ...downloads(), folder: id };
    },
  },

  // Groups
  { op: 'GET /v2/groups', status: 200, response: m.openPage(m.group) },
  {
    op: 'POST /v2/groups',
    status: 201,
    response: m.one(m.group),
    body: () => ({ title: 'Created', unlisted: false, order: 1 }),
    request: sdkRequest.createGroup,
  },
  { op: 'GET /v2/groups/{group}', status: 200, response: m.one(m.group), params: () => ({ group: s.groupId }) },
  {
    op: 'PATCH /v2/groups/{group}',
    status: 200,
    response: m.one(m.group),
    params: () => ({ group: s.groupId }),
    body: () => ({ title: 'Renamed' }),
  },
  {
    op: 'DELETE /v2/groups/{group}',
    status: 200,
    response: m.one(m.group),
    params: async () => ({ group: await created('/v2/groups', { title: 'Doomed', unlisted: true }) }),
  },
  { op: 'POST /v2/groups/search', status: 200, response: m.openPage(m.group), body: () => ({}) },
  {
    op: 'POST /v2/groups/{group}/products/attach',
    status: 200,
    response: m.anyObject,
    params: () => ({ group: s.groupId }),
    body: () => ({ resources: [s.productId] }),
  },
  {
    op: 'DELETE /v2/groups/{group}/products/detach',
    status: 200,
    response: m.anyObject,
    params: async () => {
      s.doomed = await freshProduct('Detached');
      await send('post', `/v2/groups/${s.groupId}/products/attach`, { resources: [s.doomed] });
      return { group: s.groupId };
    },
    body: () => ({ resources: [s.doomed] }),
  },
  { op: 'GET /v2/groups/{group}/products', status: 200, response: m.openPage(m.groupProduct), params: () => ({ group: s.groupId }) },
  {
    op: 'PUT /v2/groups/{group}/products',
    status: 200,
    response: m.one(m.group),
    params: () => ({ group: s.groupId }),
    body: () => ({ product_ids: [s.productId] }),
    request: sdkRequest.syncGroupProducts,
  },
  {
    op: 'POST /v2/groups/{group}/products/search',
    status: 200,
    response: m.openPage(m.groupProduct),
    params: () => ({ group: s.groupId }),
    body: () => ({}),
  },
  {
    op: 'GET /v2/groups/{group}/products/{product}',
    status: 200,
    response: m.one(m.groupProduct),
    params: () => ({ group: s.groupId, product: s.productId }),
  },

  // Invoices
  { op: 'GET /v2/invoices', status: 200, response: m.openPage(m.invoice) },
  {
    op: 'POST /v2/invoices',
    status: 201,
    response: m.one(m.createdInvoice),
    body: () => ({ customer_email: 'sdk@e.co', payment_method: 'PAYPAL', product_variants: { [s.variantId]: { quantity: 1 } } }),
    request: sdkRequest.createInvoice,
  },
  { op: 'POST /v2/invoices/search', status: 200, response: m.openPage(m.invoice), body: () => ({}) },
  { op: 'GET /v2/invoices/{invoice}', status: 200, response: m.one(m.invoice), params: () => ({ invoice: s.invoiceId }) },
  { op: 'GET /v2/invoices/{invoice}/deliverables', status: 200, response: items(m.anyObject), params: () => ({ invoice: s.invoiceId }) },
  {
    op: 'POST /v2/invoices/{invoice}/checkout',
    status: 200,
    response: m.obj({ message: m.str, payment_url: m.str.optional(), invoice: m.invoice }),
    params: async () => ({ invoice: await pendingInvoice({ price: 0 }) }),
  },
  {
    op: 'PATCH /v2/invoices/{invoice}/mark-completed',
    status: 200,
    response: m.invoice,
    params: async () => ({ invoice: await pendingInvoice() }),
  },
  {
    op: 'PATCH /v2/invoices/{invoice}/mark-voided',
    status: 200,
    response: m.invoice,
    params: async () => ({ invoice: await pendingInvoice() }),
  },
  {
    op: 'PATCH /v2/invoices/{invoice}/status',
    status: 200,
    response: m.invoice,
    params: async () => ({ invoice: await pendingInvoice() }),
    body: () => ({ status: 'COMPLETED', expected_status: 'PENDING' }),
  },
  {
    op: 'POST /v2/invoices/{invoice}/fulfillment-retries',
    status: 200,
    response: m.fulfillmentRetry,
    params: async () => ({ invoice: await stuckOrder() }),
    body: () => ({}),
  },
  {
    op: 'POST /v2/invoices/{invoice}/dynamic-delivery-retries',
    status: 200,
    response: m.dynamicDeliveryRetry,
    params: async () => ({ invoice: await stuckOrder() }),
    body: () => ({ delivered_product_id: s.stuckStepId }),
  },
  {
    op: 'POST /v2/invoices/{invoice}/fulfillment-notifications',
    status: 200,
    response: m.fulfillmentNotifications,
    params: () => ({ invoice: s.invoiceId }),
    body: () => ({}),
  },
  {
    op: 'PATCH /v2/invoices/{invoice}/issue-replacement',
    status: 200,
    response: m.invoice,
    params: () => ({ invoice: s.invoiceId }),
    body: () => ({ product_variants: { [s.licenseVariantId]: { quantity: 1 } } }),
    request: sdkRequest.issueReplacement,
  },

  // Orders and line items: the same invoices, in the spec's order model
  { op: 'GET /v2/orders', status: 200, response: m.page(m.order) },
  {
    op: 'POST /v2/orders',
    status: 201,
    response: m.one(m.orderWithCheckout),
    body: () => ({ customer_email: 'order@e.co', payment_method: 'PAYPAL', product_variants: { [s.variantId]: { quantity: 1 } } }),
    request: sdkRequest.createInvoice,
  },
  {
    op: 'POST /v2/orders/search',
    status: 200,
    response: m.page(m.order),
    body: () => ({
      filters: [{ field: 'status', operator: 'in', value: ['COMPLETED'] }],
      sort: [{ field: 'created_at', direction: 'desc' }],
      pagination: { page: 1, limit: 25 },
    }),
    request: sdkRequest.orderSearch,
  },
  { op: 'GET /v2/orders/{order}', status: 200, response: m.one(m.order), params: () => ({ order: s.invoiceId }) },
  {
    op: 'PATCH /v2/orders/{order}/status',
    status: 200,
    response: m.one(m.order),
    params: async () => ({ order: await pendingInvoice() }),
    body: () => ({ status: 'COMPLETED', expected_status: 'PENDING' }),
  },
  {
    op: 'POST /v2/orders/{order}/checkout',
    status: 200,
    response: m.orderCheckout,
    params: async () => ({ order: await pendingInvoice({ price: 0 }) }),
    body: () => ({}),
  },
  {
    op: 'POST /v2/orders/{order}/replacements',
    status: 200,
    response: m.one(m.order),
    params: () => ({ order: s.invoiceId }),
    body: () => ({ product_variants: [s.licenseVariantId] }),
  },
  {
    op: 'POST /v2/orders/{order}/fulfillment-retries',
    status: 200,
    response: m.orderFulfillmentRetry,
    params: async () => ({ order: await stuckOrder() }),
    body: () => ({}),
  },
  {
    op: 'POST /v2/orders/{order}/dynamic-delivery-retries',
    status: 202,
    response: m.orderDynamicDeliveryRetry,
    params: async () => ({ order: await stuckOrder() }),
    body: () => ({ delivered_product_id: s.stuckStepId }),
  },
  {
    op: 'POST /v2/orders/{order}/fulfillment-notifications',
    status: 200,
    response: m.orderFulfillmentNotifications,
    params: () => ({ order: s.invoiceId }),
    body: () => ({}),
  },
  { op: 'GET /v2/orders/{order}/deliverables', status: 200, response: items(m.orderDeliverable), params: () => ({ order: s.invoiceId }) },
  { op: 'GET /v2/orders/{order}/events', status: 200, response: m.orderEvents, params: () => ({ order: s.invoiceId }) },
  { op: 'GET /v2/orders/{order}/line-items', status: 200, response: m.page(m.lineItem), params: () => ({ order: s.invoiceId }) },
  {
    op: 'GET /v2/orders/{order}/line-items/{lineItem}',
    status: 200,
    response: m.one(m.lineItem),
    params: async () => ({ order: s.invoiceId, lineItem: await firstLineItem(s.invoiceId) }),
  },
  {
    op: 'POST /v2/orders/{order}/line-items/search',
    status: 200,
    response: m.page(m.lineItem),
    params: () => ({ order: s.invoiceId }),
    body: () => ({ filters: [{ field: 'quantity', operator: 'gte', value: 1 }], sort: [{ field: 'total', direction: 'desc' }] }),
  },
  { op: 'GET /v2/line-items', status: 200, response: m.page(m.lineItem) },
  {
    op: 'GET /v2/line-items/{lineItem}',
    status: 200,
    response: m.one(m.lineItem),
    params: async () => ({ lineItem: await firstLineItem(s.invoiceId) }),
  },
  {
    op: 'POST /v2/line-items/search',
    status: 200,
    response: m.page(m.lineItem),
    body: () => ({
      filters: [{ field: 'status', operator: 'eq', value: 'COMPLETED' }],
      sort: [{ field: 'created_at', direction: 'desc' }],
      pagination: { page: 1, limit: 10 },
    }),
  },

  // Licenses
  {
    op: 'POST /v2/licenses/activate',
    status: 200,
    response: m.one(m.licenseInstance),
    body: () => ({ license_key: s.licenseKey, instance_name: 'laptop' }),
    request: sdkRequest.activate,
  },
  {
    op: 'POST /v2/licenses/validate',
    status: 200,
    response: m.one(m.licenseValidation),
    body: () => ({ license_key: s.licenseKey, instance_id: s.instanceId }),
    request: sdkRequest.validate,
  },
  {
    op: 'POST /v2/licenses/deactivate',
    status: 200,
    response: m.one(m.obj({ deactivated: m.bool, instance_id: m.str })),
    params: async () => {
      s.doomedInstance = (
        await send('post', '/v2/licenses/activate', { license_key: s.licenseKey, instance_name: 'old phone' })
      ).body.data.id;
      return {};
    },
    body: () => ({ license_key: s.licenseKey, instance_id: s.doomedInstance }),
    request: sdkRequest.deactivate,
  },
  { op: 'GET /v2/license-keys', status: 200, response: m.openPage(m.licenseKey) },
  { op: 'GET /v2/license-keys/{license_key}', status: 200, response: m.one(m.licenseKey), params: () => ({ license_key: s.licenseKeyId }) },
  {
    op: 'PATCH /v2/license-keys/{license_key}',
    status: 200,
    response: m.one(m.licenseKey),
    params: () => ({ license_key: s.licenseKeyId }),
    body: () => ({ limit: 5 }),
  },
  {
    op: 'GET /v2/license-keys/{license_key}/instances',
    status: 200,
    response: m.openPage(m.licenseInstance),
    params: () => ({ license_key: s.licenseKeyId }),
  },
  {
    op: 'GET /v2/license-keys/{license_key}/instances/{instance}',
    status: 200,
    response: m.one(m.licenseInstance),
    params: () => ({ license_key: s.licenseKeyId, instance: s.instanceId }),
  },
  { op: 'GET /v2/license-key-instances', status: 200, response: m.openPage(m.licenseInstance) },

  // Charges
  { op: 'GET /v2/charges', status: 200, response: m.page(m.chargeSummary) },
  {
    op: 'POST /v2/charges',
    status: 201,
    response: m.one(m.chargeSummary),
    body: () => ({
      email: 'payer@e.co',
      return_url: 'https://shop.example/thanks',
      currency: 'USD',
      total: 1500,
      payment_method: 'PAYPAL',
    }),
    request: sdkRequest.createCharge,
  },
  // Refunds and disputes (PAYPAL orders: recorded for the seller to pay out by hand)
  {
    op: 'POST /v2/orders/{order}/refunds',
    status: 200,
    response: m.orderRefund,
    params: async () => ({ order: await paidOrder() }),
    body: () => ({ amount: '2.50' }),
    request: sdkRequest.createRefund,
  },
  {
    op: 'POST /v2/invoices/{invoice}/refunds',
    status: 200,
    response: m.invoiceRefund,
    params: async () => ({ invoice: await paidOrder() }),
    body: () => ({}),
    request: sdkRequest.createRefund,
  },
  { op: 'GET /v2/refunds', status: 200, response: m.page(m.refund) },
  { op: 'GET /v2/refunds/{refund}', status: 200, response: m.one(m.refund), params: () => ({ refund: s.refundId }) },
  { op: 'GET /v2/disputes', status: 200, response: m.page(m.dispute) },
  { op: 'GET /v2/disputes/{dispute}', status: 200, response: m.one(m.dispute), params: () => ({ dispute: s.disputeId }) },
  { op: 'GET /v2/charges/{charge}', status: 200, response: m.one(m.chargeSummary), params: () => ({ charge: s.chargeId }) },
  {
    op: 'PUT /v2/charges/{charge_id}/completed',
    status: 200,
    response: m.message,
    params: async () => ({ charge_id: await pendingCharge() }),
  },
  {
    op: 'PUT /v2/charges/{charge_id}/voided',
    status: 200,
    response: m.message,
    params: async () => ({ charge_id: await pendingCharge() }),
  },

  // Who the key is
  { op: 'GET /v2/me', status: 200, response: m.one(m.account) },
  { op: 'GET /v2/stores', status: 200, response: m.obj({ data: z.array(m.storeSummary) }) },
  { op: 'GET /v2/stores/{store}', status: 200, response: m.one(m.storeSummary), params: () => ({ store: store.slug }) },
  { op: 'GET /v2/permissions', status: 200, response: m.one(m.keyPermissions) },
  {
    op: 'POST /v2/stores',
    status: 201,
    response: m.one(m.createdStore),
    body: () => ({ name: 'Second shop', slug: `Second-${(coupons += 1)}`, visibility: 'HIDDEN' }),
    request: sdkRequest.createStore,
    token: () => s.accountKey,
  },
  { op: 'GET /v2/store/settings', status: 200, response: m.one(m.storeSettings) },
  {
    op: 'PUT /v2/store/settings/general',
    status: 200,
    response: m.one(m.storeSettings),
    body: () => ({ name: 'SDK shop', visibility: 'PUBLIC', timezone: 'UTC', currency: 'USD', dark_mode: 'dark' }),
    request: sdkRequest.replaceGeneralSettings,
  },
  {
    op: 'PATCH /v2/store/settings/general',
    status: 200,
    response: m.one(m.storeSettings),
    body: () => ({ name: 'SDK shop renamed' }),
    request: sdkRequest.updateGeneralSettings,
  },

  // Customer sessions and the customer portal (the subscriber's session)
  {
    op: 'POST /v2/customer-sessions',
    status: 201,
    response: m.one(m.customerSession),
    body: () => ({ customer_id: s.customerId }),
  },
  {
    op: 'DELETE /v2/customer-sessions/{session}',
    status: 200,
    response: m.revokedSession,
    params: async () => ({ session: (await send('post', '/v2/customer-sessions', { customer_id: s.customerId })).body.data.id as string }),
  },
  { op: 'GET /v2/customer-portal/me', status: 200, response: m.one(m.customerProfile), token: () => s.portalToken },
  {
    op: 'PATCH /v2/customer-portal/me',
    status: 200,
    response: m.one(m.customerProfile),
    body: () => ({ name: 'Sub Scriber', locale: 'en-GB' }),
    token: () => s.portalToken,
  },
  {
    // The model has `email`, but only the seller changes it: another e-mail is a 422 the SDKs decode.
    op: 'PATCH /v2/customer-portal/me',
    status: 422,
    response: m.validationErrorResponse,
    body: () => ({ email: 'someone-else@e.co' }),
    token: () => s.portalToken,
  },
  { op: 'GET /v2/customer-portal/orders', status: 200, response: items(m.portalOrder), token: () => s.portalToken },
  {
    op: 'GET /v2/customer-portal/orders/{order}',
    status: 200,
    response: m.one(m.portalOrder),
    params: async () => ({ order: (await send('get', '/v2/customer-portal/orders', undefined, s.portalToken)).body.data[0].id as number }),
    token: () => s.portalToken,
  },
  { op: 'GET /v2/customer-portal/subscriptions', status: 200, response: items(m.portalSubscription), token: () => s.portalToken },
  {
    op: 'GET /v2/customer-portal/subscriptions/{subscription}',
    status: 200,
    response: m.one(m.portalSubscription),
    params: () => ({ subscription: s.subscriptionId }),
    token: () => s.portalToken,
  },
  {
    op: 'GET /v2/customer-portal/subscriptions/{subscription}/capabilities',
    status: 200,
    response: m.one(m.portalSubscriptionCapabilities),
    params: () => ({ subscription: s.subscriptionId }),
    token: () => s.portalToken,
  },
  {
    op: 'POST /v2/customer-portal/subscriptions/{productSubscription}/actions/pause',
    status: 200,
    response: m.one(m.subscriptionAction),
    params: () => ({ productSubscription: s.subscriptionId }),
    token: () => s.portalToken,
  },
  {
    op: 'POST /v2/customer-portal/subscriptions/{productSubscription}/actions/resume',
    status: 200,
    response: m.one(m.subscriptionAction),
    params: () => ({ productSubscription: s.subscriptionId }),
    token: () => s.portalToken,
  },
  {
    op: 'POST /v2/customer-portal/subscriptions/{productSubscription}/actions/update-payment-method',
    status: 200,
    response: m.str,
    params: () => ({ productSubscription: s.subscriptionId }),
    body: () => ({ return_url: 'https://shop.example/account' }),
    token: () => s.portalToken,
  },
  {
    op: 'POST /v2/customer-portal/subscriptions/{productSubscription}/actions/change-plan/preview',
    status: 200,
    response: m.one(m.portalSubscriptionChange),
    params: async () => {
      s.proVariantId = await proVariantOf(s.subscriptionId);
      return { productSubscription: s.subscriptionId };
    },
    body: () => ({ product_variant_id: s.proVariantId }),
    request: sdkRequest.portalChange,
    token: () => s.portalToken,
  },
  {
    op: 'POST /v2/customer-portal/subscriptions/{productSubscription}/actions/change-plan/confirm',
    status: 200,
    response: m.one(m.portalSubscriptionChange),
    params: async () => {
      const url = `/v2/customer-portal/subscriptions/${s.subscriptionId}/actions/change-plan/preview`;
      s.planPreviewId = (await send('post', url, { product_variant_id: s.proVariantId }, s.portalToken)).body.data.preview_id;
      return { productSubscription: s.subscriptionId };
    },
    body: () => ({ preview_id: s.planPreviewId }),
    request: sdkRequest.portalChange,
    token: () => s.portalToken,
  },
  {
    op: 'POST /v2/customer-portal/subscriptions/{productSubscription}/actions/change-renewal-date/preview',
    status: 200,
    response: m.one(m.portalSubscriptionChange),
    params: () => ({ productSubscription: s.subscriptionId }),
    body: () => ({ renewal_date: renewalIn(10) }),
    request: sdkRequest.portalChange,
    token: () => s.portalToken,
  },
  {
    op: 'POST /v2/customer-portal/subscriptions/{productSubscription}/actions/change-renewal-date/confirm',
    status: 200,
    response: m.one(m.portalSubscriptionChange),
    params: async () => {
      const url = `/v2/customer-portal/subscriptions/${s.subscriptionId}/actions/change-renewal-date/preview`;
      s.renewalPreviewId = (await send('post', url, { renewal_date: renewalIn(12) }, s.portalToken)).body.data.preview_id;
      return { productSubscription: s.subscriptionId };
    },
    body: () => ({ preview_id: s.renewalPreviewId }),
    request: sdkRequest.portalChange,
    token: () => s.portalToken,
  },
  {
    op: 'POST /v2/customer-portal/subscriptions/{productSubscription}/actions/cancel-immediately',
    status: 200,
    response: m.one(m.subscriptionAction),
    params: async () => ({ productSubscription: await freshSubscription() }),
    token: () => s.portalToken,
  },
  {
    op: 'POST /v2/customer-portal/subscriptions/{productSubscription}/actions/cancel-period-end',
    status: 200,
    response: m.one(m.subscriptionAction),
    params: async () => ({ productSubscription: await freshSubscription() }),
    token: () => s.portalToken,
  },
  { op: 'GET /v2/customer-portal/entitlements', status: 200, response: items(m.entitlement), token: () => s.portalToken },

  // Subscriptions and affiliates
  { op: 'GET /v2/subscriptions', status: 200, response: m.openPage(m.subscription) },
  {
    op: 'POST /v2/subscriptions/search',
    status: 200,
    response: m.openPage(m.subscription),
    body: () => ({ filters: [{ field: 'status', operator: '=', value: 'ACTIVE' }], sort: [{ field: 'created_at', direction: 'desc' }] }),
  },
  {
    op: 'GET /v2/subscriptions/{productSubscription}',
    status: 200,
    response: m.one(m.subscription),
    params: () => ({ productSubscription: s.subscriptionId }),
  },
  {
    op: 'GET /v2/subscriptions/{productSubscription}/capabilities',
    status: 200,
    response: m.one(m.subscriptionCapabilities),
    params: () => ({ productSubscription: s.subscriptionId }),
  },
  {
    op: 'POST /v2/subscriptions/{productSubscription}/actions/pause',
    status: 200,
    response: m.one(m.subscriptionAction),
    params: () => ({ productSubscription: s.subscriptionId }),
  },
  {
    op: 'POST /v2/subscriptions/{productSubscription}/actions/resume',
    status: 200,
    response: m.one(m.subscriptionAction),
    params: () => ({ productSubscription: s.subscriptionId }),
  },
  {
    op: 'POST /v2/subscriptions/{productSubscription}/actions/update-payment-method',
    status: 200,
    response: m.str,
    params: () => ({ productSubscription: s.subscriptionId }),
    body: () => ({ return_url: 'https://shop.example/account' }),
  },
  {
    // The customer's action: the official API answers a seller with a 422, and so do we.
    op: 'POST /v2/subscriptions/{productSubscription}/actions/change-plan/preview',
    status: 422,
    response: m.validationErrorResponse,
    params: () => ({ productSubscription: s.subscriptionId }),
    body: () => ({ target_variant_id: s.proVariantId, effective_timing: 'immediate', proration_behavior: 'provider_default' }),
    request: sdkRequest.planChange,
  },
  {
    op: 'POST /v2/subscriptions/{productSubscription}/actions/change-plan/confirm',
    status: 422,
    response: m.validationErrorResponse,
    params: () => ({ productSubscription: s.subscriptionId }),
    body: () => ({ target_variant_id: s.proVariantId, preview_token: 'subprev_9c4b2f' }),
    request: sdkRequest.planChange,
  },
  {
    op: 'POST /v2/subscriptions/{productSubscription}/actions/change-renewal-date/preview',
    status: 200,
    response: m.one(m.renewalDatePreview),
    params: async () => ({ productSubscription: await freshSubscription() }),
    body: () => ({ renewal_date: `${renewalIn(10)}T12:00:00Z`, reason: 'Align with the reading circle.' }),
    request: sdkRequest.renewalDate,
  },
  {
    op: 'POST /v2/subscriptions/{productSubscription}/actions/change-renewal-date/confirm',
    status: 200,
    response: m.one(m.renewalDateChange),
    params: async () => {
      const subscriptionId = await freshSubscription();
      const date = `${renewalIn(10)}T12:00:00Z`;
      const url = `/v2/subscriptions/${subscriptionId}/actions/change-renewal-date/preview`;
      s.renewal = { subscriptionId, date, token: (await send('post', url, { renewal_date: date })).body.data.preview_token };
      return { productSubscription: subscriptionId };
    },
    body: () => ({ renewal_date: s.renewal.date, preview_token: s.renewal.token }),
    request: sdkRequest.renewalDate,
  },
  {
    op: 'POST /v2/subscriptions/{productSubscription}/actions/cancel-immediately',
    status: 200,
    response: m.one(m.subscriptionAction),
    params: async () => ({ productSubscription: await freshSubscription() }),
  },
  {
    op: 'POST /v2/subscriptions/{productSubscription}/actions/cancel-period-end',
    status: 200,
    response: m.one(m.subscriptionAction),
    params: () => ({ productSubscription: s.subscriptionId }),
  },
  {
    op: 'PATCH /v2/subscriptions/{subscription}/cancel',
    status: 200,
    response: m.obj({ data: m.anyObject, message: m.str }),
    params: () => ({ subscription: s.subscriptionId }),
    body: () => ({ cancel_at_period_end: true }),
    request: sdkRequest.cancelSubscription,
  },
  { op: 'GET /v2/affiliates', status: 200, response: m.openPage(m.affiliate) },
  { op: 'GET /v2/affiliates/{affiliate}', status: 200, response: m.one(m.affiliate), params: () => ({ affiliate: s.affiliateId }) },
  {
    op: 'PATCH /v2/affiliates/{affiliate}/status',
    status: 200,
    response: m.one(m.affiliate),
    params: async () => ({ affiliate: await applicant('sdkoff') }),
    body: () => ({ status: 'disabled' }),
    request: sdkRequest.affiliateStatus,
  },
  { op: 'GET /v2/affiliate-program', status: 200, response: m.one(m.affiliateProgram) },
  {
    op: 'PUT /v2/affiliate-program',
    status: 200,
    response: m.one(m.affiliateProgram),
    body: () => ({
      enabled: true,
      settings: { ...officialProgramSettings, auto_approve_affiliates: true },
      products: [{ id: s.variantId, enabled: true, commission: { type: 'percentage', percentage: '15' } }],
    }),
    request: sdkRequest.replaceAffiliateProgram,
  },
  { op: 'GET /v2/affiliate-invitations', status: 200, response: m.page(m.affiliateInvitation) },
  {
    op: 'POST /v2/affiliate-invitations',
    status: 201,
    response: m.one(m.affiliateInvitation),
    body: () => ({ email: 'invitee@e.co' }),
    request: sdkRequest.inviteAffiliate,
  },
  { op: 'GET /v2/affiliate-referrals', status: 200, response: m.page(m.affiliateReferral) },
  {
    op: 'GET /v2/affiliate-referrals/{referral}',
    status: 200,
    response: m.one(m.affiliateReferral),
    params: () => ({ referral: s.referralId }),
  },
  {
    op: 'PATCH /v2/affiliate-referrals/{referral}/status',
    status: 200,
    response: m.one(m.affiliateReferral),
    params: () => ({ referral: s.freeReferralId }),
    body: () => ({ status: 'in_review' }),
    request: sdkRequest.referralStatus,
  },
  { op: 'GET /v2/affiliate-referral-sessions', status: 200, response: m.page(m.affiliateReferralSession) },
  {
    op: 'GET /v2/affiliate-referral-sessions/{referralSession}',
    status: 200,
    response: m.one(m.affiliateReferralSession),
    params: () => ({ referralSession: s.sessionId }),
  },
  { op: 'GET /v2/affiliate-payouts', status: 200, response: m.page(m.affiliatePayout) },
  { op: 'GET /v2/affiliate-payouts/{payout}', status: 200, response: m.one(m.affiliatePayout), params: () => ({ payout: s.payoutId }) },
  {
    op: 'POST /v2/affiliates/{affiliate}/payouts',
    status: 200,
    response: m.one(m.affiliatePayout),
    params: () => ({ affiliate: s.affiliateId }),
  },
  {
    op: 'PATCH /v2/affiliate-payouts/{payout}/status',
    status: 200,
    response: m.one(m.affiliatePayout),
    params: () => ({ payout: s.payoutId }),
    body: () => ({ status: 'paid' }),
    request: sdkRequest.payoutStatus,
  },

  // Community connections (WhatsApp, against the local fake Graph API)
  { op: 'GET /v2/community-connections', status: 200, response: items(m.communityConnection) },
  {
    op: 'POST /v2/community-connections/{platform}/connect',
    status: 200,
    response: m.one(m.communityConnectStart),
    params: () => ({ platform: 'whatsapp' }),
    body: () => ({ access_token: whatsapp.accessToken, phone_number_id: whatsapp.phoneNumber.id }),
    request: sdkRequest.startCommunityConnection,
  },
  {
    op: 'GET /v2/community-connections/{platform}/status',
    status: 200,
    response: m.one(m.communityConnectStatus),
    params: async () => {
      s.statusToken = (
        await send('post', '/v2/community-connections/whatsapp/connect', {
          access_token: whatsapp.accessToken,
          phone_number_id: whatsapp.phoneNumber.id,
        })
      ).body.data.status_token as string;
      return { platform: 'whatsapp' };
    },
    query: () => ({ status_token: s.statusToken }),
  },
  {
    op: 'POST /v2/community-connections/{platform}/complete',
    status: 200,
    response: m.one(m.communityConnectComplete),
    params: () => ({ platform: 'whatsapp' }),
    body: () => ({ status_token: s.statusToken, server_id: whatsapp.addGroup({ subject: 'SDK group' }) }),
    request: sdkRequest.completeCommunityConnection,
  },
  {
    op: 'POST /v2/community-connections/{platform}/verify',
    status: 200,
    response: m.one(m.communityVerification),
    params: () => ({ platform: 'whatsapp' }),
  },
  {
    op: 'DELETE /v2/community-connections/{platform}',
    status: 200,
    // The spec's DisconnectCommunityPlatform…Data names the platform; the Go SDK reads no body.
    response: m.one(m.obj({ platform: m.str })),
    params: () => ({ platform: 'whatsapp' }),
  },

  // Store notification channels and payment methods
  { op: 'GET /v2/store/notification-channels', status: 200, response: m.obj({ data: z.array(m.notificationChannel) }) },
  {
    op: 'POST /v2/store/notification-channels',
    status: 201,
    response: m.one(m.notificationChannel),
    body: () => ({ channel: { type: 'email', email: 'ops@shop.example', allowed_notifications: ['order.completed'] } }),
    request: sdkRequest.notificationChannel,
  },
  {
    op: 'GET /v2/store/notification-channels/{notificationChannel}',
    status: 200,
    response: m.one(m.notificationChannel),
    params: () => ({ notificationChannel: s.notificationChannelId }),
  },
  {
    op: 'PUT /v2/store/notification-channels/{notificationChannel}',
    status: 200,
    response: m.one(m.notificationChannel),
    params: () => ({ notificationChannel: s.notificationChannelId }),
    body: () => ({
      channel: {
        type: 'discord',
        channel: '#sales',
        webhook: 'https://discord.com/api/webhooks/123/abc-DEF',
        allowed_notifications: ['order.paid'],
      },
    }),
    request: sdkRequest.notificationChannel,
  },
  {
    op: 'PATCH /v2/store/notification-channels/{notificationChannel}',
    status: 200,
    response: m.one(m.notificationChannel),
    params: () => ({ notificationChannel: s.notificationChannelId }),
    body: () => ({ channel: { allowed_notifications: ['order.paid', 'order.refunded'] } }),
    request: sdkRequest.notificationChannel,
  },
  {
    op: 'DELETE /v2/store/notification-channels/{notificationChannel}',
    status: 200,
    response: m.one(m.notificationChannel),
    params: async () => ({
      notificationChannel: (
        await send('post', '/v2/store/notification-channels', {
          channel: { type: 'email', email: 'x@e.co', allowed_notifications: ['order.paid'] },
        })
      ).body.data.id as string,
    }),
  },
  { op: 'GET /v2/payment-methods', status: 200, response: m.obj({ data: z.array(m.paymentMethodStatus) }) },
  {
    op: 'GET /v2/payment-methods/{paymentMethod}',
    status: 200,
    response: m.one(m.paymentMethodStatus),
    params: () => ({ paymentMethod: 'STRIPE' }),
  },
  {
    op: 'PATCH /v2/payment-methods/{paymentMethod}',
    status: 200,
    response: m.one(m.paymentMethodStatus),
    params: () => ({ paymentMethod: 'STRIPE' }),
    body: () => ({ enabled: true }),
  },
  {
    op: 'PUT /v2/payment-methods/{paymentMethod}/configuration',
    status: 200,
    response: m.one(m.paymentMethodStatus),
    params: () => ({ paymentMethod: 'ETH' }),
    body: () => ({ address: '0x52908400098527886E0F7030069857D2E4169EE7', min_withdraw_amount: '0.01' }),
  },
  {
    // Stripe takes its keys and wallets their addresses: no method here connects by OAuth.
    op: 'POST /v2/payment-methods/{paymentMethod}/connect',
    status: 422,
    response: m.validationErrorResponse,
    params: () => ({ paymentMethod: 'STRIPE' }),
  },
  { op: 'GET /v2/payment-methods/custom', status: 200, response: m.obj({ data: z.array(m.customPaymentMethod) }) },
  {
    op: 'POST /v2/payment-methods/custom',
    status: 201,
    response: m.one(m.customPaymentMethod),
    body: () => ({
      type: 'instructions',
      name: 'Manual payment',
      instructions: 'Contact Launch Lab before sending a payment.',
      enabled: false,
      modifier: { percentage: '-2.50', fixed: '-1.00' },
    }),
  },
  {
    op: 'GET /v2/payment-methods/custom/{customPaymentMethod}',
    status: 200,
    response: m.one(m.customPaymentMethod),
    params: async () => ({ customPaymentMethod: await customMethod() }),
  },
  {
    op: 'PUT /v2/payment-methods/custom/{customPaymentMethod}',
    status: 200,
    response: m.one(m.customPaymentMethod),
    params: async () => ({ customPaymentMethod: await customMethod() }),
    body: () => ({ type: 'redirect', name: 'Pay on our site', redirect_url: 'https://pay.example/{invoice_id}?amount={price}' }),
  },
  {
    op: 'PATCH /v2/payment-methods/custom/{customPaymentMethod}',
    status: 200,
    response: m.one(m.customPaymentMethod),
    params: async () => ({ customPaymentMethod: await customMethod() }),
    body: () => ({ enabled: false, modifier: null }),
  },
  {
    op: 'DELETE /v2/payment-methods/custom/{customPaymentMethod}',
    status: 200,
    response: m.one(m.customPaymentMethod),
    params: async () => ({ customPaymentMethod: await customMethod() }),
  },

  // Webhook channels, deliveries and events
  { op: 'GET /v2/webhook-channels', status: 200, response: m.page(m.webhookChannel) },
  {
    op: 'POST /v2/webhook-channels',
    status: 201,
    response: m.one(m.webhookChannel),
    body: () => ({ name: 'Orders', url: `${receiver.url}/orders`, allowed_notifications: ['order.completed', 'subscription.cancelled'] }),
    request: sdkRequest.createWebhookChannel,
  },
  {
    op: 'POST /v2/webhook-channels/search',
    status: 200,
    response: m.page(m.webhookChannel),
    body: () => ({ search: { value: 'hooks' }, event: 'product.created', page: 1, limit: 10 }),
  },
  {
    op: 'PUT /v2/webhook-channels/signing-secret',
    status: 200,
    response: m.one(m.obj({ signing_secret_configured: m.bool })),
    body: () => ({ signing_secret: 'whsec_rotated_by_the_seller_0123456789abcdef' }),
  },
  {
    op: 'GET /v2/webhook-channels/{webhookChannel}',
    status: 200,
    response: m.one(m.webhookChannel),
    params: () => ({ webhookChannel: s.channelId }),
  },
  {
    op: 'PUT /v2/webhook-channels/{webhookChannel}',
    status: 200,
    response: m.one(m.webhookChannel),
    params: () => ({ webhookChannel: s.channelId }),
    body: () => ({ name: 'Catalogue', url: `${receiver.url}/catalogue`, allowed_notifications: ['product.created', 'product.updated'] }),
    request: sdkRequest.createWebhookChannel,
  },
  {
    op: 'PATCH /v2/webhook-channels/{webhookChannel}',
    status: 200,
    response: m.one(m.webhookChannel),
    params: () => ({ webhookChannel: s.channelId }),
    body: () => ({ name: null }),
  },
  {
    op: 'DELETE /v2/webhook-channels/{webhookChannel}',
    status: 200,
    response: m.one(m.webhookChannel),
    params: async () => ({
      webhookChannel: (await send('post', '/v2/webhook-channels', { url: `${receiver.url}/gone`, allowed_notifications: ['order.paid'] }))
        .body.data.id as string,
    }),
  },
  {
    op: 'POST /v2/webhook-channels/{webhookChannel}/test',
    status: 200,
    // The receiver answers 200: the test delivery succeeded.
    response: m.one(m.obj({ channel_id: m.str, event: m.str, status: z.literal('succeeded') })),
    params: () => ({ webhookChannel: s.channelId }),
    body: () => ({ event: 'product.created' }),
  },
  { op: 'GET /v2/webhook-event-types', status: 200, response: m.webhookEventTypes },
  { op: 'GET /v2/events', status: 200, response: m.integrationEvents },
  { op: 'GET /v2/webhook-deliveries', status: 200, response: m.page(m.webhookDelivery) },
  {
    op: 'GET /v2/webhook-deliveries/{delivery}',
    status: 200,
    response: m.one(m.webhookDelivery),
    params: () => ({ delivery: s.deliveryId }),
  },
  {
    op: 'POST /v2/webhook-deliveries/{delivery}/replay',
    status: 201,
    response: m.one(m.webhookDelivery),
    params: () => ({ delivery: s.deliveryId }),
    body: () => ({}),
  },

  // SellApp v1: blacklists, coupons, feedback, sections, tickets
  { op: 'GET /v1/blacklists', status: 200, response: m.page(m.blacklist) },
  {
    op: 'POST /v1/blacklists',
    status: 200,
    response: m.one(m.blacklist),
    body: () => ({ type: 'EMAIL', data: 'fraud@e.co', description: 'chargebacks' }),
    request: sdkRequest.createBlacklist,
  },
  { op: 'GET /v1/blacklists/{blacklist}', status: 200, response: m.one(m.blacklist), params: () => ({ blacklist: s.blacklistId }) },
  {
    op: 'PATCH /v1/blacklists/{blacklist}',
    status: 200,
    response: m.one(m.blacklist),
    params: () => ({ blacklist: s.blacklistId }),
    body: () => ({ description: 'still' }),
  },
  {
    op: 'DELETE /v1/blacklists/{blacklist}',
    status: 200,
    response: m.one(m.blacklist),
    params: async () => ({ blacklist: await created('/v1/blacklists', { type: 'IP', data: '203.0.113.9', description: 'x' }) }),
  },
  { op: 'GET /v1/coupons', status: 200, response: m.openPage(m.coupon) },
  {
    op: 'POST /v1/coupons',
    status: 201,
    response: m.one(m.coupon),
    body: () => ({
      code: couponCode('SDK'),
      type: 'PERCENTAGE',
      discount: '10',
      store_wide: false,
      products: [s.productId],
      product_variants: [],
    }),
    request: sdkRequest.createCoupon,
  },
  { op: 'GET /v1/coupons/{coupon}', status: 200, response: m.one(m.coupon), params: () => ({ coupon: s.couponId }) },
  {
    op: 'PATCH /v1/coupons/{coupon}',
    status: 200,
    response: m.one(m.coupon),
    params: () => ({ coupon: s.couponId }),
    body: () => ({ discount: 15 }),
  },
  {
    op: 'DELETE /v1/coupons/{coupon}',
    status: 200,
    response: m.one(m.coupon),
    params: async () => ({
      coupon: await created('/v1/coupons', { code: couponCode('GONE'), type: 'AMOUNT', discount: 1, store_wide: true }),
    }),
  },
  { op: 'POST /v1/coupons/search', status: 200, response: m.openPage(m.coupon), body: () => ({}) },
  {
    op: 'POST /v1/coupons/batch',
    status: 200,
    response: items(m.coupon),
    body: () => ({ resources: [{ code: couponCode('BATCH'), type: 'PERCENTAGE', discount: 5, store_wide: true }] }),
  },
  {
    op: 'PATCH /v1/coupons/batch',
    status: 200,
    response: items(m.coupon),
    body: () => ({ resources: { [s.couponId]: { discount: 20 } } }),
  },
  {
    op: 'DELETE /v1/coupons/batch',
    status: 200,
    response: items(m.coupon),
    params: async () => {
      s.doomed = await created('/v1/coupons', { code: couponCode('BATCHGONE'), type: 'AMOUNT', discount: 1, store_wide: true });
      return {};
    },
    body: () => ({ resources: [s.doomed] }),
  },
  { op: 'GET /v1/feedback', status: 200, response: m.openPage(m.feedback) },
  { op: 'GET /v1/feedback/{feedback}', status: 200, response: m.one(m.feedback), params: () => ({ feedback: s.feedbackId }) },
  {
    op: 'PATCH /v1/feedback/{feedback}',
    status: 200,
    response: m.one(m.feedback),
    params: () => ({ feedback: s.feedbackId }),
    body: () => ({ reply: 'Thank you!' }),
    request: sdkRequest.replyToFeedback,
  },
  { op: 'POST /v1/feedback/search', status: 200, response: m.openPage(m.feedback), body: () => ({}) },
  { op: 'GET /v1/sections', status: 200, response: m.openPage(m.section) },
  { op: 'POST /v1/sections', status: 201, response: m.one(m.section), body: () => ({ title: 'Created', hidden: false }) },
  { op: 'GET /v1/sections/{section}', status: 200, response: m.one(m.section), params: () => ({ section: s.sectionId }) },
  {
    op: 'PATCH /v1/sections/{section}',
    status: 200,
    response: m.one(m.section),
    params: () => ({ section: s.sectionId }),
    body: () => ({ title: 'Renamed' }),
  },
  {
    op: 'DELETE /v1/sections/{section}',
    status: 200,
    response: m.one(m.section),
    params: async () => ({ section: await created('/v1/sections', { title: 'Doomed', hidden: true }) }),
  },
  { op: 'POST /v1/sections/search', status: 200, response: m.openPage(m.section), body: () => ({}) },
  {
    op: 'POST /v1/sections/batch',
    status: 200,
    response: items(m.section),
    body: () => ({ resources: [{ title: 'Batch', hidden: false }] }),
  },
  {
    op: 'PATCH /v1/sections/batch',
    status: 200,
    response: items(m.section),
    body: () => ({ resources: { [s.sectionId]: { title: 'Batched' } } }),
  },
  {
    op: 'DELETE /v1/sections/batch',
    status: 200,
    response: items(m.section),
    params: async () => {
      s.doomed = await created('/v1/sections', { title: 'Gone', hidden: true });
      return {};
    },
    body: () => ({ resources: [s.doomed] }),
  },
  { op: 'GET /v1/tickets', status: 200, response: m.openPage(m.ticket) },
  { op: 'GET /v1/tickets/{ticket}', status: 200, response: m.one(m.ticket), params: () => ({ ticket: s.ticketId }) },
  { op: 'GET /v1/tickets/{ticket}/messages', status: 200, response: m.openPage(m.ticketMessage), params: () => ({ ticket: s.ticketId }) },
  {
    op: 'POST /v1/tickets/{ticket}/messages',
    status: 201,
    response: m.one(m.ticketMessage),
    params: () => ({ ticket: s.ticketId }),
    body: () => ({ content: 'We are on it.' }),
  },
  {
    op: 'GET /v1/tickets/{ticket}/messages/{message}',
    status: 200,
    response: m.one(m.ticketMessage),
    params: () => ({ ticket: s.ticketId, message: s.messageId }),
  },
  { op: 'POST /v1/tickets/search', status: 200, response: m.openPage(m.ticket), body: () => ({}) },
  {
    op: 'POST /v1/tickets/{ticket}/messages/search',
    status: 200,
    response: m.openPage(m.ticketMessage),
    params: () => ({ ticket: s.ticketId }),
    body: () => ({}),
  },
];

// The spec's v2 forms of blacklists, coupons and sections serve the same data as v1: the same cases under /v2.
cases.push(
  ...cases.filter((c) => /^\w+ \/v1\/(blacklists|coupons|sections)/.test(c.op)).map((c) => ({ ...c, op: c.op.replace(' /v1/', ' /v2/') })),
);
// Tickets and feedback under /v2 answer the spec's v2 models (messages keep theirs).
const v2Models: Record<string, z.ZodType> = {
  'GET /v2/tickets': m.openPage(m.ticketV2),
  'POST /v2/tickets/search': m.openPage(m.ticketV2),
  'GET /v2/tickets/{ticket}': m.one(m.ticketV2),
  'GET /v2/feedback': m.openPage(m.feedbackV2),
  'POST /v2/feedback/search': m.openPage(m.feedbackV2),
  'GET /v2/feedback/{feedback}': m.one(m.feedbackV2),
  'PATCH /v2/feedback/{feedback}': m.one(m.feedbackV2),
};
for (const c of cases.filter((c) => /^\w+ \/v1\/(tickets|feedback)/.test(c.op))) {
  const op = c.op.replace(' /v1/', ' /v2/');
  cases.push({ ...c, op, response: v2Models[op] ?? c.response });
}
cases.push({ ...cases.find((c) => c.op === 'PATCH /v2/feedback/{feedback}')!, op: 'PUT /v2/feedback/{feedback}' });
cases.push({
  op: 'PATCH /v2/tickets/{ticket}',
  status: 200,
  response: m.one(m.ticketV2),
  params: () => ({ ticket: s.ticketId }),
  body: () => ({ status: 'OPEN', archived: false }),
  request: z.object({ status: z.enum(['OPEN', 'CLOSED']).optional(), archived: z.boolean().optional() }).loose(),
});
// Their updates as PUT too.
for (const version of ['v1', 'v2']) {
  cases.push(
    {
      op: `PUT /${version}/coupons/{coupon}`,
      status: 200,
      response: m.one(m.coupon),
      params: () => ({ coupon: s.couponId }),
      body: () => ({ discount: 12 }),
    },
    {
      op: `PUT /${version}/sections/{section}`,
      status: 200,
      response: m.one(m.section),
      params: () => ({ section: s.sectionId }),
      body: () => ({ title: 'Put' }),
    },
  );
}
// The sections' order, products and groups, under both versions.
for (const version of ['v1', 'v2']) {
  cases.push(
    {
      op: `PUT /${version}/sections/order`,
      status: 200,
      response: items(m.section),
      body: () => ({ resources: [s.sectionId] }),
      request: sdkRequest.sectionMembers,
    },
    {
      op: `PUT /${version}/sections/{section}/products`,
      status: 200,
      response: m.one(m.section),
      params: () => ({ section: s.sectionId }),
      body: () => ({ resources: [s.productId] }),
      request: sdkRequest.sectionMembers,
    },
    {
      op: `PUT /${version}/sections/{section}/groups`,
      status: 200,
      response: m.one(m.section),
      params: () => ({ section: s.sectionId }),
      body: () => ({ resources: [s.groupId] }),
      request: sdkRequest.sectionMembers,
    },
  );
}
cases.push({
  op: 'PUT /v2/blacklists/{blacklist}',
  status: 200,
  response: m.one(m.blacklist),
  params: () => ({ blacklist: s.blacklistId }),
  body: () => ({ description: 'put' }),
});

/** A PENDING invoice of one unit of the shared variant (or of a new one at `price`). */
async function pendingInvoice(variant: { price?: number } = {}) {
  const variantId =
    variant.price === undefined
      ? s.variantId
      : (await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } }, price: variant.price }))
          .variantId;
  const res = await send('post', '/v2/invoices', {
    customer_email: 'p@e.co',
    payment_method: 'PAYPAL',
    product_variants: { [variantId]: { quantity: 1 } },
  });
  if (res.status >= 300) throw new Error(JSON.stringify(res.body));
  return res.body.data.id as number;
}

/** The id of an order's first line item, as the order model lists it. */
async function firstLineItem(order: number) {
  return (await send('get', `/v2/orders/${order}`)).body.data.line_items[0].id as number;
}

/** A seller endpoint that refuses every dynamic delivery, for orders that wait on ops. */
let refusingSeller: Awaited<ReturnType<typeof startSellerEndpoint>> | undefined;
afterAll(() => refusingSeller?.close());

/** A paid order waiting on ops: its one dynamic step failed (s.stuckStepId). */
/** A PAYPAL order paid by hand and delivered. */
async function paidOrder(): Promise<number> {
  const { variantId } = await manualVariant();
  const created = await send('post', '/v2/invoices', {
    customer_email: 'refunded@e.co',
    payment_method: 'PAYPAL',
    product_variants: { [variantId]: { quantity: 1 } },
  });
  const id = created.body.data.id as number;
  await send('patch', `/v2/invoices/${id}/mark-completed`);
  await waitFor(
    () => send('get', `/v2/invoices/${id}`).then((r) => r.body.data),
    (b) => b.status.status.status === 'COMPLETED',
  );
  return id;
}

async function stuckOrder() {
  refusingSeller ??= await startSellerEndpoint([{ status: 400, body: 'not today' }]);
  await h.db.updateTable('stores').set({ allow_http_webhooks: true }).where('id', '=', store.id).execute();
  const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['DYNAMIC'], data: { webhook: refusingSeller.url } } });
  const res = await send('post', '/v2/invoices', {
    customer_email: 'stuck@e.co',
    payment_method: 'PAYPAL',
    product_variants: { [variantId]: { quantity: 1 } },
  });
  if (res.status >= 300) throw new Error(JSON.stringify(res.body));
  const id = res.body.data.id as number;
  await send('patch', `/v2/invoices/${id}/mark-completed`);
  const stuck = await waitFor(
    () => send('get', `/v2/invoices/${id}`).then((r) => r.body.data),
    (b) => b.delivery.needs_attention,
  );
  s.stuckStepId = stuck.delivery.steps[0].id;
  return id;
}

/** An active affiliate of the shared program (auto-approved), by code. */
async function applicant(code: string) {
  const res = await send('post', '/v2/affiliates/apply', {
    email: `${code}@e.co`,
    code,
    payout_method: 'PAYPAL',
    payout_details: `${code}-pp@e.co`,
  });
  if (res.status >= 300) throw new Error(JSON.stringify(res.body));
  return res.body.data.id as number;
}

/** A paid invoice the shared affiliate referred: its referral's id. */
async function referredSale() {
  const res = await send('post', '/v2/invoices', {
    customer_email: 'referred@e.co',
    payment_method: 'PAYPAL',
    product_variants: { [s.variantId]: { quantity: 1 } },
    affiliate: 'sdkaff',
  });
  if (res.status >= 300) throw new Error(JSON.stringify(res.body));
  await send('patch', `/v2/invoices/${res.body.data.id}/mark-completed`);
  const referral = await waitFor(
    () => h.db.selectFrom('affiliate_referrals').select('id').where('invoice_id', '=', res.body.data.id).executeTakeFirst(),
    (r) => r !== undefined,
  );
  return referral!.id;
}

async function pendingCharge() {
  const res = await send('post', '/v2/charges', {
    email: 'c@e.co',
    return_url: 'https://shop.example/r',
    currency: 'USD',
    total: 900,
    payment_method: 'PAYPAL',
  });
  if (res.status >= 300) throw new Error(JSON.stringify(res.body));
  return res.body.data.id as number;
}

beforeAll(async () => {
  stripe = await startStripeBilling();
  receiver = await startWebhookReceiver();
  whatsapp = await startWhatsApp();
  h = await startHarness({ worker: true, env: { STRIPE_API_BASE: stripe.url, WHATSAPP_API_URL: whatsapp.url } });
  store = await h.createStore();
  ({ productId: s.productId, variantId: s.variantId } = await createVariant(h, store.live, {
    deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } },
    payment_methods: ['PAYPAL'],
  }));
  {
    const firstKey = await uploadFile(h, store.live, 'guide.pdf');
    const made = await createVariant(h, store.live, { deliverable: { types: ['DOWNLOADABLE'], data: { files: [firstKey] } } });
    const base = `/v2/products/${made.productId}/variants/${made.variantId}/deliverable`;
    s.downloads = {
      ...made,
      fileId: (await send('get', `${base}/files`)).body.data[0].id,
      folderId: await created(`${base}/folders`, { name: 'Manuals' }),
      spareKey: await uploadFile(h, store.live, 'extra.zip', 'zip-bytes', 'application/zip'),
    };
  }
  s.serials = await createVariant(h, store.live, { deliverable: { types: ['TEXT'], data: { serials: ['S-0'], parsingMode: 'NEW_LINE' } } });
  s.licenseVariantId = (
    await createVariant(h, store.live, {
      deliverable: { types: ['LICENSE_KEY'], data: { license_key: { prefix: 'SDK', limit: 3, expires_in_days: null } } },
      payment_methods: ['PAYPAL'],
    })
  ).variantId;
  const invoice = await send('post', '/v2/invoices', {
    customer_email: 'buyer@e.co',
    payment_method: 'PAYPAL',
    product_variants: { [s.licenseVariantId]: { quantity: 1 } },
  });
  s.invoiceId = invoice.body.data.id;
  await send('patch', `/v2/invoices/${s.invoiceId}/mark-completed`);
  await waitFor(
    () => send('get', `/v2/invoices/${s.invoiceId}`).then((r) => r.body.data),
    (b) => b.status.status.status === 'COMPLETED',
  );
  const key = await h.db.selectFrom('license_keys').select(['id', 'key']).where('invoice_id', '=', s.invoiceId).executeTakeFirstOrThrow();
  s.licenseKeyId = key.id;
  const buyer = await send('post', '/v2/customers/search', { filters: [{ field: 'email', value: 'buyer@e.co' }] });
  s.customerId = buyer.body.data[0].id;
  await send('patch', `/v2/customers/${s.customerId}`, { external_id: 'crm_buyer' });
  s.licenseKey = key.key;
  s.instanceId = (await send('post', '/v2/licenses/activate', { license_key: key.key, instance_name: 'desktop' })).body.data.id;
  s.groupId = (await send('post', '/v2/groups', { title: 'Shared', unlisted: false })).body.data.id;
  await send('post', `/v2/groups/${s.groupId}/products/attach`, { resources: [s.productId] });
  s.couponId = (await send('post', '/v1/coupons', { code: 'SHARED', type: 'PERCENTAGE', discount: 10, store_wide: true })).body.data.id;
  s.blacklistId = (await send('post', '/v1/blacklists', { type: 'EMAIL', data: 'shared@e.co', description: 'x' })).body.data.id;
  s.sectionId = (await send('post', '/v1/sections', { title: 'Shared', hidden: false })).body.data.id;
  const ticket = await send('post', '/v1/tickets', {
    title: 'Where is my key?',
    customer_email: 'buyer@e.co',
    content: 'Help',
    invoice_id: s.invoiceId,
  });
  s.ticketId = ticket.body.data.id;
  s.messageId = (await send('get', `/v1/tickets/${s.ticketId}/messages`)).body.data[0].id;
  s.feedbackId = (await send('post', '/v1/feedback', { invoice_id: s.invoiceId, rating: 5, message: 'Fast' })).body.data.id;
  s.chargeId = await pendingCharge();
  await send('put', '/v2/settings/affiliates', {
    enabled: true,
    auto_approve: true,
    commission: { type: 'PERCENTAGE', value: 10 },
    payout_methods: ['PAYPAL'],
  });
  s.affiliateId = (
    await send('post', '/v2/affiliates/apply', {
      email: 'aff@e.co',
      code: 'sdkaff',
      payout_method: 'PAYPAL',
      payout_details: 'aff-pp@e.co',
    })
  ).body.data.id;
  // A referral paid out in a cycle (made eligible by backdating its fiat hold), another not in any payout, a link visit.
  s.referralId = await referredSale();
  await dueNow(h, s.referralId);
  const cycle = await h.db
    .transaction()
    .execute((trx) => runPayoutCycle(trx, { storeId: store.id, cycleDate: '2026-01-01', cutoff: new Date(), trigger: 'manual' }));
  s.payoutId = cycle.payouts[0]!.id;
  s.freeReferralId = await referredSale();
  s.dueReferralId = await referredSale();
  await dueNow(h, s.dueReferralId);
  s.accountKey = (await issueApiKey(h.db, { accountId: store.accountId, storeId: null, mode: 'live', scopes: ['ops:write'] })).key;
  s.sessionId = (await send('post', '/v2/affiliates/clicks', { affiliate: 'sdkaff', visitor_id: 'visitor-1' })).body.data.id;
  await send('put', '/v2/settings/payment-methods/STRIPE', { secret_key: 'sk_live_sdk', webhook_secret: STRIPE_WEBHOOK_SECRET });
  s.subscriptionId = (await subscribe(h, store.live, stripe, stripeWebhook(h, store.slug, STRIPE_WEBHOOK_SECRET), 3600)).id;
  const subscriber = await send('post', '/v2/customers/search', { filters: [{ field: 'email', value: 'buyer@example.com' }] });
  s.portalToken = (await send('post', '/v2/customer-sessions', { customer_id: subscriber.body.data[0].id })).body.data.token;
  s.refundId = (await send('post', `/v2/orders/${await paidOrder()}/refunds`, { amount: '1.00', reason: 'late' })).body.data.refund.id;
  const disputedOrder = await paidOrder();
  const dispute = { id: 'dp_sdk', object: 'dispute', amount: 1000, currency: 'usd', status: 'needs_response', reason: 'fraudulent' };
  await stripeWebhook(
    h,
    store.slug,
    STRIPE_WEBHOOK_SECRET,
  )({
    id: 'evt_sdk_dispute',
    object: 'event',
    type: 'charge.dispute.created',
    livemode: true,
    created: 1,
    data: { object: { ...dispute, payment_intent: null, metadata: { invoice_id: String(disputedOrder) } } },
  } as unknown as Stripe.Event);
  s.disputeId = (await send('get', '/v2/disputes')).body.data[0].id;
  s.channelId = (
    await send('post', '/v2/webhook-channels', {
      name: 'Catalogue',
      url: `${receiver.url}/hooks`,
      allowed_notifications: ['product.created'],
    })
  ).body.data.id;
  await freshProduct('Announced');
  s.notificationChannelId = (
    await send('post', '/v2/store/notification-channels', {
      channel: { type: 'email', email: 'n@e.co', allowed_notifications: ['order.paid'] },
    })
  ).body.data.id;
  s.deliveryId = await waitFor(
    () => send('get', '/v2/webhook-deliveries').then((r) => r.body.data[0]?.id as string | undefined),
    (id) => id !== undefined,
  ).then((id) => id!);
}, 180_000);
afterAll(async () => {
  const decoded = results.filter((r) => r.ok).length;
  console.log(`SDK conformance: ${results.length} operations exercised, ${decoded} answer the spec's status and decode`);
  await h?.close();
  await stripe?.close();
  await receiver?.close();
  await whatsapp?.close();
});

/** A fresh instruction-based custom payment method of the store. */
async function customMethod(): Promise<string> {
  const res = await send('post', '/v2/payment-methods/custom', { type: 'instructions', name: 'Bank transfer', steps: ['Send the amount'] });
  return res.body.data.id as string;
}

const results: { op: string; ok: boolean }[] = [];

/** `METHOD /path` of every operation operations.txt marks as routed by Sellflow. */
function routedOperations(): string[] {
  const text = readFileSync(path.join(__dirname, '../fixtures/sellapp-official/operations.txt'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.startsWith('x '))
    .map((line) => line.replace(/^x\s+\S+(\s+\(v1\))?\s+/, '').trim());
}

/** The invoice calls the seed-era v1 wrappers make: the v2 routes and model, at /api/v1. */
const seedEraInvoiceCases: Case[] = [
  { op: 'GET /v1/invoices', status: 200, response: m.openPage(m.invoice) },
  {
    op: 'POST /v1/invoices',
    status: 201,
    response: m.one(m.createdInvoice),
    body: () => ({ customer_email: 'v1@e.co', payment_method: 'PAYPAL', product_variants: { [s.variantId]: { quantity: 1 } } }),
  },
  { op: 'POST /v1/invoices/search', status: 200, response: m.openPage(m.invoice), body: () => ({}) },
  { op: 'GET /v1/invoices/{invoice}', status: 200, response: m.one(m.invoice), params: () => ({ invoice: s.invoiceId }) },
  {
    op: 'POST /v1/invoices/{invoice}/checkout',
    status: 200,
    response: m.obj({ message: m.str, invoice: m.invoice }),
    params: async () => ({ invoice: await pendingInvoice({ price: 0 }) }),
  },
  {
    op: 'PATCH /v1/invoices/{invoice}/issue-replacement',
    status: 200,
    response: m.invoice,
    params: () => ({ invoice: s.invoiceId }),
    body: () => ({ product_variants: [s.licenseVariantId] }),
  },
];

async function check(c: Case) {
  const [method, template] = c.op.split(' ') as [string, string];
  const params = (await c.params?.()) ?? {};
  const url = template.replace(/\{(\w+)\}/g, (_all, name: string) => String(params[name]));
  const query = c.query ? `?${new URLSearchParams(c.query()).toString()}` : '';
  const body = c.body?.();
  if (c.request) expect(c.request.safeParse(body).error?.issues ?? []).toEqual([]);
  const res = await send(method.toLowerCase() as Method, url + query, body, c.token?.());
  const decoded = c.response.safeParse(res.body);
  const issues = (decoded.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
  return { status: res.status, issues, ok: res.status === c.status && decoded.success };
}

describe('official SDK conformance', () => {
  it('exercises every operation operations.txt marks as routed', () => {
    const exercised = new Set(cases.map((c) => c.op));
    expect(routedOperations().filter((op) => !exercised.has(op))).toEqual([]);
  });

  it.each(cases.map((c) => [c.op, c] as const))('%s answers what the SDK decodes', async (_op, c) => {
    const { status, issues, ok } = await check(c);
    results.push({ op: c.op, ok });
    expect({ status, issues }).toEqual({ status: c.status, issues: [] });
  });

  it.each(seedEraInvoiceCases.map((c) => [c.op, c] as const))('%s (a seed-era v1 call) answers the invoice model', async (_op, c) => {
    const { status, issues } = await check(c);
    expect({ status, issues }).toEqual({ status: c.status, issues: [] });
  });
});
