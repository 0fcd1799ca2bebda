import { CommunityPlatformError, type CustomerIdentity, type GrantRequest, type RevokeRequest } from '../../src/community/platform';
import { SlackAdapter } from '../../src/community/slack/slack-adapter';
import { startSlack, type FakeSlack } from '../fakes/slack';

const CHANNEL = 'C0MEMBERS1';
const INVITE_URL = 'https://join.slack.com/t/sellflow/shared_invite/zt-abc123';
const EMAIL = 'ada@example.com';
// Distinctive, so any leak into an error is easy to spot.
const TOKEN = 'xoxb-1111-2222-SECRETSECRETSECRET';

const customer = (identity: Partial<CustomerIdentity>): CustomerIdentity => ({
  userId: null,
  accessToken: null,
  email: null,
  phone: null,
  ...identity,
});
const grantRequest = (identity: Partial<CustomerIdentity>, spaceId = CHANNEL): GrantRequest => ({
  grantId: 7,
  spaceId,
  roleIds: [],
  customer: customer(identity),
  inviteUrl: INVITE_URL,
  beforeJoin: async () => undefined,
});
const revokeRequest = (memberId: string, spaceId = CHANNEL): RevokeRequest => ({
  grantId: 7,
  spaceId,
  roleIds: [],
  memberId,
  removeMember: true,
  inviteUrl: INVITE_URL,
});

/** What a call rejected with, as a CommunityPlatformError, checked to hold no token. */
async function failureOf(promise: Promise<unknown>): Promise<CommunityPlatformError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(CommunityPlatformError);
  const failure = error as CommunityPlatformError;
  expect(failure.platform).toBe('slack');
  expect(`${failure.message} ${failure.stack ?? ''} ${JSON.stringify(failure.options)}`).not.toContain('SECRET');
  return failure;
}

