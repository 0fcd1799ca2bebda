import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { completeDiscordLink, waitingGrants } from '../../community/customer-links';
import { CommunityGrantWorkflows } from '../../community/grant-workflow-client';
import type { CommunityServices } from '../../community/spaces';
import { readTelegramUpdate } from '../../community/telegram/telegram-adapter';
import { handleTelegramUpdate } from '../../community/telegram-connect';
import type { SecretBox } from '../../security/secret-box';
import type { ApiDependencies } from '../context';
import { ApiError, invalidRequest } from '../errors';
import { DISCORD_CALLBACK_PATH } from './v2/invoice-community';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * What platforms call without an API key: Discord's OAuth2 redirect back from the customer's
 * authorization (the state is the one-time link token), and Telegram's webhook (its secret
 * token header, compared in constant time).
 */
export function communityCallbacksRouter(deps: ApiDependencies, secrets: SecretBox): Router {
  const router = Router();
  const services: CommunityServices = { db: deps.db, secrets, config: deps.config.community };
  const grants = new CommunityGrantWorkflows(deps.temporal.client, deps.taskQueue, deps.config.community);

  router.get(DISCORD_CALLBACK_PATH, async (req, res) => {
    const { code, state, error } = req.query;
    if (typeof error === 'string')
      throw invalidRequest(
        'authorization_denied',
        'The customer did not authorize Discord; they can start linking again from the checkout',
        'error',
      );
    if (typeof code !== 'string' || typeof state !== 'string' || code.length > 200 || state.length > 100)
      throw invalidRequest('invalid_callback', 'code and state are required', 'code');
    const linked = await completeDiscordLink(services, state, code, `${deps.config.api.publicBaseUrl}${DISCORD_CALLBACK_PATH}`);
    await grants.customerActed(await waitingGrants(deps.db, linked.invoiceId, 'discord'));
    res.json({ linked: true, platform: 'discord', username: linked.username, invoice_id: linked.invoiceId });
  });

  router.post('/community/telegram/webhook', async (req, res) => {
    const expected = deps.config.community.telegram.webhookSecret;
    if (!expected) throw new ApiError('not_found', 'resource_missing', 'Telegram webhooks are not enabled (TELEGRAM_WEBHOOK_SECRET)');
    if (!sameSecret(req.get('x-telegram-bot-api-secret-token') ?? '', expected))
      throw new ApiError('authentication_required', 'invalid_secret_token', 'X-Telegram-Bot-Api-Secret-Token does not match');
    let update;
    try {
      update = readTelegramUpdate(req.body);
    } catch {
      throw invalidRequest('invalid_update', 'Not a Telegram update', 'update_id');
    }
    await handleTelegramUpdate(services, grants, update, deps.logger);
    res.json({ ok: true });
  });
  return router;
}
