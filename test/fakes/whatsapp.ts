import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The WhatsApp Cloud API's Groups API on loopback, under /v23.0 like graph.facebook.com:
 * GET /<PHONE_NUMBER_ID>, GET /<PHONE_NUMBER_ID>/groups, GET /<GROUP_ID>?fields=…,
 * GET /<GROUP_ID>/invite_link, GET|POST|DELETE /<GROUP_ID>/join_requests and
 * DELETE /<GROUP_ID>/participants, with Graph's bodies, paging and error envelopes.
 * Tests play the customers: requestJoin() as if they tapped the invite link, addParticipant() as
 * if they were already in. A group where weAreAdmin is false answers the admin-only calls with a
 * permission error (the docs say nothing on this; it is how Graph refuses what a caller may not do).
 */
export interface RecordedGraphRequest {
  method: string;
  /** Path without the query, e.g. /v23.0/120363000000000001/join_requests. */
  path: string;
  query: Record<string, string>;
  body: unknown;
}

interface FakeGroup {
  id: string;
  subject: string;
  approvalRequired: boolean;
  weAreAdmin: boolean;
  suspended: boolean;
  inviteLink: string;
  createdAt: number;
  /** wa_ids: digits without the plus. Our business is not listed, as in the API. */
  participants: string[];
  joinRequests: { id: string; waId: string; createdAt: number }[];
}

interface Failure {
  path: RegExp;
  method?: string;
  status: number;
  code: number;
  subcode?: number;
  message?: string;
  retryAfterSeconds?: number;
  headers?: Record<string, string>;
  times: number;
}

export interface FailureOptions {
  status: number;
  /** Graph error code; defaults by status: 429 → 4, 401 → 190, 403 → 200, 5xx → 2, else 100. */
  code?: number;
  subcode?: number;
  message?: string;
  /** Only this method (GET, POST, DELETE). */
  method?: string;
  /** How many matching requests fail; 1 unless told. */
  times?: number;
  retryAfterSeconds?: number;
  headers?: Record<string, string>;
}

const VERSION = '/v23.0';
const digits = (phone: string) => phone.replace(/\D/g, '');
const fbtrace = () => randomBytes(8).toString('base64url');
const cursor = (index: number) => Buffer.from(`idx:${index}`).toString('base64url');
const fromCursor = (value: string | undefined) => (value ? Number(Buffer.from(value, 'base64url').toString().slice(4)) || 0 : 0);
const parseBody = (raw: string): unknown => {
  try {
    return raw ? (JSON.parse(raw) as unknown) : null;
  } catch {
    return raw;
  }
};
const defaultCode = (status: number) => (status === 429 ? 4 : status === 401 ? 190 : status === 403 ? 200 : status >= 500 ? 2 : 100);

