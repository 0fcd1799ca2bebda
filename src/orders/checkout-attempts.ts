import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import type { CheckoutAttemptScope } from '../db/schema/checkout-rules';
import type { CheckoutAttemptLimits } from './checkout-settings';

export class CheckoutAttemptsExceededError extends Error {
  constructor(
    readonly scope: CheckoutAttemptScope,
    readonly limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`Too many checkout attempts (${limit} an hour per ${scope.replace('_', ' + ')}); try again in ${retryAfterSeconds} s`);
  }
}

/** Who is trying to buy: what the store's limits count by (no e-mail, IP or fingerprint: those limits do not apply). */
export interface CheckoutClient {
  email: string | null;
  ip?: string | null;
  fingerprint?: string | null;
}

const keyHash = (scope: CheckoutAttemptScope, value: string) => createHash('sha256').update(`${scope}:${value}`).digest('hex');

/**
 * One attempt of one client against one limit, in a single upsert so that any number of API
 * processes count in the same row without a race. A counter lives an hour from its first
 * attempt; the attempt that goes over the limit blocks the client for the store's window (or
 * until the hour is over), and the first attempt after that starts a new hour. Answers how many
 * seconds the client must still wait, or null when this attempt is allowed. The database's
 * clock decides, so processes with skewed clocks still agree.
 */
async function countAttempt(
  db: DbExecutor,
  storeId: number,
  scope: CheckoutAttemptScope,
  value: string,
  limit: number,
  windowSeconds: number | null,
): Promise<number | null> {
  const expired = sql`(case when a.blocked_until is not null then a.blocked_until <= now()
    else a.window_started_at <= now() - interval '1 hour' end)`;
  const result = await sql<{ wait_seconds: number | null }>`
    insert into checkout_attempts as a (store_id, scope, key_hash, window_started_at, attempts, blocked_until)
    values (${storeId}, ${scope}, ${keyHash(scope, value)}, now(), 1, null)
    on conflict (store_id, scope, key_hash) do update set
      window_started_at = case when ${expired} then now() else a.window_started_at end,
      attempts = case when ${expired} then 1 else a.attempts + 1 end,
      blocked_until = case
        when ${expired} then null
        when a.blocked_until is not null then a.blocked_until
        when a.attempts + 1 > ${limit}::integer
          then coalesce(now() + make_interval(secs => ${windowSeconds}::double precision), a.window_started_at + interval '1 hour')
        else null end
    returning case when blocked_until > now() then ceil(extract(epoch from blocked_until - now()))::integer end as wait_seconds`.execute(
    db,
  );
  const wait = result.rows[0]?.wait_seconds ?? null;
  return wait === null ? null : Math.max(1, Number(wait));
}

/**
 * Counts an invoice-creation attempt against every limit the store set (per IP + e-mail pair,
 * per IP, per e-mail, per checkout fingerprint: `limits`, the store's) and refuses it when one is exceeded, naming the
 * longest wait. Runs in its own statements: a refused or failed checkout still counted.
 */
export async function countCheckoutAttempt(
  db: DbExecutor,
  storeId: number,
  client: CheckoutClient,
  limits: CheckoutAttemptLimits,
): Promise<void> {
  const email = client.email?.trim().toLowerCase() || null;
  const ip = client.ip?.trim() || null;
  const fingerprint = client.fingerprint?.trim() || null;
  const counted: [CheckoutAttemptScope, number | null, string | null][] = [
    ['ip_email', limits.ipEmail, ip && email ? `${ip}|${email}` : null],
    ['ip', limits.ip, ip],
    ['email', limits.email, email],
    ['fingerprint', limits.fingerprint, fingerprint],
  ];
  let refused: CheckoutAttemptsExceededError | null = null;
  for (const [scope, limit, value] of counted) {
    if (limit === null || value === null) continue;
    const wait = await countAttempt(db, storeId, scope, value, limit, limits.windowSeconds);
    if (wait !== null && (!refused || wait > refused.retryAfterSeconds)) refused = new CheckoutAttemptsExceededError(scope, limit, wait);
  }
  if (refused) throw refused;
}
