import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How our webhooks are signed, and the check receivers can reuse.
 *   x-sell-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *   signature:        <hex HMAC-SHA256(secret, raw body)>   (SellApp clients)
 */
export function signWebhook(secret: string, rawBody: string, unixSeconds: number): { sell: string; sellapp: string } {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex');
  const sellapp = createHmac('sha256', secret).update(rawBody).digest('hex');
  return { sell: `t=${unixSeconds},v1=${v1}`, sellapp };
}

function equalHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Verifies an `x-sell-signature` header over the raw body, in constant time, refusing
 * timestamps older than `toleranceSeconds` (replays).
 *
 *   import { verifySellSignature } from 'sellflow/src/webhooks/signature';
 *   app.post('/hooks', express.raw({ type: '*\/*' }), (req, res) => {
 *     if (!verifySellSignature(req.body.toString(), req.get('x-sell-signature') ?? '', SECRET)) return res.sendStatus(400);
 *     const event = JSON.parse(req.body.toString()); // dedupe on event.id: deliveries may repeat
 *     res.sendStatus(200);
 *   });
 */
export function verifySellSignature(
  rawBody: string,
  header: string,
  secret: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || typeof parts.v1 !== 'string') return false;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  return equalHex(signWebhook(secret, rawBody, t).sell.split('v1=')[1]!, parts.v1);
}