export async function startWhatsApp(
  options: { accessToken?: string; phoneNumber?: { id?: string; display?: string; verifiedName?: string }; pageSize?: number } = {},
) {
  const accessToken = options.accessToken ?? `EAAG${randomBytes(24).toString('hex')}`;
  const phone = {
    id: options.phoneNumber?.id ?? '106540352242922',
    display: options.phoneNumber?.display ?? '+1 555-0100',
    verifiedName: options.phoneNumber?.verifiedName ?? 'Sellflow Test Store',
  };
  /** Graph pages at min(limit, this); small here so tests can exercise paging. */
  const pageSize = options.pageSize ?? 25;
  const requests: RecordedGraphRequest[] = [];
  const groups = new Map<string, FakeGroup>();
  const failures: Failure[] = [];
  let seq = 0;

  type Reply = { status: number; body: unknown; headers?: Record<string, string> };
  const ok = (body: unknown): Reply => ({ status: 200, body });
  const graphError = (
    status: number,
    code: number,
    message: string,
    extra: { type?: string; subcode?: number; headers?: Record<string, string> } = {},
  ): Reply => ({
    status,
    headers: extra.headers,
    body: {
      error: {
        message,
        type: extra.type ?? (code === 190 || (code >= 200 && code <= 299) || code === 10 ? 'OAuthException' : 'GraphMethodException'),
        code,
        ...(extra.subcode === undefined ? {} : { error_subcode: extra.subcode }),
        ...(status >= 500 ? { is_transient: true } : {}),
        fbtrace_id: fbtrace(),
      },
    },
  });
  const missing = (id: string) =>
    graphError(
      400,
      100,
      `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
      { subcode: 33 },
    );
  const notAdmin = () => graphError(403, 200, '(#200) The business phone number is not an admin of this group');

  /** Graph cursor paging: `after` is where the next page starts; `next` only when there is one. */
  function page<T>(items: T[], path: string, query: Record<string, string>) {
    const start = fromCursor(query.after);
    const size = Math.min(Number(query.limit) || pageSize, pageSize);
    const end = Math.min(items.length, start + size);
    const paging: Record<string, unknown> = { cursors: { before: cursor(start), after: cursor(end) } };
    if (end < items.length) paging.next = `${url}${path.slice(VERSION.length)}?limit=${size}&after=${cursor(end)}`;
    if (start > 0) paging.previous = `${url}${path.slice(VERSION.length)}?limit=${size}&before=${cursor(start)}`;
    return { items: items.slice(start, end), paging };
  }

  function route(method: string, path: string, query: Record<string, string>, body: unknown): Reply {
    const [id, edge, ...rest] = path
      .slice(VERSION.length + 1)
      .split('/')
      .map(decodeURIComponent);
    if (!id || rest.length > 0) return graphError(400, 100, 'Unknown path components');
    const fields = (query.fields ?? '').split(',').filter(Boolean);
    const pick = (all: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(all).filter(([k]) => k === 'id' || fields.includes(k)));
    const bodyOf = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    if ((method === 'POST' || method === 'DELETE') && bodyOf.messaging_product !== 'whatsapp')
      return graphError(400, 100, '(#100) The parameter messaging_product is required.');

    if (id === phone.id) {
      if (method === 'GET' && edge === undefined)
        return ok(pick({ id: phone.id, display_phone_number: phone.display, verified_name: phone.verifiedName }));
      if (method === 'GET' && edge === 'groups') {
        const { items, paging } = page([...groups.values()], path, query);
        return ok({ data: { groups: items.map((g) => ({ id: g.id, subject: g.subject, created_at: String(g.createdAt) })) }, paging });
      }
      return graphError(400, 100, 'Unknown path components');
    }

    const group = groups.get(id);
    if (!group) return missing(id);
    if (edge === undefined && method === 'GET') {
      return ok(
        pick({
          id: group.id,
          messaging_product: 'whatsapp',
          subject: group.subject,
          join_approval_mode: group.approvalRequired ? 'approval_required' : 'auto_approve',
          suspended: group.suspended,
          creation_timestamp: group.createdAt,
          participants: group.participants.map((wa_id) => ({ wa_id })),
          total_participant_count: group.participants.length,
        }),
      );
    }
    if (!group.weAreAdmin) return notAdmin();

    if (edge === 'invite_link' && method === 'GET') return ok({ messaging_product: 'whatsapp', invite_link: group.inviteLink });
    if (edge === 'join_requests') {
      if (method === 'GET') {
        const { items, paging } = page(group.joinRequests, path, query);
        return ok({ data: items.map((r) => ({ join_request_id: r.id, wa_id: r.waId, creation_timestamp: r.createdAt })), paging });
      }
      const ids = Array.isArray(bodyOf.join_requests) ? bodyOf.join_requests.map(String) : [];
      if (ids.length === 0) return graphError(400, 100, '(#100) The parameter join_requests is required.');
      const done: string[] = [];
      const failed: unknown[] = [];
      for (const requestId of ids) {
        const at = group.joinRequests.findIndex((r) => r.id === requestId);
        if (at < 0) {
          failed.push({
            join_request_id: requestId,
            errors: [
              {
                code: 131213,
                title: 'Group join request does not exist',
                message: 'Group join request does not exist',
                error_data: { details: `No pending join request ${requestId}` },
              },
            ],
          });
          continue;
        }
        const [request] = group.joinRequests.splice(at, 1);
        if (method === 'POST') group.participants.push(request!.waId);
        done.push(requestId);
      }
      return ok({
        messaging_product: 'whatsapp',
        [method === 'POST' ? 'approved_join_requests' : 'rejected_join_requests']: done,
        failed_join_requests: failed,
      });
    }
    if (edge === 'participants' && method === 'DELETE') {
      const users = Array.isArray(bodyOf.participants)
        ? bodyOf.participants.map((p: { user?: unknown }) => digits(String(p?.user ?? '')))
        : [];
      if (users.length === 0) return graphError(400, 100, '(#100) The parameter participants is required.');
      const absent = users.filter((u) => !group.participants.includes(u));
      if (absent.length === users.length)
        return graphError(400, 131212, 'Participant is not a part of the group', { type: 'OAuthException' });
      group.participants = group.participants.filter((p) => !users.includes(p));
      return ok({
        success: true,
        ...(absent.length
          ? {
              failed_participants: absent.map((user) => ({
                user,
                errors: [{ code: 131212, title: 'Participant is not a part of the group' }],
              })),
            }
          : {}),
      });
    }
    return graphError(400, 100, 'Unknown path components');
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const parsedUrl = new URL(req.url ?? '/', 'http://graph.test');
      const method = req.method ?? 'GET';
      const query = Object.fromEntries(parsedUrl.searchParams);
      const raw = Buffer.concat(chunks).toString();
      const body = parseBody(raw);
      requests.push({ method, path: parsedUrl.pathname, query, body });

      const failure = failures.find((f) => f.path.test(parsedUrl.pathname) && (f.method === undefined || f.method === method));
      let reply: Reply;
      if (failure) {
        failure.times -= 1;
        if (failure.times <= 0) failures.splice(failures.indexOf(failure), 1);
        const headers = {
          ...failure.headers,
          ...(failure.retryAfterSeconds === undefined ? {} : { 'retry-after': String(failure.retryAfterSeconds) }),
        };
        reply = graphError(failure.status, failure.code, failure.message ?? `Injected failure ${failure.code}`, {
          subcode: failure.subcode,
          headers,
        });
      } else if (req.headers.authorization !== `Bearer ${accessToken}`) {
        reply = graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token', { type: 'OAuthException' });
      } else if (!parsedUrl.pathname.startsWith(`${VERSION}/`)) {
        reply = graphError(400, 2635, 'You are calling a deprecated version of the Graph API.');
      } else {
        reply = route(method, parsedUrl.pathname, query, body);
      }
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${VERSION}`;

  const groupOf = (groupId: string) => {
    const group = groups.get(groupId);
    if (!group) throw new Error(`no group ${groupId}`);
    return group;
  };

  return {
    /** API root with the version, like https://graph.facebook.com/v23.0. */
    url,
    accessToken,
    phoneNumber: phone,
    requests,
    /** A group our number created; approval required and us admin unless told. */
    addGroup(group: { id?: string; subject: string; approvalRequired?: boolean; weAreAdmin?: boolean; suspended?: boolean }) {
      seq += 1;
      const id = group.id ?? `1203630000000${String(seq).padStart(5, '0')}`;
      groups.set(id, {
        id,
        subject: group.subject,
        approvalRequired: group.approvalRequired ?? true,
        weAreAdmin: group.weAreAdmin ?? true,
        suspended: group.suspended ?? false,
        inviteLink: `https://chat.whatsapp.com/${randomBytes(11).toString('base64url')}`,
        createdAt: 1_750_000_000 + seq,
        participants: [],
        joinRequests: [],
      });
      return id;
    },
    inviteLink: (groupId: string) => groupOf(groupId).inviteLink,
    /** The user behind `phone` tapped the invite link and asked to join; returns the join request id. */
    requestJoin(groupId: string, phoneNumber: string) {
      seq += 1;
      const id = `${900_000_000_000 + seq}`;
      groupOf(groupId).joinRequests.push({ id, waId: digits(phoneNumber), createdAt: 1_760_000_000 + seq });
      return id;
    },
    /** Pending join requests as wa_ids. */
    pendingRequests: (groupId: string) => groupOf(groupId).joinRequests.map((r) => r.waId),
    /** Members' wa_ids (digits, no plus), our business excluded. */
    participants: (groupId: string) => [...groupOf(groupId).participants],
    addParticipant(groupId: string, phoneNumber: string) {
      groupOf(groupId).participants.push(digits(phoneNumber));
    },
    /** Requests whose path matches fail with a Graph error envelope, `times` times (1 by default). */
    failNext(path: RegExp, failure: FailureOptions) {
      failures.push({ ...failure, path, code: failure.code ?? defaultCode(failure.status), times: failure.times ?? 1 });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeWhatsApp = Awaited<ReturnType<typeof startWhatsApp>>;
