import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';
import { redactSecrets } from '../redact-secrets';
import {
  CommunityPlatformError,
  type CommunityAdapter,
  type CommunityFailureKind,
  type ConnectionCheck,
  type GrantRequest,
  type GrantResult,
  type HealthIssue,
  type RevokeRequest,
  type SpaceCheck,
  type SpaceSummary,
} from '../platform';

/**
 * WhatsApp groups through the Cloud API's Groups API (Meta Graph API, /<GROUP_ID>/...).
 *
 * Nobody can be added to a WhatsApp group: the customer opens the group's invite link and, in an
 * approval_required group, asks to join. A grant therefore approves the customer's own pending
 * join request, matched on the phone number they confirmed at checkout, and otherwise waits for
 * them. Requests from any other number are left alone: approving them would give the product away.
 */
export interface WhatsAppAdapterOptions {
  /** Graph API root with its version, e.g. https://graph.facebook.com/v23.0. */
  apiBase: string;
  /** System-user access token with whatsapp_business_messaging / whatsapp_business_management. */
  accessToken: string;
  /** The business phone number's id (not the number itself). */
  phoneNumberId: string;
  timeoutMs?: number;
}

/** Graph's throttling codes: app (4), user (17), page (32), custom (613), WABA (80007), Cloud API throughput (130429), pair (131056), group operations (131208). */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 80007, 130429, 131056, 131208]);
/** Expired / invalid token, invalid session. */
const TOKEN_CODES = new Set([102, 190]);
/** Group unknown to our number: gone, or we are not in it. */
const GROUP_UNKNOWN = 131041;
/** "Object with ID … does not exist" (code 100) — a group id that is wrong or deleted. */
const OBJECT_MISSING_SUBCODE = 33;
/** The number is not eligible for the Groups API (an Official Business Account is required). */
const GROUPS_NOT_ELIGIBLE = 131215;
/** Remove participants: the user is not in the group — what an idempotent revoke wants. */
const PARTICIPANT_NOT_IN_GROUP = 131212;
/** Approve: the join request was cancelled (or handled) in the meantime. */
const JOIN_REQUEST_GONE = 131213;
/** Graph sends no Retry-After for most throttling; its limits reset within the hour, most within minutes. */
const DEFAULT_RATE_LIMIT_BACKOFF_MS = 60_000;
const MAX_PAGES = 50;

const graphError = z.object({
  error: z.object({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.number().optional(),
    error_subcode: z.number().optional(),
    is_transient: z.boolean().optional(),
    fbtrace_id: z.string().optional(),
  }),
});
type GraphError = z.infer<typeof graphError>['error'];

const paging = z.object({ cursors: z.object({ after: z.string().optional() }).optional(), next: z.string().optional() }).optional();

const phoneNumberNode = z.object({ display_phone_number: z.string().optional(), verified_name: z.string().optional() });

const groupSummary = z.object({ id: z.string(), subject: z.string().optional() });
/** The reference documents `data: { groups: [...] }`; Graph edges elsewhere put the list in `data` itself. Both are read. */
const activeGroupsPage = z.object({ data: z.union([z.array(groupSummary), z.object({ groups: z.array(groupSummary) })]), paging });

const groupInfo = z.object({
  id: z.string().optional(),
  subject: z.string().optional(),
  join_approval_mode: z.string().optional(),
  suspended: z.boolean().optional(),
  /** Everyone but our business; wa_id is absent for users who hide their number behind a username. */
  participants: z.array(z.object({ wa_id: z.string().optional() })).optional(),
});

const joinRequestsPage = z.object({
  data: z.array(z.object({ join_request_id: z.string(), wa_id: z.string().optional(), creation_timestamp: z.number().optional() })),
  paging,
});

const failedItem = z.object({
  errors: z.array(z.object({ code: z.number().optional(), message: z.string().optional(), title: z.string().optional() })).optional(),
});
const approveResult = z.object({
  approved_join_requests: z.array(z.string()).optional(),
  failed_join_requests: z.array(failedItem.extend({ join_request_id: z.string() })).optional(),
});
const removeResult = z.object({
  failed_participants: z.array(failedItem.extend({ user: z.string().optional(), wa_id: z.string().optional() })).optional(),
});

const inviteLink = z.object({ invite_link: z.string() });

