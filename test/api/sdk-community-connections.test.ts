import request from 'supertest';
import { type FakeDiscord, startDiscord } from '../fakes/discord';
import { type FakeSlack, startSlack } from '../fakes/slack';
import { type FakeTelegram, startTelegram } from '../fakes/telegram';
import { type FakeWhatsApp, startWhatsApp } from '../fakes/whatsapp';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * /v2/community-connections over Sellflow's community settings, against the local fakes of
 * Discord, Telegram, Slack and WhatsApp: credentials are checked, sealed and never answered.
 */
let h: Harness;
let discord: FakeDiscord;
let telegram: FakeTelegram;
let slack: FakeSlack;
let whatsapp: FakeWhatsApp;
type Store = Awaited<ReturnType<Harness['createStore']>>;
let store: Store;
let other: Store;

const GUILD = '1200000000000000077';
const api = (method: 'get' | 'post' | 'put' | 'delete', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);
const connections = async (key = store.live) =>
  (await api('get', '/community-connections', undefined, key).expect(200)).body.data as {
    platform: string;
    configured: boolean;
    healthy: boolean;
    credential_health_status: string | null;
    issues: { code: string }[];
    accounts: { id: string }[];
    servers: { id: string; name: string }[];
  }[];
/** The sealed token with its ciphertext's first byte changed: it no longer authenticates. */
const tampered = (token: string) => {
  const parts = token.split('.');
  parts[3] = (parts[3]!.startsWith('A') ? 'B' : 'A') + parts[3]!.slice(1);
  return parts.join('.');
};
const of = async (platform: string, key = store.live) => (await connections(key)).find((c) => c.platform === platform)!;

beforeAll(async () => {
  [discord, telegram, slack, whatsapp] = await Promise.all([
    startDiscord(),
    startTelegram({ botUsername: 'SellflowConnBot' }),
    startSlack(),
    startWhatsApp(),
  ]);
  h = await startHarness({
    env: {
      DISCORD_API_BASE: discord.apiBase,
      DISCORD_BOT_TOKEN: discord.botToken,
      DISCORD_CLIENT_ID: discord.clientId,
      DISCORD_CLIENT_SECRET: discord.clientSecret,
      TELEGRAM_API_ROOT: telegram.url,
      TELEGRAM_BOT_TOKEN: telegram.token,
      SLACK_API_URL: slack.url,
      WHATSAPP_API_URL: whatsapp.url,
    },
  });
  store = await h.createStore();
  other = await h.createStore();
}, 120_000);
afterAll(async () => {
  await h?.close();
  await Promise.all([discord?.close(), telegram?.close(), slack?.close(), whatsapp?.close()]);
});

