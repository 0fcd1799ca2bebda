import type { ColumnType, Generated } from 'kysely';
import type { CommunityPlatform, HealthIssue, SpaceRole } from '../../community/platform';
import type { GrantHistoryEntry, GrantStatus } from '../../domain/community-grant';

type Json<T> = ColumnType<T, string | undefined, string>;

export interface CommunityConnectionsTable {
  id: Generated<number>;
  store_id: number;
  platform: CommunityPlatform;
  bot_mode: ColumnType<'official' | 'custom', 'official' | 'custom' | undefined, 'official' | 'custom'>;
  credentials_sealed: string | null;
  account_id: string | null;
  account_name: string | null;
  invite_url: string | null;
  /** The last check of the credentials with the platform (POST /v2/community-connections/{platform}/verify). */
  credential_health_status: Generated<'healthy' | 'unhealthy' | null>;
  credential_health_checked_at: Generated<Date | null>;
  credential_health_issue: Generated<string | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CommunitySpacesTable {
  id: Generated<number>;
  store_id: number;
  connection_id: number;
  platform: CommunityPlatform;
  external_id: string;
  name: string | null;
  kind: string;
  roles: Json<SpaceRole[]>;
  health_status: ColumnType<
    'unknown' | 'healthy' | 'unhealthy',
    'unknown' | 'healthy' | 'unhealthy' | undefined,
    'unknown' | 'healthy' | 'unhealthy'
  >;
  health_issues: Json<HealthIssue[]>;
  health_checked_at: Date | null;
  created_at: Generated<Date>;
  deleted_at: Date | null;
}

export interface TelegramConnectCodesTable {
  id: Generated<number>;
  store_id: number;
  code_hash: string;
  expires_at: Date;
  space_id: number | null;
  created_at: Generated<Date>;
}

export interface TelegramUpdateCursorTable {
  bot: string;
  next_offset: ColumnType<string, string | number, string | number>;
}

export interface VariantCommunityAccessTable {
  id: Generated<number>;
  store_id: number;
  variant_id: number;
  space_id: number;
  role_ids: Json<string[]>;
  linking_required: Generated<boolean>;
  remove_on_expiry: Generated<boolean>;
  /** Access ends while the subscription is paused, and comes back on resume. */
  remove_on_pause: Generated<boolean>;
  created_at: Generated<Date>;
}

export interface InvoiceCommunityLinksTable {
  id: Generated<number>;
  store_id: number;
  invoice_id: number;
  platform: CommunityPlatform;
  external_user_id: string | null;
  username: string | null;
  phone: string | null;
  credentials_sealed: string | null;
  link_token_hash: string | null;
  link_token_expires_at: Date | null;
  linked_at: Date | null;
  created_at: Generated<Date>;
}

export interface CommunityGrantsTable {
  id: Generated<number>;
  store_id: number;
  livemode: boolean;
  invoice_id: number;
  access_id: number;
  space_id: number;
  platform: CommunityPlatform;
  status: ColumnType<GrantStatus, GrantStatus | undefined, GrantStatus>;
  reason: string | null;
  role_ids: Json<string[]>;
  remove_on_expiry: boolean;
  remove_on_pause: Generated<boolean>;
  /** The revoked grant this one gives back (a subscription resumed, a dispute won). */
  restores_grant_id: number | null;
  member_id: string | null;
  joined_by_grant: Generated<boolean>;
  join_pending_at: Date | null;
  invite_url: string | null;
  /** The send key of the one buyer e-mail that carries invite_url: 'order' or 'community-link-<grant>'; null until one takes it. */
  link_email_key: string | null;
  awaiting_until: Date | null;
  attempts: Generated<number>;
  history: Json<GrantHistoryEntry[]>;
  granted_at: Date | null;
  revoke_requested_at: Date | null;
  revoke_reason: string | null;
  revoke_signaled_at: Date | null;
  revoked_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
