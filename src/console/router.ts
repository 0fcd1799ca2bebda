import path from 'node:path';
import { parse as parseCookies } from 'cookie';
import { Eta } from 'eta';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { ApiDependencies } from '../api/context';
import { engineOf } from '../api/engine';
import { PAGE_LIBRARY_ASSETS, pageAssets, pageSecurityHeaders } from '../api/middleware/page-shell';
import { requestGrantRevocation } from '../community/grant-records';
import { CommunityGrantWorkflows } from '../community/grant-workflow-client';
import { resendFulfillmentNotices, retryFulfillment, skipFulfillment, voidOrder } from '../orders/order-ops';
import { reactivateEndpoint, resendDelivery } from '../webhooks/endpoint-ops';
import { ATTENTION_KINDS, needsAttention, PAGE_SIZE } from './attention';
import { bulkProgress, startBulkRetry } from './bulk-retry';
import { type ActionOutcome, audited, refusalShown } from './audit';
import { orderPage } from './order-page';
import { type ConsoleSession, csrfMatches, SESSION_COOKIE, SESSION_HOURS, sessionOf, signIn, signOut } from './sessions';
import { ago } from './time';

const STEP_KINDS = ['serials', 'license_keys', 'dynamic', 'downloads', 'manual'] as const;
const reason = z.string().trim().min(3, 'Say why, in a few words').max(500);
const orderAction = z.object({
  action: z.enum(['retry', 'skip', 'void', 'resend_notifications']),
  step: z
    .enum(STEP_KINDS)
    .or(z.literal('').transform(() => undefined))
    .optional(),
  reason,
});
const listQuery = z.object({
  kind: z
    .enum(ATTENTION_KINDS)
    .or(z.literal('').transform(() => undefined))
    .optional(),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
});
const id = z.coerce.number().int().positive();

/**
 * The ops console at /console: server-rendered pages (Eta templates, htmx for live parts,
 * Pico CSS), signed in with an API key that has ops:write, exchanged for an HttpOnly,
 * SameSite=Strict session cookie. Every form carries the session's CSRF token, and every
 * action is audited with the reason the person gave.
 */