describe('/v2/community-connections', () => {
  it('lists every platform, none connected yet', async () => {
    expect((await connections()).map((c) => [c.platform, c.configured, c.servers.length])).toEqual([
      ['discord', false, 0],
      ['telegram', false, 0],
      ['slack', false, 0],
      ['whatsapp', false, 0],
    ]);
  });

  it('connects Discord with the official bot: a bot invite link, then its guilds as servers', async () => {
    const started = (await api('post', '/community-connections/discord/connect', { mode: 'official_bot' }).expect(200)).body.data;
    expect(started).toMatchObject({ platform: 'discord', type: 'oauth', mode: 'official_bot' });
    expect(started.connect_url).toContain(`client_id=${discord.clientId}`);
    discord.addGuild({ id: GUILD, name: 'Paid Guild' });
    await api('post', '/community/spaces', { platform: 'discord', external_id: GUILD }).expect(201);
    const listed = await of('discord');
    expect(listed).toMatchObject({ configured: true, servers: [expect.objectContaining({ id: GUILD, name: 'Paid Guild' })] });
    expect(listed.accounts).toHaveLength(1);
    const refused = await api('post', '/community-connections/discord/connect', { mode: 'account' });
    expect([refused.status, refused.body.code, refused.body.param]).toEqual([422, 'mode_not_supported', 'mode']);
  });

  it('connects Slack with a token it checks first; the token is sealed and never answered', async () => {
    const missing = await api('post', '/community-connections/slack/connect', { token: slack.token });
    expect([missing.status, missing.body.type]).toEqual([422, 'validation_error']);
    const wrong = await api('post', '/community-connections/slack/connect', {
      token: 'xoxb-not-the-token',
      invite_url: 'https://join.slack.com/t/x',
    });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(wrong.status).toBeLessThan(500);
    const res = await api('post', '/community-connections/slack/connect', {
      token: slack.token,
      invite_url: 'https://join.slack.com/t/x',
    }).expect(200);
    expect(res.body.data).toMatchObject({ platform: 'slack', type: 'oauth' });
    const everything = JSON.stringify([res.body, await connections()]);
    expect(everything).not.toContain(slack.token);
    const row = await h.db
      .selectFrom('community_connections')
      .select('credentials_sealed')
      .where('store_id', '=', store.id)
      .where('platform', '=', 'slack')
      .executeTakeFirstOrThrow();
    expect(row.credentials_sealed).not.toContain(slack.token);
    expect((await of('slack')).configured).toBe(true);
  });

  it('connects WhatsApp: the status lists the number’s groups, complete adds one; a token of another store is refused', async () => {
    const group = whatsapp.addGroup({ subject: 'VIP WhatsApp', approvalRequired: true });
    const started = (
      await api('post', '/community-connections/whatsapp/connect', {
        access_token: whatsapp.accessToken,
        phone_number_id: whatsapp.phoneNumber.id,
      }).expect(200)
    ).body.data;
    expect(started).toMatchObject({ platform: 'whatsapp', type: 'qr', status_token: expect.any(String) });
    expect(JSON.stringify(started)).not.toContain(whatsapp.accessToken);

    const status = (
      await api('get', `/community-connections/whatsapp/status?status_token=${encodeURIComponent(started.status_token)}`).expect(200)
    ).body.data;
    expect(status).toMatchObject({ platform: 'whatsapp', status: 'authenticated', groups_loaded: true });
    expect(status.available_servers).toContainEqual({ id: group, name: 'VIP WhatsApp', type: 'group' });

    const foreign = await api(
      'get',
      `/community-connections/whatsapp/status?status_token=${encodeURIComponent(started.status_token)}`,
      undefined,
      other.live,
    );
    expect([foreign.status, foreign.body.code]).toEqual([422, 'invalid_status_token']);
    const forged = await api('post', '/community-connections/whatsapp/complete', {
      status_token: tampered(started.status_token as string),
      server_id: group,
    });
    expect([forged.status, forged.body.code]).toEqual([422, 'invalid_status_token']);

    const done = (
      await api('post', '/community-connections/whatsapp/complete', { status_token: started.status_token, server_id: group }).expect(200)
    ).body.data;
    expect(done).toMatchObject({ platform: 'whatsapp', connected: true, server: { id: group, name: 'VIP WhatsApp', type: 'group' } });
    expect((await of('whatsapp')).servers.map((s) => s.id)).toEqual([group]);
    const again = await api('post', '/community-connections/whatsapp/complete', { status_token: started.status_token, server_id: group });
    expect(again.status).toBe(409);
  });

  it('gives Telegram a code to post and a status token to poll', async () => {
    const started = (await api('post', '/community-connections/telegram/connect', {}).expect(200)).body.data;
    expect(started).toMatchObject({ platform: 'telegram', type: 'verification_code', bot_username: 'SellflowConnBot' });
    expect(started.verification_token).toMatch(/^SF-/);
    const status = (
      await api('get', `/community-connections/telegram/status?status_token=${encodeURIComponent(started.status_token)}`).expect(200)
    ).body.data;
    expect(status).toMatchObject({ platform: 'telegram', status: 'pending', server: null });
  });

  it('verify checks the credentials with the platform and records what it found', async () => {
    const fine = (await api('post', '/community-connections/whatsapp/verify').expect(200)).body.data;
    expect(fine).toMatchObject({ platform: 'whatsapp', issue_count: 0, retried_count: 0, skipped_count: 0 });
    expect(fine.healthy_count + fine.issue_count).toBe(1);
    expect(await of('whatsapp')).toMatchObject({ credential_health_status: 'healthy' });

    whatsapp.failNext(new RegExp(`/${whatsapp.phoneNumber.id}$`), { status: 401, method: 'GET' });
    const broken = (await api('post', '/community-connections/whatsapp/verify').expect(200)).body.data;
    expect(broken.issue_count).toBeGreaterThanOrEqual(1);
    const listed = await of('whatsapp');
    expect(listed).toMatchObject({ credential_health_status: 'unhealthy', healthy: false });
    expect(listed.issues.map((i) => i.code)).toContain('credentials_unhealthy');

    const never = await api('post', '/community-connections/telegram/verify', undefined, other.live);
    expect([never.status, never.body.code]).toEqual([422, 'platform_not_connected']);
  });

  it('verify skips the grants that failed while the credentials do not work, naming their products', async () => {
    const { productId, variantId } = await createVariant(
      h,
      store.live,
      { deliverable: { types: ['MANUAL'], data: { comment: 'x' } }, payment_methods: ['PAYPAL'] },
      { title: 'Guild pass' },
    );
    expect(productId).toBeGreaterThan(0);
    const invoice = await api('post', '/invoices', {
      customer_email: 'fan@e.co',
      payment_method: 'PAYPAL',
      product_variants: { [variantId]: { quantity: 1 } },
    }).expect(201);
    const space = (await api('get', '/community/spaces?platform=discord').expect(200)).body.data[0];
    const access = await h.db
      .insertInto('variant_community_access')
      .values({ store_id: store.id, variant_id: variantId, space_id: space.id, role_ids: '[]' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await h.db
      .insertInto('community_grants')
      .values({
        store_id: store.id,
        livemode: true,
        invoice_id: invoice.body.data.id,
        access_id: access.id,
        space_id: space.id,
        platform: 'discord',
        status: 'needs_manual_action',
        reason: 'missing permission',
        role_ids: '[]',
        remove_on_expiry: true,
        member_id: null,
        join_pending_at: null,
        invite_url: null,
        awaiting_until: null,
        history: '[]',
        granted_at: null,
        revoke_requested_at: null,
        revoke_reason: null,
        revoke_signaled_at: null,
        revoked_at: null,
      })
      .execute();
    expect(await of('discord')).toMatchObject({ failed_grant_count: 1 });

    discord.failNext('GET /users/@me', { status: 401 });
    const verified = (await api('post', '/community-connections/discord/verify').expect(200)).body.data;
    expect(verified).toMatchObject({ platform: 'discord', retried_count: 0, skipped_count: 1, skipped_products: ['Guild pass'] });
    expect(verified.issue_count).toBeGreaterThanOrEqual(1);
    expect(await of('discord')).toMatchObject({ credential_health_status: 'unhealthy', healthy: false });
  });

  it('disconnects a platform (twice is fine), but not while a variant still grants one of its servers', async () => {
    const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
    const space = (await api('get', '/community/spaces?platform=discord').expect(200)).body.data[0];
    await h.db
      .insertInto('variant_community_access')
      .values({ store_id: store.id, variant_id: variantId, space_id: space.id, role_ids: '[]' })
      .execute();
    const refused = await api('delete', '/community-connections/discord');
    expect([refused.status, refused.body.code]).toEqual([409, 'space_in_use']);

    await api('delete', '/community-connections/whatsapp').expect(200);
    await api('delete', '/community-connections/whatsapp').expect(200);
    expect(await of('whatsapp')).toMatchObject({ configured: false, servers: [], accounts: [] });
    const verify = await api('post', '/community-connections/whatsapp/verify');
    expect([verify.status, verify.body.code]).toEqual([422, 'platform_not_connected']);
    expect((await api('delete', '/community-connections/myspace')).status).toBe(422);
  });
});
