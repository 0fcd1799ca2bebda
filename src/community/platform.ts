/**
 * One interface over Discord, Telegram, Slack and WhatsApp. The grant workflow speaks only
 * this; each adapter turns its SDK's replies into these results and classified errors.
 */
export type CommunityPlatform = 'discord' | 'telegram' | 'slack' | 'whatsapp';

/**
 * How a platform failure moves a grant:
 * - rate_limited / unavailable: the activity retries (after retryAfterMs when the platform said);
 * - missing_permission / not_connected / invalid_request: the seller must fix the setup, so
 *   the grant needs manual action (ops retry it afterwards);
 * - customer_action: the customer must (re)link or join; the grant waits for them.
 */
export type CommunityFailureKind =
  'rate_limited' | 'unavailable' | 'missing_permission' | 'not_connected' | 'invalid_request' | 'customer_action';

export class CommunityPlatformError extends Error {
  constructor(
    readonly platform: CommunityPlatform,
    readonly kind: CommunityFailureKind,
    message: string,
    readonly options: { retryAfterMs?: number; platformCode?: string | number } = {},
  ) {
    super(message);
    this.name = 'CommunityPlatformError';
  }

  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'unavailable';
  }

  get retryAfterMs(): number | undefined {
    return this.options.retryAfterMs;
  }
}

/** What we know of the customer on the platform (from linking at checkout, or the order). */
export interface CustomerIdentity {
  /** Discord user id, Telegram user id, Slack user id (once matched). */
  userId: string | null;
  /** Discord OAuth2 access token with the guilds.join scope. */
  accessToken: string | null;
  /** Slack: matched against workspace members. */
  email: string | null;
  /** WhatsApp: E.164 with the plus, e.g. +14155550123. */
  phone: string | null;
}

export interface GrantRequest {
  grantId: number;
  /** Guild id, chat id, channel id or group id. */
  spaceId: string;
  /** Discord roles to add; empty on the other platforms. */
  roleIds: string[];
  customer: CustomerIdentity;
  /** An invite link this grant already issued (Telegram, WhatsApp): reuse, never issue twice. */
  inviteUrl: string | null;
  /**
   * Called with the member's platform id just before the one call that may add them (Discord's
   * add-member, Telegram's and WhatsApp's approval, Slack's invite), so that the grant is on
   * record before access exists; it throws, and nothing is called, when the grant was revoked
   * in the meantime.
   */
  beforeJoin(memberId: string): Promise<void>;
}

export type GrantResult =
  /** memberId: the platform's id for the member (user id, or the phone for WhatsApp). */
  | { status: 'granted'; memberId: string; joinedByGrant: boolean }
  /** The customer must act (join, link); inviteUrl is what to show them, if any. */
  | { status: 'awaiting_customer'; reason: string; inviteUrl: string | null };

export interface RevokeRequest {
  grantId: number;
  spaceId: string;
  roleIds: string[];
  /** null when the customer never became a member through this grant: only its invite link goes. */
  memberId: string | null;
  /** Remove the member from the space (the grant added them); Discord otherwise takes only the roles. */
  removeMember: boolean;
  /** Telegram: the grant's own invite link, revoked first so nobody joins through it afterwards. */
  inviteUrl: string | null;
}

export interface HealthIssue {
  code: string;
  message: string;
  /** Discord: the roles the issue concerns (role above the bot's, deleted role). */
  roleIds?: string[];
}

export interface SpaceRole {
  id: string;
  name: string;
  position: number;
  managed: boolean;
}

export interface SpaceCheck {
  /** The space's name on the platform, null when it could not be read. */
  name: string | null;
  issues: HealthIssue[];
  /** Discord: the guild's roles (what "Sync Roles" stores). */
  roles?: SpaceRole[];
}

export interface ConnectionCheck {
  /** The bot / app / number's own id and display name on the platform. */
  accountId: string;
  accountName: string;
}

export interface SpaceSummary {
  id: string;
  name: string;
}

export interface CommunityAdapter {
  readonly platform: CommunityPlatform;
  /** The credentials work: throws not_connected when they do not. */
  checkConnection(): Promise<ConnectionCheck>;
  /** Guilds / chats / channels / groups the bot can manage (what "Add server" lists). */
  listSpaces(): Promise<SpaceSummary[]>;
  /** Health of one space; rolesInUse are the roles products grant there (Discord hierarchy). */
  checkSpace(spaceId: string, rolesInUse: string[]): Promise<SpaceCheck>;
  /** Idempotent: a customer already in the space with the roles is granted again, not an error. */
  grant(request: GrantRequest): Promise<GrantResult>;
  /** Idempotent: a member already gone (or roles already removed) is success. */
  revoke(request: RevokeRequest): Promise<void>;
}
