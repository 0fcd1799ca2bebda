import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One Slack workspace behind the Web API on loopback: POST /api/<method>, form-encoded or JSON,
 * `Authorization: Bearer <token>`, answered with Slack's shapes ({ ok: true, ... } or
 * { ok: false, error } on HTTP 200, cursor paging in response_metadata.next_cursor). The token's
 * bot is "the app"; tests add channels, move the app in and out of them and let customers join
 * the workspace late.
 */
export interface RecordedSlackCall {
  method: string;
  /** The call's arguments as strings, without any token. */
  params: Record<string, string>;
}

interface FakeChannel {
  id: string;
  name: string;
  isPrivate: boolean;
  isArchived: boolean;
  appIsMember: boolean;
  /** Workspace members in the channel, the app aside. */
  members: Set<string>;
}

interface FakeUser {
  id: string;
  name: string;
  email: string;
}

type Reply = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

const APP_USER_ID = 'U0APPBOT01';

export async function startSlack(options: { token?: string; team?: { id: string; name: string }; maxPageSize?: number } = {}) {
  const token = options.token ?? 'xoxb-fake-sellflow-bot-token';
  const team = options.team ?? { id: 'T0SELLFLOW', name: 'Sellflow Community' };
  const calls: RecordedSlackCall[] = [];
  const channels = new Map<string, FakeChannel>();
  const usersByEmail = new Map<string, FakeUser>();
  const userIds = new Set<string>([APP_USER_ID]);
  const failures: { method: string; status: number; retryAfterSeconds?: number; times: number }[] = [];
  let nextUser = 1;

  const ok = (body: Record<string, unknown> = {}): Reply => ({ status: 200, body: { ok: true, ...body } });
  const fail = (error: string): Reply => ({ status: 200, body: { ok: false, error } });
  const channelJson = (c: FakeChannel) => ({
    id: c.id,
    name: c.name,
    name_normalized: c.name,
    is_channel: !c.isPrivate,
    is_group: false,
    is_im: false,
    is_private: c.isPrivate,
    is_archived: c.isArchived,
    is_member: c.appIsMember,
    created: 1_700_000_000,
    num_members: c.members.size + (c.appIsMember ? 1 : 0),
  });
  /** Slack hides a private channel from an app outside it. */
  const visibleChannel = (id: string | undefined) => {
    const channel = id === undefined ? undefined : channels.get(id);
    return channel && (channel.appIsMember || !channel.isPrivate) ? channel : undefined;
  };

  function handle(method: string, p: Record<string, string>): Reply {
    switch (method) {
      case 'auth.test':
        return ok({
          url: `https://${team.name.toLowerCase().replace(/\W+/g, '-')}.slack.com/`,
          team: team.name,
          user: 'sellflow',
          team_id: team.id,
          user_id: APP_USER_ID,
          bot_id: 'B0APPBOT01',
          is_enterprise_install: false,
        });
      case 'users.lookupByEmail': {
        const user = usersByEmail.get((p.email ?? '').toLowerCase());
        if (!user) return fail('users_not_found');
        return ok({
          user: {
            id: user.id,
            team_id: team.id,
            name: user.name,
            real_name: user.name,
            deleted: false,
            is_bot: false,
            profile: { email: user.email, real_name: user.name },
          },
        });
      }
      case 'users.conversations': {
        const types = (p.types ?? 'public_channel').split(',');
        const listed = [...channels.values()].filter(
          (c) =>
            c.appIsMember &&
            types.includes(c.isPrivate ? 'private_channel' : 'public_channel') &&
            !(c.isArchived && p.exclude_archived === 'true'),
        );
        const offset = p.cursor ? Number(/^offset:(\d+)$/.exec(Buffer.from(p.cursor, 'base64').toString())?.[1] ?? NaN) : 0;
        if (Number.isNaN(offset)) return fail('invalid_cursor');
        const limit = Math.min(Number(p.limit ?? 100) || 100, options.maxPageSize ?? 1000);
        const end = offset + limit;
        return ok({
          channels: listed.slice(offset, end).map(channelJson),
          response_metadata: { next_cursor: end < listed.length ? Buffer.from(`offset:${end}`).toString('base64') : '' },
        });
      }
      case 'conversations.info': {
        const channel = visibleChannel(p.channel);
        return channel ? ok({ channel: channelJson(channel) }) : fail('channel_not_found');
      }
      case 'conversations.invite': {
        const channel = visibleChannel(p.channel);
        if (!channel) return fail('channel_not_found');
        if (channel.isArchived) return fail('is_archived');
        if (!channel.appIsMember) return fail('not_in_channel');
        const invited = (p.users ?? '').split(',').filter(Boolean);
        if (invited.length === 0) return fail('no_user');
        if (invited.includes(APP_USER_ID)) return fail('cant_invite_self');
        if (invited.some((id) => !userIds.has(id))) return fail('user_not_found');
        if (invited.every((id) => channel.members.has(id))) return fail('already_in_channel');
        for (const id of invited) channel.members.add(id);
        return ok({ channel: channelJson(channel) });
      }
      case 'conversations.kick': {
        const channel = visibleChannel(p.channel);
        if (!channel) return fail('channel_not_found');
        if (p.user === APP_USER_ID) return fail('cant_kick_self');
        if (!p.user || !userIds.has(p.user)) return fail('user_not_found');
        // Real Slack answers an app outside the channel with the same code as a user already gone.
        if (!channel.appIsMember || !channel.members.delete(p.user)) return fail('not_in_channel');
        return ok();
      }
      default:
        return fail('unknown_method');
    }
  }

  /** Form fields, or a JSON body's values as strings (arrays and objects JSON-encoded, as Slack reads them). */
  function parseParams(body: string, contentType: string): Record<string, string> | null {
    if (!contentType.includes('application/json')) return Object.fromEntries(new URLSearchParams(body));
    try {
      const parsed: unknown = body ? JSON.parse(body) : {};
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    } catch {
      return null;
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const send = ({ status, body, headers }: Reply) =>
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
      const method = /^\/api\/([\w.]+)$/.exec(new URL(req.url ?? '/', 'http://slack.test').pathname)?.[1];
      if (req.method !== 'POST' || !method) return send({ status: 404, body: { ok: false, error: 'unknown_method' } });
      const parsed = parseParams(Buffer.concat(chunks).toString('utf8'), req.headers['content-type'] ?? '');
      if (!parsed) return send(fail('invalid_json'));
      const { token: bodyToken, ...params } = parsed;
      calls.push({ method, params });

      const failure = failures.find((f) => f.method === method && f.times > 0);
      if (failure) {
        failure.times -= 1;
        const headers = failure.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(failure.retryAfterSeconds) };
        return send({
          status: failure.status,
          body: { ok: false, error: failure.status === 429 ? 'ratelimited' : 'internal_error' },
          headers,
        });
      }
      const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? bodyToken;
      if (!presented) return send(fail('not_authed'));
      if (presented !== token) return send(fail('invalid_auth'));
      send(handle(method, params));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    /** Web API root, like https://slack.com/api/. */
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`,
    token,
    team,
    appUserId: APP_USER_ID,
    calls,
    /** Calls of one method, e.g. 'conversations.invite'. */
    callsTo: (method: string) => calls.filter((c) => c.method === method),
    addChannel(channel: { id: string; name: string; isPrivate?: boolean; appIsMember?: boolean; isArchived?: boolean }) {
      channels.set(channel.id, { isPrivate: false, appIsMember: true, isArchived: false, ...channel, members: new Set() });
    },
    setAppMembership(channelId: string, isMember: boolean) {
      const channel = channels.get(channelId);
      if (!channel) throw new Error(`no channel ${channelId}`);
      channel.appIsMember = isMember;
    },
    /** The customer accepts the workspace invite link; returns their new user id. */
    joinWorkspace(user: { email: string; name: string }): string {
      const id = `U0CUST${String(nextUser++).padStart(4, '0')}`;
      usersByEmail.set(user.email.toLowerCase(), { id, ...user });
      userIds.add(id);
      return id;
    },
    /** Workspace members in the channel (not the app). */
    channelMembers(channelId: string): string[] {
      return [...(channels.get(channelId)?.members ?? [])];
    },
    /** The next `times` calls of `method` answer HTTP `status` (429 by default, with Retry-After when given). */
    failNext(method: string, failure: { status?: number; retryAfterSeconds?: number; times?: number } = {}) {
      const status = failure.status ?? 429;
      failures.push({
        method,
        status,
        times: failure.times ?? 1,
        retryAfterSeconds: failure.retryAfterSeconds ?? (status === 429 ? 1 : undefined),
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeSlack = Awaited<ReturnType<typeof startSlack>>;