interface Phone {
  /** E.164 with the plus: what we report as memberId. */
  e164: string;
  /** Digits to compare with a wa_id. */
  key: string;
}

/**
 * A wa_id is the phone's digits without the plus, except that Mexican mobiles keep the legacy
 * "1" after the country code (521…); both sides go through this so either form matches.
 */
function phoneKey(digits: string): string {
  return /^521\d{10}$/.test(digits) ? `52${digits.slice(3)}` : digits;
}

function parsePhone(raw: string): Phone | null {
  const parsed = parsePhoneNumberFromString(raw.trim().startsWith('+') ? raw.trim() : `+${raw.trim()}`);
  // isPossible, not isValid: numbering plans change faster than our metadata, WhatsApp decides.
  if (!parsed?.isPossible()) return null;
  return { e164: parsed.number, key: phoneKey(parsed.number.slice(1)) };
}

const waIdKey = (waId: string) => phoneKey(waId.replace(/\D/g, ''));

export class WhatsAppAdapter implements CommunityAdapter {
  readonly platform = 'whatsapp' as const;
  private readonly apiBase: string;
  private readonly accessToken: string;
  private readonly phoneNumberId: string;
  private readonly timeoutMs: number;

  constructor(options: WhatsAppAdapterOptions) {
    this.apiBase = options.apiBase.replace(/\/+$/, '');
    this.accessToken = options.accessToken;
    this.phoneNumberId = options.phoneNumberId;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  async checkConnection(): Promise<ConnectionCheck> {
    const node = await this.call('GET', `/${encodeURIComponent(this.phoneNumberId)}`, phoneNumberNode, {
      query: { fields: 'display_phone_number,verified_name' },
    });
    const name =
      node.verified_name && node.display_phone_number
        ? `${node.verified_name} (${node.display_phone_number})`
        : (node.verified_name ?? node.display_phone_number ?? this.phoneNumberId);
    return { accountId: this.phoneNumberId, accountName: name };
  }

  async listSpaces(): Promise<SpaceSummary[]> {
    const spaces: SpaceSummary[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const result = await this.call('GET', `/${encodeURIComponent(this.phoneNumberId)}/groups`, activeGroupsPage, {
        query: { limit: '100', ...(after ? { after } : {}) },
      });
      const groups = Array.isArray(result.data) ? result.data : result.data.groups;
      spaces.push(...groups.map((g) => ({ id: g.id, name: g.subject ?? g.id })));
      after = nextCursor(result.paging);
      if (!after) return spaces;
    }
    throw this.error('invalid_request', `listing groups of ${this.phoneNumberId} went past ${MAX_PAGES} pages`);
  }

  /** rolesInUse is Discord's; WhatsApp groups have no roles. */
  async checkSpace(groupId: string, _rolesInUse: string[] = []): Promise<SpaceCheck> {
    let info: z.infer<typeof groupInfo>;
    try {
      info = await this.groupInfo(groupId, 'subject,join_approval_mode,suspended');
    } catch (error) {
      if (isGroupMissing(error))
        return {
          name: null,
          issues: [
            {
              code: 'group_not_found',
              message: `Our WhatsApp number is not in a group with id ${groupId}: it was deleted, or created by another number`,
            },
          ],
        };
      throw error;
    }
    const issues: HealthIssue[] = [];
    if (info.suspended) issues.push({ code: 'group_suspended', message: 'WhatsApp suspended this group; nobody can join it' });
    // The Groups API documents no admin flag (participants even exclude our business), so we ask
    // for what only an admin may read: the pending join requests. Group info just succeeded, so a
    // permission error here is about the group, not the token.
    try {
      await this.call('GET', `/${encodeURIComponent(groupId)}/join_requests`, joinRequestsPage, { query: { limit: '1' } });
    } catch (error) {
      if (!(error instanceof CommunityPlatformError && error.kind === 'missing_permission')) throw error;
      issues.push({
        code: 'not_admin',
        message: 'Our WhatsApp number is not an admin of this group, so it cannot approve join requests or remove members',
      });
    }
    if (info.join_approval_mode !== 'approval_required') {
      issues.push({
        code: 'approval_mode_off',
        message: 'Anyone with the invite link joins without approval; turn on "Approve new participants" so only buyers get in',
      });
    }
    return { name: info.subject ?? null, issues };
  }

  async grant(request: GrantRequest): Promise<GrantResult> {
    if (request.customer.phone === null)
      return { status: 'awaiting_customer', reason: 'The customer must confirm a WhatsApp phone number', inviteUrl: null };
    const phone = parsePhone(request.customer.phone);
    if (!phone)
      return {
        status: 'awaiting_customer',
        reason: 'The customer must confirm a WhatsApp phone number (the one given is not a phone number)',
        inviteUrl: null,
      };
    const groupPath = `/${encodeURIComponent(request.spaceId)}`;

    const info = await this.groupInfo(request.spaceId, 'participants');
    if ((info.participants ?? []).some((p) => p.wa_id !== undefined && waIdKey(p.wa_id) === phone.key)) {
      return { status: 'granted', memberId: phone.e164, joinedByGrant: false };
    }

    // Only the request from exactly this number is approved; others stay pending for the seller.
    const pending = await this.joinRequests(request.spaceId);
    const own = pending.find((r) => r.wa_id !== undefined && waIdKey(r.wa_id) === phone.key);
    if (own) {
      await request.beforeJoin(phone.e164);
      const result = await this.call('POST', `${groupPath}/join_requests`, approveResult, {
        body: { messaging_product: 'whatsapp', join_requests: [own.join_request_id] },
      });
      const failed = result.failed_join_requests?.find((f) => f.join_request_id === own.join_request_id);
      if (!failed) return { status: 'granted', memberId: phone.e164, joinedByGrant: true };
      const code = failed.errors?.[0]?.code;
      // Withdrawn between listing and approving: the customer has to ask again.
      if (code !== JOIN_REQUEST_GONE)
        throw this.classify(
          undefined,
          { code, message: failed.errors?.[0]?.message ?? failed.errors?.[0]?.title },
          'POST join_requests',
          null,
        );
    }

    const inviteUrl = request.inviteUrl ?? (await this.call('GET', `${groupPath}/invite_link`, inviteLink)).invite_link;
    return { status: 'awaiting_customer', reason: `Waiting for the customer to request to join from ${phone.e164}`, inviteUrl };
  }

  async revoke(request: RevokeRequest): Promise<void> {
    if (request.memberId === null || !request.removeMember) return;
    const phone = parsePhone(request.memberId);
    if (!phone)
      throw this.error('invalid_request', `${request.memberId} is not a phone number; cannot remove it from group ${request.spaceId}`);
    let result: z.infer<typeof removeResult>;
    try {
      result = await this.call('DELETE', `/${encodeURIComponent(request.spaceId)}/participants`, removeResult, {
        body: { messaging_product: 'whatsapp', participants: [{ user: phone.key }] },
      });
    } catch (error) {
      if (error instanceof CommunityPlatformError && error.options.platformCode === PARTICIPANT_NOT_IN_GROUP) return;
      throw error;
    }
    const failed = result.failed_participants?.[0];
    const code = failed?.errors?.[0]?.code;
    if (failed && code !== PARTICIPANT_NOT_IN_GROUP)
      throw this.classify(undefined, { code, message: failed.errors?.[0]?.message }, 'DELETE participants', null);
  }

  private groupInfo(groupId: string, fields: string) {
    return this.call('GET', `/${encodeURIComponent(groupId)}`, groupInfo, { query: { fields } });
  }

  private async joinRequests(groupId: string) {
    const requests: z.infer<typeof joinRequestsPage>['data'] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const result = await this.call('GET', `/${encodeURIComponent(groupId)}/join_requests`, joinRequestsPage, {
        query: after ? { after } : {},
      });
      requests.push(...result.data);
      after = nextCursor(result.paging);
      if (!after) return requests;
    }
    throw this.error('invalid_request', `join requests of group ${groupId} went past ${MAX_PAGES} pages`);
  }

