import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // How long a grant waits for the customer (join, link) before it needs manual action.
  await db.schema
    .alterTable('stores')
    .addColumn('community_wait_hours', 'integer', (c) => c.notNull().defaultTo(168))
    .execute();

  // One connection per platform per store: the bot / app / number we act as.
  await db.schema
    .createTable('community_connections')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('platform', 'text', (c) => c.notNull().check(sql`platform in ('discord', 'telegram', 'slack', 'whatsapp')`))
    // Discord: our official bot, or the store's own (credentials below).
    .addColumn('bot_mode', 'text', (c) =>
      c
        .notNull()
        .defaultTo('official')
        .check(sql`bot_mode in ('official', 'custom')`),
    )
    // Tokens and client secrets, as one JSON object sealed with the store SecretBox.
    .addColumn('credentials_sealed', 'text')
    .addColumn('account_id', 'text')
    .addColumn('account_name', 'text')
    // Slack: the workspace invite link customers join with (required before channels are sold).
    .addColumn('invite_url', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('community_connections_store_platform_uq', ['store_id', 'platform'])
    .execute();

  // A guild, chat, channel or group the store sells access to, with its last health check.
  await db.schema
    .createTable('community_spaces')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('connection_id', 'integer', (c) => c.notNull().references('community_connections.id'))
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('roles', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('health_status', 'text', (c) => c.notNull().defaultTo('unknown'))
    .addColumn('health_issues', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('health_checked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await sql`create unique index community_spaces_live_uq on community_spaces (store_id, platform, external_id) where deleted_at is null`.execute(
    db,
  );

  // Telegram's connect flow: a code we issue, posted by the seller in the chat the bot is in.
  await db.schema
    .createTable('telegram_connect_codes')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('code_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('space_id', 'integer', (c) => c.references('community_spaces.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Where getUpdates polling resumes after a restart.
  await db.schema
    .createTable('telegram_update_cursor')
    .addColumn('bot', 'text', (c) => c.primaryKey())
    .addColumn('next_offset', 'bigint', (c) => c.notNull())
    .execute();

  // What a variant grants: roles in a guild, a chat, a channel or a group.
  await db.schema
    .createTable('variant_community_access')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('variant_id', 'integer', (c) => c.notNull().references('product_variants.id'))
    .addColumn('space_id', 'integer', (c) => c.notNull().references('community_spaces.id'))
    .addColumn('role_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('linking_required', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('remove_on_expiry', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('variant_community_access_uq', ['variant_id', 'space_id'])
    .execute();

  // The customer's identity on a platform for one invoice, from linking at checkout.
  await db.schema
    .createTable('invoice_community_links')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('invoice_id', 'integer', (c) => c.notNull().references('invoices.id'))
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('external_user_id', 'text')
    .addColumn('username', 'text')
    .addColumn('phone', 'text')
    // Discord OAuth2 tokens (guilds.join), sealed.
    .addColumn('credentials_sealed', 'text')
    // The pending link's one-time token (Discord OAuth2 state, Telegram /start payload), hashed.
    .addColumn('link_token_hash', 'text', (c) => c.unique())
    .addColumn('link_token_expires_at', 'timestamptz')
    .addColumn('linked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('invoice_community_links_uq', ['invoice_id', 'platform'])
    .execute();

  await db.schema
    .createTable('community_grants')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('invoice_id', 'integer', (c) => c.notNull().references('invoices.id'))
    // No foreign key: a variant's access may be edited away; the grant keeps its snapshot.
    .addColumn('access_id', 'integer', (c) => c.notNull())
    .addColumn('space_id', 'integer', (c) => c.notNull().references('community_spaces.id'))
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('processing'))
    .addColumn('reason', 'text')
    // Snapshots at purchase: a later product edit does not change what was sold.
    .addColumn('role_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('remove_on_expiry', 'boolean', (c) => c.notNull())
    .addColumn('member_id', 'text')
    .addColumn('joined_by_grant', 'boolean', (c) => c.notNull().defaultTo(false))
    // Set just before a call that may add the member, cleared once the platform answered it: a
    // crash in between leaves it, and the grant is then taken to have brought the member in.
    .addColumn('join_pending_at', 'timestamptz')
    .addColumn('invite_url', 'text')
    .addColumn('awaiting_until', 'timestamptz')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('history', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('granted_at', 'timestamptz')
    // Intent first (durable), then the workflow is told; a lost signal is re-sent from here.
    .addColumn('revoke_requested_at', 'timestamptz')
    .addColumn('revoke_reason', 'text')
    .addColumn('revoke_signaled_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('community_grants_invoice_access_uq', ['invoice_id', 'access_id'])
    .execute();
  await db.schema.createIndex('community_grants_store_status_idx').on('community_grants').columns(['store_id', 'status']).execute();
  // The outbox relay's scan for revocations still to be told to their workflows.
  await sql`create index community_grants_revoke_outbox_idx on community_grants (id) where revoke_requested_at is not null and revoke_signaled_at is null`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('community_grants').execute();
  await db.schema.dropTable('invoice_community_links').execute();
  await db.schema.dropTable('variant_community_access').execute();
  await db.schema.dropTable('telegram_update_cursor').execute();
  await db.schema.dropTable('telegram_connect_codes').execute();
  await db.schema.dropTable('community_spaces').execute();
  await db.schema.dropTable('community_connections').execute();
  await db.schema.alterTable('stores').dropColumn('community_wait_hours').execute();
}