describe('Slack adapter', () => {
  let slack: FakeSlack;
  let adapter: SlackAdapter;
  beforeEach(async () => {
    slack = await startSlack({ token: TOKEN, team: { id: 'T0ACME', name: 'Acme Insiders' }, maxPageSize: 2 });
    slack.addChannel({ id: CHANNEL, name: 'members' });
    adapter = new SlackAdapter({ apiUrl: slack.url, token: TOKEN, timeoutMs: 5_000 });
  });
  afterEach(() => slack.close());

  it('checks the connection as the workspace the token belongs to', async () => {
    await expect(adapter.checkConnection()).resolves.toEqual({ accountId: 'T0ACME', accountName: 'Acme Insiders' });
  });

  it('waits for a customer who has not joined the workspace, with the invite link', async () => {
    const result = await adapter.grant(grantRequest({ email: EMAIL }));
    expect(result).toEqual({
      status: 'awaiting_customer',
      reason: 'Waiting for the customer to join the Slack workspace with the invite link',
      inviteUrl: INVITE_URL,
    });
    expect(slack.callsTo('users.lookupByEmail')).toEqual([{ method: 'users.lookupByEmail', params: { email: EMAIL } }]);
    expect(slack.callsTo('conversations.invite')).toEqual([]);
  });

  it('waits without calling Slack when the order has neither email nor Slack user id', async () => {
    const result = await adapter.grant(grantRequest({}));
    expect(result).toMatchObject({ status: 'awaiting_customer', inviteUrl: INVITE_URL });
    expect(slack.calls).toEqual([]);
  });

  it('invites the customer once they joined the workspace, then re-grants as already in the channel', async () => {
    expect((await adapter.grant(grantRequest({ email: EMAIL }))).status).toBe('awaiting_customer');
    const userId = slack.joinWorkspace({ email: 'Ada@Example.com', name: 'Ada' });

    await expect(adapter.grant(grantRequest({ email: EMAIL }))).resolves.toEqual({
      status: 'granted',
      memberId: userId,
      joinedByGrant: true,
    });
    expect(slack.channelMembers(CHANNEL)).toEqual([userId]);
    expect(slack.callsTo('conversations.invite')).toEqual([
      { method: 'conversations.invite', params: { channel: CHANNEL, users: userId } },
    ]);

    // The activity may run again after a crash: already_in_channel is success, not joined by this grant.
    await expect(adapter.grant(grantRequest({ userId }))).resolves.toEqual({ status: 'granted', memberId: userId, joinedByGrant: false });
    expect(slack.channelMembers(CHANNEL)).toEqual([userId]);
  });

  it('needs the seller to add the app when it is not in the channel', async () => {
    const userId = slack.joinWorkspace({ email: EMAIL, name: 'Ada' });
    slack.setAppMembership(CHANNEL, false);
    const failure = await failureOf(adapter.grant(grantRequest({ userId })));
    expect(failure).toMatchObject({ kind: 'missing_permission', retryable: false, options: { platformCode: 'not_in_channel' } });
    expect(slack.channelMembers(CHANNEL)).toEqual([]);
  });

  it('reports a private channel it cannot see and an archived one as not connected', async () => {
    const userId = slack.joinWorkspace({ email: EMAIL, name: 'Ada' });
    slack.addChannel({ id: 'G0HIDDEN01', name: 'vip', isPrivate: true, appIsMember: false });
    slack.addChannel({ id: 'C0OLD00001', name: 'old', isArchived: true });
    expect(await failureOf(adapter.grant(grantRequest({ userId }, 'G0HIDDEN01')))).toMatchObject({
      kind: 'not_connected',
      options: { platformCode: 'channel_not_found' },
    });
    expect(await failureOf(adapter.grant(grantRequest({ userId }, 'C0OLD00001')))).toMatchObject({
      kind: 'not_connected',
      options: { platformCode: 'is_archived' },
    });
  });

  it('turns a 429 into rate_limited with Retry-After, without the SDK retrying or sleeping', async () => {
    const userId = slack.joinWorkspace({ email: EMAIL, name: 'Ada' });
    slack.failNext('conversations.invite', { status: 429, retryAfterSeconds: 30 });
    const started = Date.now();
    const failure = await failureOf(adapter.grant(grantRequest({ userId })));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(failure).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 30_000 });
    expect(slack.callsTo('conversations.invite')).toHaveLength(1);

    // The activity's retry then goes through.
    await expect(adapter.grant(grantRequest({ userId }))).resolves.toMatchObject({ status: 'granted', joinedByGrant: true });
  });

  it('turns a 5xx into a retryable unavailable after a single attempt', async () => {
    slack.failNext('auth.test', { status: 503 });
    const failure = await failureOf(adapter.checkConnection());
    expect(failure).toMatchObject({ kind: 'unavailable', retryable: true, options: { platformCode: 503 } });
    expect(slack.callsTo('auth.test')).toHaveLength(1);
  });

  it('is unavailable when Slack cannot be reached', async () => {
    await slack.close();
    expect(await failureOf(adapter.checkConnection())).toMatchObject({ kind: 'unavailable', retryable: true });
  });

  it('revokes by kicking, and a second revoke of the gone member succeeds', async () => {
    const userId = slack.joinWorkspace({ email: EMAIL, name: 'Ada' });
    await adapter.grant(grantRequest({ userId }));
    expect(slack.channelMembers(CHANNEL)).toEqual([userId]);

    await adapter.revoke(revokeRequest(userId));
    expect(slack.channelMembers(CHANNEL)).toEqual([]);
    await expect(adapter.revoke(revokeRequest(userId))).resolves.toBeUndefined();
    expect(slack.callsTo('conversations.kick')).toEqual([
      { method: 'conversations.kick', params: { channel: CHANNEL, user: userId } },
      { method: 'conversations.kick', params: { channel: CHANNEL, user: userId } },
    ]);
  });

  it('does not take not_in_channel for a finished revoke when the app itself left the channel', async () => {
    const userId = slack.joinWorkspace({ email: EMAIL, name: 'Ada' });
    await adapter.grant(grantRequest({ userId }));
    slack.setAppMembership(CHANNEL, false);
    const failure = await failureOf(adapter.revoke(revokeRequest(userId)));
    expect(failure).toMatchObject({ kind: 'missing_permission', options: { platformCode: 'not_in_channel' } });
    expect(slack.channelMembers(CHANNEL)).toEqual([userId]);
  });

  it('checks a space: healthy, app not in channel, archived, not found', async () => {
    await expect(adapter.checkSpace(CHANNEL, [])).resolves.toEqual({ name: 'members', issues: [] });

    slack.setAppMembership(CHANNEL, false);
    const outside = await adapter.checkSpace(CHANNEL, []);
    expect(outside.name).toBe('members');
    expect(outside.issues.map((issue) => issue.code)).toEqual(['app_not_in_channel']);

    slack.addChannel({ id: 'C0OLD00001', name: 'old', isArchived: true });
    expect((await adapter.checkSpace('C0OLD00001', [])).issues.map((issue) => issue.code)).toEqual(['channel_archived']);

    const missing = await adapter.checkSpace('C0GONE0001', []);
    expect(missing.name).toBeNull();
    expect(missing.issues.map((issue) => issue.code)).toEqual(['channel_not_found']);
  });

  it('lists the channels the app is in, following cursors, without archived or foreign ones', async () => {
    slack.addChannel({ id: 'G0VIP00001', name: 'vip', isPrivate: true });
    slack.addChannel({ id: 'C0ANNOUNCE', name: 'announcements' });
    slack.addChannel({ id: 'C0RANDOM01', name: 'random', appIsMember: false });
    slack.addChannel({ id: 'C0OLD00001', name: 'old', isArchived: true });
    slack.addChannel({ id: 'C0SUPPORT1', name: 'support' });

    await expect(adapter.listSpaces()).resolves.toEqual([
      { id: CHANNEL, name: 'members' },
      { id: 'G0VIP00001', name: 'vip' },
      { id: 'C0ANNOUNCE', name: 'announcements' },
      { id: 'C0SUPPORT1', name: 'support' },
    ]);
    const pages = slack.callsTo('users.conversations');
    expect(pages).toHaveLength(2);
    expect(pages[0]!.params).toMatchObject({ types: 'public_channel,private_channel', exclude_archived: 'true' });
    expect(pages[0]!.params.cursor).toBeUndefined();
    expect(pages[1]!.params.cursor).toEqual(expect.any(String));
  });

  it('is not connected with a wrong token, and never puts the token in errors', async () => {
    const wrong = new SlackAdapter({ apiUrl: slack.url, token: 'xoxb-9999-SECRETWRONG', timeoutMs: 5_000 });
    const failure = await failureOf(wrong.checkConnection());
    expect(failure).toMatchObject({ kind: 'not_connected', retryable: false, options: { platformCode: 'invalid_auth' } });
    expect(await failureOf(wrong.grant(grantRequest({ email: EMAIL })))).toMatchObject({ kind: 'not_connected' });
    expect(await failureOf(wrong.listSpaces())).toMatchObject({ kind: 'not_connected' });
  });
  it('fake: takes JSON bodies too, and refuses a call without a token', async () => {
    const post = async (body: unknown, authorization?: string) => {
      const response = await fetch(`${slack.url}conversations.info`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(body),
      });
      return (await response.json()) as Record<string, unknown>;
    };
    await expect(post({ channel: CHANNEL }, `Bearer ${TOKEN}`)).resolves.toMatchObject({
      ok: true,
      channel: { id: CHANNEL, is_member: true },
    });
    await expect(post({ channel: CHANNEL })).resolves.toEqual({ ok: false, error: 'not_authed' });
  });
});