  /** One Graph call: the token in the header (never the URL, so no message can carry it), a deadline, errors classified. */
  private async call<T extends z.ZodType>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    schema: T,
    options: { query?: Record<string, string>; body?: unknown } = {},
  ): Promise<z.output<T>> {
    const query = new URLSearchParams(options.query ?? {}).toString();
    const what = `${method} ${path}`;
    let response: Response;
    try {
      response = await fetch(`${this.apiBase}${path}${query ? `?${query}` : ''}`, {
        method,
        headers: {
          authorization: `Bearer ${this.accessToken}`,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      // AbortSignal.timeout rejects with a DOMException, which is not always instanceof Error.
      const name = typeof error === 'object' && error !== null && 'name' in error ? error.name : undefined;
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      throw this.error(
        'unavailable',
        `WhatsApp ${what} ${timedOut ? `timed out after ${this.timeoutMs} ms` : `failed: ${error instanceof Error ? error.message : String(error)}`}`,
      );
    }
    const text = await response.text().catch(() => '');
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      // A proxy's HTML error page: classified by status below.
    }
    if (!response.ok) {
      const parsed = graphError.safeParse(json);
      throw this.classify(
        response.status,
        parsed.success ? parsed.data.error : { message: text.slice(0, 200) || response.statusText },
        what,
        response.headers,
      );
    }
    const parsed = schema.safeParse(json);
    // A 2xx we cannot read is a platform fault (or a change on its side), not something the seller can fix.
    if (!parsed.success)
      throw this.error('unavailable', `WhatsApp ${what} answered ${response.status} with an unexpected body: ${text.slice(0, 200)}`);
    return parsed.data;
  }

  private classify(status: number | undefined, error: GraphError, what: string, headers: Headers | null): CommunityPlatformError {
    const { code, error_subcode: subcode } = error;
    const detail = `WhatsApp ${what}${status === undefined ? '' : ` answered ${status}`}: ${error.message ?? 'no message'}${code === undefined ? '' : ` (code ${code}${subcode === undefined ? '' : `/${subcode}`})`}`;
    const platformCode = code ?? status;
    const fail = (kind: CommunityFailureKind, retryAfterMs?: number) =>
      this.error(kind, detail, {
        ...(platformCode === undefined ? {} : { platformCode }),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });

    if (status === 429 || (code !== undefined && RATE_LIMIT_CODES.has(code))) return fail('rate_limited', retryAfterMs(headers));
    if (status === 401 || (code !== undefined && TOKEN_CODES.has(code))) return fail('not_connected');
    if (code === 10 || code === GROUPS_NOT_ELIGIBLE || (code !== undefined && code >= 200 && code <= 299))
      return fail('missing_permission');
    if (status === 404 || code === GROUP_UNKNOWN || (code === 100 && subcode === OBJECT_MISSING_SUBCODE)) return fail('not_connected');
    // 1 / 2: Graph's "unknown error" and "service temporarily unavailable"; 131000 / 133004: Cloud API's.
    if ((status !== undefined && status >= 500) || error.is_transient || code === 1 || code === 2 || code === 131000 || code === 133004)
      return fail('unavailable');
    return fail('invalid_request');
  }

  /** Builds the error with the token scrubbed: a Graph message may quote what it was sent. */
  private error(
    kind: CommunityFailureKind,
    message: string,
    options: { retryAfterMs?: number; platformCode?: string | number } = {},
  ): CommunityPlatformError {
    return new CommunityPlatformError('whatsapp', kind, redactSecrets(message, [this.accessToken]), options);
  }
}

const nextCursor = (page: z.infer<typeof paging>): string | undefined => (page?.next ? page.cursors?.after : undefined);

/** classify() made unknown groups not_connected; these codes tell them from a bad token. */
const isGroupMissing = (error: unknown) =>
  error instanceof CommunityPlatformError &&
  error.kind === 'not_connected' &&
  [GROUP_UNKNOWN, 100, 404].includes(Number(error.options.platformCode));

/**
 * Retry-After when sent; otherwise the business use case header's estimated_time_to_regain_access
 * (minutes) that Graph attaches to WhatsApp Business Management throttling; otherwise a minute.
 */
function retryAfterMs(headers: Headers | null): number {
  const retryAfter = headers?.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.max(0, at - Date.now());
  }
  const usage = headers?.get('x-business-use-case-usage');
  if (usage) {
    try {
      const minutes = Object.values(JSON.parse(usage) as Record<string, { estimated_time_to_regain_access?: number }[]>)
        .flat()
        .map((u) => u.estimated_time_to_regain_access ?? 0);
      const longest = Math.max(0, ...minutes);
      if (longest > 0) return longest * 60_000;
    } catch {
      // Unreadable usage header: fall back to the default.
    }
  }
  return DEFAULT_RATE_LIMIT_BACKOFF_MS;
}
