import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { findStoreBySlug } from '../accounts/stores';
import { loadConfig } from '../config';
import type { Db, DeliveryStepKind } from '../db/schema';
import { FulfillmentRefusedError } from '../orders/errors';
import { resendFulfillmentNotices, retryFulfillment } from '../orders/order-ops';
import { createObjectStorage } from '../storage/create-storage';
import { describeUnheard, engineConnection, unheardOrders } from '../outbox/engine-intents';
import { connectClient, externalAddress } from '../temporal/connection';
import { CliError, printResult } from './output';
import { positiveInt } from './parse';
import { withDatabase } from './with-database';

const STEP_KINDS: DeliveryStepKind[] = ['serials', 'license_keys', 'dynamic', 'downloads', 'manual'];

/** Orders flagged for attention, and orders with news the engine has not heard (a crash between commit and signal). */
async function stuckOrders(db: Db, storeId?: number) {
  const unheard = await unheardOrders(db, storeId);
  let query = db
    .selectFrom('invoices')
    .select(['id', 'store_id', 'status', 'expires_at', 'updated_at', 'attention_reason'])
    .where((eb) => eb.or([eb('needs_attention', '=', true), eb('id', 'in', [-1, ...unheard.map((u) => u.invoice_id)])]))
    .orderBy('id');
  if (storeId !== undefined) query = query.where('store_id', '=', storeId);
  const invoices = await query.execute();
  const steps = invoices.length
    ? await db
        .selectFrom('delivery_steps')
        .select(['invoice_id', 'kind', 'reason', 'attempts'])
        .where(
          'invoice_id',
          'in',
          invoices.map((i) => i.id),
        )
        .where('status', '=', 'failed')
        .execute()
    : [];
  return invoices.map((i) => ({
    ...i,
    failed_steps: steps.filter((s) => s.invoice_id === i.id).map(({ kind, reason, attempts }) => ({ kind, reason, attempts })),
    unheard: unheard.filter((u) => u.invoice_id === i.id),
  }));
}

/** What a person reads: the failed steps, why else it was flagged (a payment that did not match), news the engine missed. */
function reasonsOf(order: Awaited<ReturnType<typeof stuckOrders>>[number]): string[] {
  const steps = order.failed_steps.map((s) => `${s.kind}: ${s.reason}`);
  return [...steps, ...(order.attention_reason ? [order.attention_reason] : []), ...order.unheard.map(describeUnheard)];
}

async function storeIdOf(db: Db, slug: string | undefined): Promise<number | undefined> {
  if (!slug) return undefined;
  const store = await findStoreBySlug(db, slug);
  if (!store) throw new CliError(`No store with slug "${slug}"`, 'not_found');
  return store.id;
}

type Outcome = 'recovered' | 'still_stuck' | 'pending';

/** Where an order stands after a retry: delivered, failed again, or not settled yet. */
async function outcomeOf(db: Db, invoiceId: number, attemptsBefore: number): Promise<Outcome> {
  const invoice = await db
    .selectFrom('invoices')
    .select(['status', 'needs_attention'])
    .where('id', '=', invoiceId)
    .executeTakeFirstOrThrow();
  if (invoice.status === 'COMPLETED') return 'recovered';
  const attempts = await db
    .selectFrom('delivery_steps')
    .select((eb) => eb.fn.max('attempts').as('max'))
    .where('invoice_id', '=', invoiceId)
    .executeTakeFirstOrThrow();
  if (invoice.needs_attention && Number(attempts.max ?? 0) > attemptsBefore) return 'still_stuck';
  return 'pending';
}

