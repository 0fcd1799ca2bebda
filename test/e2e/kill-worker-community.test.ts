import { randomUUID } from 'node:crypto';
import { PermissionFlagsBits } from 'discord.js';
import request from 'supertest';
import { transitionInvoice } from '../../src/orders/invoice-transitions';
import { mainTaskQueue } from '../../src/temporal/task-queues';
import { startDiscord } from '../fakes/discord';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { spawnCli, waitForOutput } from '../helpers/cli';
import { type Harness, startHarness, testTemporalAddress } from '../helpers/harness';

/**
 * Community grants exactly once across a crash: a real `sellflow worker` is SIGKILLed while
 * communityGrant workflows are adding customers to a Discord guild (some held back by 429s),
 * and a new one is started. Every grant ends granted once, with its roles; a refund of every
 * order then takes every role back once.
 */
const ORDERS = 10;
const GUILD = '1400000000000000001';
const ROLE = '1400000000000000010';
const BOT_ROLE = '1400000000000000011';
const prefix = `kill-community-${randomUUID()}`;
let h: Harness;
let discord: Awaited<ReturnType<typeof startDiscord>>;
const communityEnv = () => ({
  DISCORD_API_BASE: discord.apiBase,
  DISCORD_BOT_TOKEN: discord.botToken,
  DISCORD_CLIENT_ID: discord.clientId,
  DISCORD_CLIENT_SECRET: discord.clientSecret,
  COMMUNITY_CHECK_SECONDS: '0.3',
  COMMUNITY_CHECK_MAX_SECONDS: '1',
});

beforeAll(async () => {
  discord = await startDiscord();
  h = await startHarness({ taskQueue: mainTaskQueue(prefix), database: 'postgres', env: communityEnv() });
});
afterAll(async () => {
  await h.close();
  await discord.close();
});

function startWorker() {
  const child = spawnCli(['worker'], {
    ...h.database.env,
    ...communityEnv(),
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE_PREFIX: prefix,
    // The API sealed the customers' Discord tokens with the key in this data directory.
    SELLFLOW_DATA_DIR: h.config.dataDir,
  });
  // The worker's log, shown when the test fails: a stuck grant says why there.
  child.stderr?.on('data', (chunk: Buffer) => workerLog.push(chunk.toString()));
  child.stdout?.on('data', (chunk: Buffer) => workerLog.push(chunk.toString()));
  return { child, up: waitForOutput(child, /worker is up/, 60_000) };
}
const workerLog: string[] = [];
async function explained<T>(waiting: Promise<T>): Promise<T> {
  try {
    return await waiting;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- worker log (tail) ---\n${workerLog.join('').slice(-6000)}`, { cause: error });
  }
}

it('grants and revokes every community access exactly once when the worker is killed mid-grant', async () => {
  const store = await h.createStore();
  const api = (method: 'get' | 'post' | 'put' | 'patch', path: string, body?: object) =>
    request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
  discord.addGuild({
    id: GUILD,
    name: 'Kill test',
    everyonePermissions: 0n,
    botRoleIds: [BOT_ROLE],
    roles: [
      { id: ROLE, name: 'Paid', position: 1 },
      {
        id: BOT_ROLE,
        name: 'Sellflow',
        position: 5,
        permissions: PermissionFlagsBits.ManageRoles | PermissionFlagsBits.CreateInstantInvite | PermissionFlagsBits.KickMembers,
        managed: true,
      },
    ],
  });
  let worker = startWorker();
  try {
    await api('put', '/community/connections/discord', { bot_mode: 'official' }).expect(200);
    const spaceId = (await api('post', '/community/spaces', { platform: 'discord', external_id: GUILD }).expect(201)).body.data
      .id as number;
    const { productId, variantId } = await createVariant(h, store.live, {
      deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } },
    });
    await api('put', `/products/${productId}/variants/${variantId}/community`, {
      access: [{ space_id: spaceId, role_ids: [ROLE], linking_required: true }],
    }).expect(200);
    await worker.up;

    const orders: { invoiceId: number; userId: string }[] = [];
    for (let i = 0; i < ORDERS; i += 1) {
      const invoiceId = (
        await api('post', '/invoices', {
          customer_email: `k${i}@e.co`,
          payment_method: 'PAYPAL',
          product_variants: { [variantId]: { quantity: 1 } },
        }).expect(201)
      ).body.data.id as number;
      const userId = `15000000000000000${String(i).padStart(2, '0')}`;
      const state = new URL(
        (await api('post', `/invoices/${invoiceId}/community/discord/authorize`).expect(200)).body.data.authorize_url,
      ).searchParams.get('state');
      const code = discord.issueAuthorizationCode({ userId, username: `k${i}`, scopes: ['identify', 'guilds.join'] });
      await request(h.app).get('/community/discord/callback').query({ code, state }).expect(200);
      orders.push({ invoiceId, userId });
    }
    // Half the customers are rate limited on their first join: their grants are mid-retry at the kill.
    for (const { userId } of orders.slice(ORDERS / 2))
      discord.failNext(`PUT /guilds/${GUILD}/members/${userId}`, { status: 429, retryAfterSeconds: 3, times: 1 });
    for (const { invoiceId } of orders) await api('patch', `/invoices/${invoiceId}/mark-completed`).expect(200);
    const ids = orders.map((o) => o.invoiceId);
    const grants = () => h.db.selectFrom('community_grants').select(['id', 'status', 'history']).where('invoice_id', 'in', ids).execute();

    await waitFor(grants, (rows) => rows.filter((g) => g.status === 'granted').length >= 2, 60_000);
    worker.child.kill('SIGKILL');
    await new Promise((resolve) => worker.child.once('exit', resolve));
    expect((await grants()).filter((g) => g.status === 'granted').length).toBeLessThan(ORDERS);

    worker = startWorker();
    await worker.up;
    const granted = await explained(
      waitFor(grants, (rows) => rows.length === ORDERS && rows.every((g) => g.status === 'granted'), 180_000),
    );
    for (const grant of granted) expect(grant.history.filter((e) => e.status === 'granted')).toHaveLength(1);
    for (const { userId } of orders) expect(discord.member(GUILD, userId)).toEqual([ROLE]);

    for (const { invoiceId } of orders) await h.db.transaction().execute((trx) => transitionInvoice(trx, invoiceId, 'REFUNDED'));
    const revoked = await explained(waitFor(grants, (rows) => rows.every((g) => g.status === 'revoked'), 120_000));
    for (const grant of revoked) expect(grant.history.filter((e) => e.status === 'revoked')).toHaveLength(1);
    // Nobody keeps the paid role; no grant failed along the way.
    for (const { userId } of orders) expect(discord.member(GUILD, userId) ?? []).not.toContain(ROLE);
    expect(
      await h.db.selectFrom('events').select('id').where('store_id', '=', store.id).where('type', '=', 'community.grant_failed').execute(),
    ).toHaveLength(0);
  } finally {
    worker.child.kill('SIGKILL');
  }
}, 420_000);
