import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CommunityPlatformError, type GrantRequest } from '../../src/community/platform';
import { WhatsAppAdapter } from '../../src/community/whatsapp/whatsapp-adapter';
import { startWhatsApp, type FakeWhatsApp } from '../fakes/whatsapp';

const CUSTOMER = '+14155550123';
const CUSTOMER_WA_ID = '14155550123';
const STRANGER = '+447700900123';

/** What a call rejected with, for asserting on fields. */
async function failureOf(promise: Promise<unknown>): Promise<CommunityPlatformError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => {
      if (!(error instanceof CommunityPlatformError)) throw error;
      return error;
    },
  );
}

describe('WhatsApp community adapter', () => {
  let graph: FakeWhatsApp;
  let adapter: WhatsAppAdapter;
  let groupId: string;
  /** Every platform error any test saw, with that test's token: none may carry it. */
  const seenErrors: { error: CommunityPlatformError; token: string }[] = [];
  const failure = async (promise: Promise<unknown>) => {
    const error = await failureOf(promise);
    seenErrors.push({ error, token: graph.accessToken });
    return error;
  };
  const grantFor = (phone: string | null, overrides: Partial<GrantRequest> = {}): GrantRequest => ({
    grantId: 7,
    spaceId: groupId,
    roleIds: [],
    customer: { userId: null, accessToken: null, email: null, phone },
    inviteUrl: null,
    beforeJoin: async () => undefined,
    ...overrides,
  });
  const calls = (method: string, pathEnd: string) => graph.requests.filter((r) => r.method === method && r.path.endsWith(pathEnd));

  beforeEach(async () => {
    graph = await startWhatsApp();
    adapter = new WhatsAppAdapter({
      apiBase: graph.url,
      accessToken: graph.accessToken,
      phoneNumberId: graph.phoneNumber.id,
      timeoutMs: 2_000,
    });
    groupId = graph.addGroup({ subject: 'Pro Traders' });
  });
  afterEach(() => graph.close());
  afterAll(() => {
    for (const { error, token } of seenErrors) expect(error.message).not.toContain(token);
  });

  describe('grant', () => {
    it('waits for a customer without a confirmed phone, asking the platform nothing', async () => {
      expect(await adapter.grant(grantFor(null))).toEqual({
        status: 'awaiting_customer',
        reason: 'The customer must confirm a WhatsApp phone number',
        inviteUrl: null,
      });
      expect(graph.requests).toEqual([]);
    });

    it('hands out the invite link while the customer has not asked to join', async () => {
      const result = await adapter.grant(grantFor(CUSTOMER));
      expect(result).toEqual({
        status: 'awaiting_customer',
        reason: `Waiting for the customer to request to join from ${CUSTOMER}`,
        inviteUrl: graph.inviteLink(groupId),
      });
      expect(calls('GET', '/invite_link')).toHaveLength(1);
      expect(graph.requests.every((r) => r.method === 'GET')).toBe(true);
    });

    it('reuses the invite link the grant already issued', async () => {
      const result = await adapter.grant(grantFor(CUSTOMER, { inviteUrl: 'https://chat.whatsapp.com/AlreadySent' }));
      expect(result).toMatchObject({ status: 'awaiting_customer', inviteUrl: 'https://chat.whatsapp.com/AlreadySent' });
      expect(calls('GET', '/invite_link')).toHaveLength(0);
    });

    it("approves the customer's own join request and nobody else's", async () => {
      graph.requestJoin(groupId, STRANGER);
      const ownRequest = graph.requestJoin(groupId, CUSTOMER);

      // The phone as the customer typed it at checkout still matches the wa_id.
      expect(await adapter.grant(grantFor('+1 (415) 555-0123'))).toEqual({ status: 'granted', memberId: CUSTOMER, joinedByGrant: true });
      expect(graph.participants(groupId)).toEqual([CUSTOMER_WA_ID]);
      expect(graph.pendingRequests(groupId)).toEqual(['447700900123']);
      expect(calls('POST', '/join_requests').map((r) => r.body)).toEqual([{ messaging_product: 'whatsapp', join_requests: [ownRequest] }]);

      // Granting again finds them in the group: no second approval.
      expect(await adapter.grant(grantFor(CUSTOMER))).toEqual({ status: 'granted', memberId: CUSTOMER, joinedByGrant: false });
      expect(calls('POST', '/join_requests')).toHaveLength(1);
    });

    it('leaves a request from a different number pending and keeps waiting', async () => {
      graph.requestJoin(groupId, STRANGER);
      graph.requestJoin(groupId, '+14155550124');
      const result = await adapter.grant(grantFor(CUSTOMER));
      expect(result).toMatchObject({ status: 'awaiting_customer', reason: `Waiting for the customer to request to join from ${CUSTOMER}` });
      expect(graph.pendingRequests(groupId)).toEqual(['447700900123', '14155550124']);
      expect(graph.participants(groupId)).toEqual([]);
      expect(graph.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    });

    it('finds the request on a later page of join requests', async () => {
      await graph.close();
      graph = await startWhatsApp({ pageSize: 2 });
      adapter = new WhatsAppAdapter({ apiBase: graph.url, accessToken: graph.accessToken, phoneNumberId: graph.phoneNumber.id });
      groupId = graph.addGroup({ subject: 'Busy' });
      for (let i = 0; i < 5; i += 1) graph.requestJoin(groupId, `+1415555099${i}`);
      graph.requestJoin(groupId, CUSTOMER);

      expect(await adapter.grant(grantFor(CUSTOMER))).toMatchObject({ status: 'granted', joinedByGrant: true });
      expect(calls('GET', '/join_requests')).toHaveLength(3);
      expect(graph.pendingRequests(groupId)).toHaveLength(5);
    });

    it("matches a Mexican mobile's wa_id, which keeps the legacy 1 after the country code", async () => {
      graph.requestJoin(groupId, '+5215512345678');
      expect(await adapter.grant(grantFor('+52 55 1234 5678'))).toEqual({
        status: 'granted',
        memberId: '+525512345678',
        joinedByGrant: true,
      });
      expect(graph.participants(groupId)).toEqual(['5215512345678']);
    });

    it('grants a customer already in the group without touching join requests', async () => {
      graph.addParticipant(groupId, CUSTOMER);
      expect(await adapter.grant(grantFor(CUSTOMER))).toEqual({ status: 'granted', memberId: CUSTOMER, joinedByGrant: false });
      expect(calls('GET', '/join_requests')).toHaveLength(0);
    });

    it('reports a throttled call as rate_limited with the wait, without retrying itself', async () => {
      graph.requestJoin(groupId, CUSTOMER);
      graph.failNext(/\/join_requests$/, { status: 429, code: 130429, retryAfterSeconds: 30 });
      const error = await failure(adapter.grant(grantFor(CUSTOMER)));
      expect(error).toMatchObject({
        platform: 'whatsapp',
        kind: 'rate_limited',
        retryAfterMs: 30_000,
        retryable: true,
        options: { platformCode: 130429 },
      });
      expect(calls('GET', '/join_requests')).toHaveLength(1);
      expect(graph.pendingRequests(groupId)).toEqual([CUSTOMER_WA_ID]);
    });

    it('falls back to the business use case header, then to a minute, when Graph sends no Retry-After', async () => {
      graph.failNext(/\/invite_link$/, {
        status: 400,
        code: 80007,
        headers: {
          'x-business-use-case-usage': JSON.stringify({
            '1234': [{ type: 'whatsapp_business_management', call_count: 100, estimated_time_to_regain_access: 3 }],
          }),
        },
      });
      expect(await failure(adapter.grant(grantFor(CUSTOMER)))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 180_000 });

      graph.failNext(/\/invite_link$/, { status: 400, code: 4 });
      expect(await failure(adapter.grant(grantFor(CUSTOMER)))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 60_000 });
      expect(calls('GET', '/invite_link')).toHaveLength(2);
    });

    it('needs the seller when approving is refused for lack of permission', async () => {
      graph.requestJoin(groupId, CUSTOMER);
      graph.failNext(/\/join_requests$/, {
        status: 403,
        code: 200,
        method: 'POST',
        message: '(#200) Requires whatsapp_business_management permission',
      });
      const error = await failure(adapter.grant(grantFor(CUSTOMER)));
      expect(error).toMatchObject({ kind: 'missing_permission', retryable: false, options: { platformCode: 200 } });
      expect(error.message).toContain('whatsapp_business_management');
      expect(graph.participants(groupId)).toEqual([]);
    });

    it('treats an unknown group as not connected and a server fault as retryable', async () => {
      expect(await failure(adapter.grant(grantFor(CUSTOMER, { spaceId: '120363999999999999' })))).toMatchObject({
        kind: 'not_connected',
        options: { platformCode: 100 },
      });

      graph.failNext(/./, { status: 503 });
      expect(await failure(adapter.grant(grantFor(CUSTOMER)))).toMatchObject({ kind: 'unavailable', retryable: true });

      graph.failNext(/./, { status: 400, code: 100, message: '(#100) Invalid parameter' });
      expect(await failure(adapter.grant(grantFor(CUSTOMER)))).toMatchObject({ kind: 'invalid_request', retryable: false });
    });

    it('waits for a customer whose phone is not a phone number', async () => {
      expect(await adapter.grant(grantFor('12'))).toMatchObject({ status: 'awaiting_customer', inviteUrl: null });
      expect(graph.requests).toEqual([]);
    });
  });

  describe('revoke', () => {
    const revokeOf = (memberId: string) => ({ grantId: 7, spaceId: groupId, roleIds: [], memberId, removeMember: true, inviteUrl: null });

    it('removes the member, and a second revoke is still a success', async () => {
      graph.addParticipant(groupId, CUSTOMER);
      graph.addParticipant(groupId, STRANGER);
      await adapter.revoke(revokeOf(CUSTOMER));
      expect(graph.participants(groupId)).toEqual(['447700900123']);
      expect(calls('DELETE', '/participants').map((r) => r.body)).toEqual([
        { messaging_product: 'whatsapp', participants: [{ user: CUSTOMER_WA_ID }] },
      ]);

      await expect(adapter.revoke(revokeOf(CUSTOMER))).resolves.toBeUndefined();
      expect(calls('DELETE', '/participants')).toHaveLength(2);
      expect(graph.participants(groupId)).toEqual(['447700900123']);
    });

    it('still fails on errors other than "not in the group"', async () => {
      graph.addParticipant(groupId, CUSTOMER);
      graph.failNext(/\/participants$/, { status: 500 });
      expect(await failure(adapter.revoke(revokeOf(CUSTOMER)))).toMatchObject({ kind: 'unavailable' });
      expect(graph.participants(groupId)).toEqual([CUSTOMER_WA_ID]);
    });
  });

  describe('setup checks', () => {
    it('names the connected number', async () => {
      expect(await adapter.checkConnection()).toEqual({
        accountId: graph.phoneNumber.id,
        accountName: 'Sellflow Test Store (+1 555-0100)',
      });
      expect(graph.requests[0]).toMatchObject({
        method: 'GET',
        path: `/v23.0/${graph.phoneNumber.id}`,
        query: { fields: 'display_phone_number,verified_name' },
      });
    });

    it('is not connected with a bad token, and never says the token', async () => {
      const wrongToken = `${graph.accessToken}x`;
      const error = await failure(
        new WhatsAppAdapter({ apiBase: graph.url, accessToken: wrongToken, phoneNumberId: graph.phoneNumber.id }).checkConnection(),
      );
      expect(error).toMatchObject({ kind: 'not_connected', options: { platformCode: 190 } });
      expect(error.message).not.toContain(wrongToken);

      // Even when Graph quotes the token back.
      graph.failNext(/./, { status: 400, code: 190, message: `Error validating access token ${graph.accessToken}: Session has expired` });
      const expired = await failure(adapter.checkConnection());
      expect(expired).toMatchObject({ kind: 'not_connected' });
      expect(expired.message).toContain('Session has expired');
      expect(expired.message).not.toContain(graph.accessToken);
    });

    it('is unavailable when the API cannot be reached', async () => {
      await graph.close();
      expect(await failure(adapter.checkConnection())).toMatchObject({ kind: 'unavailable', retryable: true });
      graph = await startWhatsApp();
    });

    it('gives up on a silent API after its timeout, as retryable', async () => {
      const silent = http.createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const slow = new WhatsAppAdapter({
          apiBase: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v23.0`,
          accessToken: graph.accessToken,
          phoneNumberId: '1',
          timeoutMs: 200,
        });
        const error = await failure(slow.listSpaces());
        expect(error).toMatchObject({ kind: 'unavailable', retryable: true });
        expect(error.message).toContain('timed out after 200 ms');
      } finally {
        silent.closeAllConnections();
        await new Promise((resolve) => silent.close(resolve));
      }
    });

    it('lists every group of the number across pages', async () => {
      await graph.close();
      graph = await startWhatsApp({ pageSize: 2 });
      adapter = new WhatsAppAdapter({ apiBase: graph.url, accessToken: graph.accessToken, phoneNumberId: graph.phoneNumber.id });
      const ids = ['Alpha', 'Beta', 'Gamma', 'Delta', 'Epsilon'].map((subject) => ({ id: graph.addGroup({ subject }), name: subject }));
      expect(await adapter.listSpaces()).toEqual(ids);
      expect(graph.requests.map((r) => r.path)).toEqual(Array(3).fill(`/v23.0/${graph.phoneNumber.id}/groups`));
    });

    it('reports a healthy group with its subject and no issues', async () => {
      expect(await adapter.checkSpace(groupId, [])).toEqual({ name: 'Pro Traders', issues: [] });
    });

    it('flags a group where our number is not admin or approval is off', async () => {
      const notAdmin = graph.addGroup({ subject: 'Borrowed', weAreAdmin: false });
      expect((await adapter.checkSpace(notAdmin, [])).issues.map((i) => i.code)).toEqual(['not_admin']);

      const open = graph.addGroup({ subject: 'Open door', approvalRequired: false });
      const check = await adapter.checkSpace(open, []);
      expect(check).toMatchObject({ name: 'Open door' });
      expect(check.issues.map((i) => i.code)).toEqual(['approval_mode_off']);

      const both = graph.addGroup({ subject: 'Both', weAreAdmin: false, approvalRequired: false });
      expect((await adapter.checkSpace(both, [])).issues.map((i) => i.code)).toEqual(['not_admin', 'approval_mode_off']);
    });

    it('reports a group our number does not have', async () => {
      const check = await adapter.checkSpace('120363999999999999', []);
      expect(check.name).toBeNull();
      expect(check.issues.map((i) => i.code)).toEqual(['group_not_found']);
    });

    it('does not hide a broken token behind a space issue', async () => {
      const error = await failure(
        new WhatsAppAdapter({ apiBase: graph.url, accessToken: 'EAAGnope', phoneNumberId: graph.phoneNumber.id }).checkSpace(groupId, []),
      );
      expect(error).toMatchObject({ kind: 'not_connected', options: { platformCode: 190 } });
    });
  });
});