export function registerOrderCommands(program: Command): void {
  const orders = program.command('orders').description('ops on orders: find and retry stuck deliveries');

  orders
    .command('stuck')
    .description('list orders that need attention: failed deliveries, payments that did not match')
    .option('--store <slug>', 'only this store')
    .option('--json', 'print one JSON object')
    .action(async (opts: { store?: string; json?: boolean }) => {
      const rows = await withDatabase(async (db) => stuckOrders(db, await storeIdOf(db, opts.store)));
      printResult(Boolean(opts.json), { orders: rows }, () =>
        rows.length === 0
          ? 'No order needs attention.'
          : rows.map((o) => `#${o.id}\tstore ${o.store_id}\t${o.status}\t${reasonsOf(o).join('; ')}`).join('\n'),
      );
    });

  orders
    .command('resend-notices <id>')
    .description("send an order's notices again: the store's channels and the buyer's delivery e-mail (clears its failure flag)")
    .option('--email <address>', "the buyer's e-mail to this address instead")
    .option('--json', 'print one JSON object')
    .action(async (id: string, opts: { email?: string; json?: boolean }) => {
      const config = loadConfig();
      const temporal = await connectClient(config, externalAddress(config));
      try {
        const sent = await withDatabase(async (db) => {
          const engine = {
            ...engineConnection(db, temporal.client, config),
            mailer: { storage: createObjectStorage(config), mail: config.notifications },
          };
          try {
            return await resendFulfillmentNotices(engine, positiveInt(id), opts.email ? { email: opts.email } : {});
          } catch (error) {
            if (error instanceof FulfillmentRefusedError) throw new CliError(error.message, error.refusal);
            throw error;
          }
        });
        printResult(Boolean(opts.json), { notifications_sent: sent }, () => `${sent} notice(s) sent.`);
      } finally {
        await temporal.close();
      }
    });

  orders
    .command('retry [ids...]')
    .description('re-run the failed delivery steps of orders, then report what recovered')
    .option('--all-stuck', 'every order that needs attention (with --store: of that store)')
    .option('--store <slug>', 'with --all-stuck: only this store')
    .option('--step <kind>', `only this step: ${STEP_KINDS.join(', ')}`)
    .option('--wait <seconds>', 'how long to wait for the retries to settle', positiveInt, 60)
    .option('--json', 'print one JSON object')
    .action(async (ids: string[], opts: { allStuck?: boolean; store?: string; step?: string; wait: number; json?: boolean }) => {
      if (opts.step && !STEP_KINDS.includes(opts.step as DeliveryStepKind))
        throw new CliError(`--step must be one of ${STEP_KINDS.join(', ')}`, 'invalid_argument');
      if (!opts.allStuck && ids.length === 0) throw new CliError('Name order ids, or pass --all-stuck', 'invalid_argument');
      const config = loadConfig();
      const temporal = await connectClient(config, externalAddress(config));
      try {
        const summary = await withDatabase(async (db) => {
          const engine = engineConnection(db, temporal.client, config);
          const stuck = await stuckOrders(db, await storeIdOf(db, opts.store));
          const wanted = opts.allStuck ? stuck.map((o) => o.id) : ids.map(positiveInt);
          const result = {
            recovered: [] as number[],
            still_stuck: [] as number[],
            pending: [] as number[],
            not_stuck: [] as number[],
            needs_manual_action: [] as number[],
          };
          const started: { id: number; attemptsBefore: number }[] = [];
          for (const id of wanted) {
            const order = stuck.find((o) => o.id === id);
            // The order decides (an Update its workflow validates), as the API and the console ask it;
            // an order whose news the engine never heard is told now (the relay keeps trying too).
            try {
              await retryFulfillment(engine, id, order?.store_id, opts.step ? { kinds: [opts.step as DeliveryStepKind] } : {});
            } catch (error) {
              if (!(error instanceof FulfillmentRefusedError)) throw error;
              // Flagged but not waiting on a delivery (e.g. paid after a void): a person decides.
              result[error.refusal === 'needs_manual_action' ? 'needs_manual_action' : 'not_stuck'].push(id);
              continue;
            }
            started.push({ id, attemptsBefore: Math.max(0, ...(order?.failed_steps.map((s) => s.attempts) ?? [])) });
          }
          const bar =
            opts.json || !process.stderr.isTTY
              ? null
              : new SingleBar({ format: 'retrying [{bar}] {value}/{total} settled', stream: process.stderr });
          bar?.start(started.length, 0);
          const deadline = Date.now() + opts.wait * 1000;
          let open = [...started];
          while (open.length > 0 && Date.now() < deadline) {
            const next: typeof open = [];
            for (const entry of open) {
              const outcome = await outcomeOf(db, entry.id, entry.attemptsBefore);
              if (outcome === 'pending') next.push(entry);
              else result[outcome].push(entry.id);
            }
            open = next;
            bar?.update(started.length - open.length);
            if (open.length > 0) await new Promise((r) => setTimeout(r, 250));
          }
          bar?.stop();
          result.pending.push(...open.map((e) => e.id));
          return result;
        });
        printResult(Boolean(opts.json), summary, () =>
          [
            `recovered:   ${summary.recovered.join(', ') || '-'}`,
            `still stuck: ${summary.still_stuck.join(', ') || '-'}`,
            `not settled: ${summary.pending.join(', ') || '-'}`,
            `not stuck:   ${summary.not_stuck.join(', ') || '-'}`,
            `needs a person (not PAID): ${summary.needs_manual_action.join(', ') || '-'}`,
          ].join('\n'),
        );
        if (summary.still_stuck.length + summary.pending.length + summary.needs_manual_action.length > 0) process.exitCode = 2;
      } finally {
        await temporal.close();
      }
    });
}