export function consoleRouter(deps: ApiDependencies): Router {
  const eta = new Eta({ views: path.join(__dirname, 'views'), cache: deps.config.env === 'production' });
  const engine = engineOf(deps);
  const secure = deps.config.api.publicBaseUrl.startsWith('https:');
  const temporalUi = { url: deps.config.temporal.uiUrl, namespace: deps.config.temporal.namespace };
  const router = Router();

  const render = (res: Response, view: string, data: Record<string, unknown>, status = 200) => {
    res
      .status(status)
      .type('html')
      .send(eta.render(view, { ...data, session: res.locals.consoleSession as ConsoleSession | undefined, ago, now: new Date() }));
  };
  const tokenOf = (req: Request) => parseCookies(req.get('cookie') ?? '')[SESSION_COOKIE];

  router.use(
    pageSecurityHeaders({
      contentSecurityPolicy: "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
      referrerPolicy: 'same-origin',
    }),
  );
  router.use(pageAssets(PAGE_LIBRARY_ASSETS));
  router.use(express.urlencoded({ extended: false, limit: '16kb' }));
  // A form posted from another site never gets here: SameSite=Strict keeps the cookie home, and the origin must be ours.
  router.use((req, res, next) => {
    const origin = req.get('origin');
    if (req.method === 'POST' && origin && origin !== 'null' && new URL(origin).host !== req.get('host'))
      return void res.status(403).type('text').send('Cross-origin form refused');
    next();
  });

  router.get('/sign-in', (_req, res) => render(res, 'sign-in', { error: null }));
  router.post('/sign-in', async (req, res) => {
    const key = typeof req.body?.api_key === 'string' ? req.body.api_key : '';
    const result = await signIn(deps.db, key);
    if ('refused' in result) return render(res, 'sign-in', { error: result.refused }, 401);
    res.cookie(SESSION_COOKIE, result.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure,
      path: '/console',
      maxAge: SESSION_HOURS * 3_600_000,
    });
    res.redirect(303, '/console');
  });

  router.use(async (req: Request, res: Response, next: NextFunction) => {
    const session = await sessionOf(deps.db, tokenOf(req));
    if (!session) {
      if (req.get('hx-request')) return void res.set('HX-Redirect', '/console/sign-in').status(401).end();
      return void res.redirect(303, '/console/sign-in');
    }
    res.locals.consoleSession = session;
    if (req.method === 'POST' && !csrfMatches(session, req.body?._csrf))
      return render(
        res,
        'error',
        { title: 'Form expired', message: 'That form is stale or did not come from this console. Go back, reload and try again.' },
        403,
      );
    next();
  });
  const sessionOfRes = (res: Response) => res.locals.consoleSession as ConsoleSession;

  router.post('/sign-out', async (req, res) => {
    await signOut(deps.db, tokenOf(req)!);
    res.clearCookie(SESSION_COOKIE, { path: '/console' });
    res.redirect(303, '/console/sign-in');
  });

  router.get('/', async (req, res) => {
    const query = listQuery.parse(req.query);
    const list = await needsAttention(deps.db, sessionOfRes(res).store.id, query);
    const data = {
      ...list,
      kinds: ATTENTION_KINDS,
      kind: query.kind ?? '',
      page: query.page,
      pages: Math.max(1, Math.ceil(list.total / PAGE_SIZE)),
    };
    render(res, req.get('hx-request') ? 'attention-rows' : 'attention', data);
  });

  router.post('/bulk-retry', async (req, res) => {
    const why = reason.safeParse(req.body?.reason);
    if (!why.success) return render(res, 'error', { title: 'Not done', message: why.error.issues[0]!.message }, 422);
    const run = await startBulkRetry(engine, sessionOfRes(res), why.data, deps.logger);
    res.redirect(303, `/console/bulk/${run.runId}?total=${run.total}`);
  });

  router.get('/bulk/:runId', async (req, res) => {
    const runId = z.string().uuid().parse(req.params.runId);
    const total = z.coerce.number().int().min(0).catch(0).parse(req.query.total);
    const progress = await bulkProgress(engine, sessionOfRes(res).store.id, runId);
    render(res, req.get('hx-request') ? 'bulk-rows' : 'bulk', { ...progress, runId, total });
  });

  router.get('/orders/:id', async (req, res) => {
    const page = await orderPage(deps.db, sessionOfRes(res).store.id, id.parse(req.params.id), temporalUi);
    if (!page) return render(res, 'error', { title: 'No such order', message: 'This store has no order with that number.' }, 404);
    render(res, req.get('hx-request') ? 'order-live' : 'order', { ...page, stepKinds: STEP_KINDS, formError: null });
  });

  /** After an action: the page again, with the refusal or what to fix in the form. */
  const afterAction = async (res: Response, invoiceId: number | null, outcome: ActionOutcome | { invalid: string }) => {
    if ('ok' in outcome && outcome.ok) return res.redirect(303, invoiceId ? `/console/orders/${invoiceId}` : '/console');
    const message = 'invalid' in outcome ? outcome.invalid : outcome.message;
    if (invoiceId === null) return render(res, 'error', { title: 'Not done', message }, 409);
    const page = await orderPage(deps.db, sessionOfRes(res).store.id, invoiceId, temporalUi);
    render(res, 'order', { ...page, stepKinds: STEP_KINDS, formError: message }, 'invalid' in outcome ? 422 : 409);
  };

  router.post('/orders/:id/actions', async (req, res) => {
    const session = sessionOfRes(res);
    const invoiceId = id.parse(req.params.id);
    const form = orderAction.safeParse(req.body);
    if (!form.success) return afterAction(res, invoiceId, { invalid: form.error.issues.map((i) => i.message).join('; ') });
    const invoice = await deps.db
      .selectFrom('invoices')
      .select(['id', 'store_id', 'status', 'expires_at', 'needs_attention'])
      .where('id', '=', invoiceId)
      .where('store_id', '=', session.store.id)
      .where('kind', '=', 'INVOICE')
      .executeTakeFirst();
    if (!invoice) return render(res, 'error', { title: 'No such order', message: 'This store has no order with that number.' }, 404);
    const { action, step } = form.data;
    const outcome = await audited(
      deps.db,
      session,
      {
        subjectType: 'order',
        subjectId: invoice.id,
        invoiceId: invoice.id,
        action: action === 'resend_notifications' ? 'resend notifications' : step ? `${action} ${step}` : action,
        reason: form.data.reason,
      },
      () =>
        refusalShown(async () => {
          const selection = step ? { kinds: [step] } : {};
          if (action === 'void') return voidOrder(engine, invoice);
          // Through the order's workflow (an Update): a delivered order's notices go out from here.
          if (action === 'resend_notifications') {
            const sent = await resendFulfillmentNotices(engine, invoice.id);
            return sent > 0 ? { ok: true } : { ok: false, message: 'No notification channel was told about this order' };
          }
          if (action === 'retry') return retryFulfillment(engine, invoice.id, invoice.store_id, selection);
          return skipFulfillment(engine, invoice.id, selection);
        }),
    );
    await afterAction(res, invoice.id, outcome);
  });

  const grants = new CommunityGrantWorkflows(deps.temporal.client, deps.taskQueue, deps.config.community);
  router.post('/grants', async (req, res) => {
    const session = sessionOfRes(res);
    const action = z.enum(['retry', 'revoke']).parse(req.body?.grant_action);
    const grant = await deps.db
      .selectFrom('community_grants')
      .select(['id', 'invoice_id', 'revoked_at'])
      .where('id', '=', id.parse(req.body?.grant_id))
      .where('store_id', '=', session.store.id)
      .executeTakeFirst();
    if (!grant) return render(res, 'error', { title: 'No such grant', message: 'This store has no grant with that number.' }, 404);
    const why = reason.safeParse(req.body?.reason);
    if (!why.success) return afterAction(res, grant.invoice_id, { invalid: why.error.issues[0]!.message });
    const outcome = await audited(
      deps.db,
      session,
      { subjectType: 'grant', subjectId: grant.id, invoiceId: grant.invoice_id, action: `${action} grant`, reason: why.data },
      async (): Promise<ActionOutcome> => {
        if (action === 'revoke') {
          await deps.db
            .transaction()
            .execute((trx) => requestGrantRevocation(trx, { invoiceId: grant.invoice_id, grantId: grant.id }, 'ops'));
          return { ok: true };
        }
        // As the API: a grant being revoked can be retried (its revocation failed); a revoked one is over.
        if (grant.revoked_at) return { ok: false, message: 'This grant was revoked; a revoked grant is not granted again' };
        return (await grants.retry(grant.id)) ? { ok: true } : { ok: false, message: 'This grant has no running workflow to retry' };
      },
    );
    await afterAction(res, grant.invoice_id, outcome);
  });

  router.post('/webhooks/:id/reactivate', async (req, res) => {
    const session = sessionOfRes(res);
    const endpointId = id.parse(req.params.id);
    const why = reason.safeParse(req.body?.reason);
    if (!why.success) return afterAction(res, null, { invalid: why.error.issues[0]!.message });
    const outcome = await audited(
      deps.db,
      session,
      { subjectType: 'webhook_endpoint', subjectId: endpointId, invoiceId: null, action: 'reactivate endpoint', reason: why.data },
      async () =>
        (await reactivateEndpoint(deps.db, session.store.id, endpointId)) ? { ok: true } : { ok: false, message: 'No such endpoint' },
    );
    await afterAction(res, null, outcome);
  });

  router.post('/deliveries/resend', async (req, res) => {
    const session = sessionOfRes(res);
    const deliveryId = id.parse(req.body?.delivery_id);
    const invoiceId = id.parse(req.body?.invoice_id);
    const why = reason.safeParse(req.body?.reason);
    if (!why.success) return afterAction(res, invoiceId, { invalid: why.error.issues[0]!.message });
    const outcome = await audited(
      deps.db,
      session,
      { subjectType: 'webhook_delivery', subjectId: deliveryId, invoiceId, action: 'resend webhook delivery', reason: why.data },
      async () =>
        (await resendDelivery(deps.db, deps.temporal.client, deps.taskQueue, session.store.id, deliveryId))
          ? { ok: true }
          : { ok: false, message: 'No such delivery' },
    );
    await afterAction(res, invoiceId, outcome);
  });

  // A console page answers in HTML, whatever went wrong.
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    deps.logger.error({ err: error }, 'console request failed');
    const message = error instanceof z.ZodError ? 'That address is not valid.' : 'Something went wrong; it is in the logs.';
    render(res, 'error', { title: 'Not done', message }, error instanceof z.ZodError ? 400 : 500);
  });
  return router;
}
