import type { Command } from 'commander';
import { createStore, findStoreBySlug, listStores, SLUG_PATTERN, StoreSlugTakenError } from '../accounts/stores';
import { parseScopes, type Scope } from '../domain/scopes';
import { CliError, printResult } from './output';
import { positiveInt } from './parse';
import { withDatabase } from './with-database';

export function registerStoreCommands(program: Command): void {
  const stores = program.command('stores').description('create and list stores');

  stores
    .command('create')
    .description('create a store with a live and a test API key (shown once)')
    .requiredOption('--slug <slug>', 'URL-safe store name, also the X-STORE value')
    .option('--name <name>', 'display name (defaults to the slug)')
    .option('--account <id>', 'add the store to an existing account', positiveInt)
    .option('--scopes <list>', 'comma-separated scopes for the two keys (default: all)')
    .option('--json', 'print one JSON object')
    .action(async (opts: { slug: string; name?: string; account?: number; scopes?: string; json?: boolean }) => {
      if (!SLUG_PATTERN.test(opts.slug)) {
        throw new CliError('--slug must be 1-63 lowercase letters, digits or dashes, not starting or ending with a dash', 'invalid_slug');
      }
      let scopes: Scope[] | undefined;
      if (opts.scopes !== undefined) {
        const parsed = parseScopes(opts.scopes);
        if (parsed.unknown.length > 0) throw new CliError(`Unknown scopes: ${parsed.unknown.join(', ')}`, 'invalid_scope');
        scopes = parsed.scopes;
      }
      const created = await withDatabase((db) =>
        db.transaction().execute((trx) => createStore(trx, { slug: opts.slug, name: opts.name, accountId: opts.account, scopes })),
      ).catch((error: unknown) => {
        if (error instanceof StoreSlugTakenError) throw new CliError(error.message, 'slug_taken');
        throw error;
      });
      printResult(
        Boolean(opts.json),
        { store: { id: created.store.id, slug: created.store.slug }, keys: { live: created.keys.live.key, test: created.keys.test.key } },
        () =>
          [
            `Store ${created.store.slug} created (id ${created.store.id}, account ${created.store.account_id}).`,
            `  live key: ${created.keys.live.key}`,
            `  test key: ${created.keys.test.key}`,
            'These keys are shown once; only their hashes are stored.',
          ].join('\n'),
      );
    });

  stores
    .command('list')
    .description('list stores')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const rows = await withDatabase((db) => listStores(db));
      printResult(Boolean(opts.json), { stores: rows }, () =>
        rows.length === 0 ? 'No stores yet.' : rows.map((s) => `${s.id}\t${s.slug}\t${s.name}\taccount ${s.account_id}`).join('\n'),
      );
    });

  stores
    .command('set-rate-limit')
    .description("set the API rate limit for every key of a store (a key's own limit still wins)")
    .requiredOption('--slug <slug>', 'store slug')
    .requiredOption('--per-minute <n>', 'requests per minute', positiveInt)
    .option('--burst <n>', 'requests allowed at once (default: per-minute)', positiveInt)
    .option('--json', 'print one JSON object')
    .action(async (opts: { slug: string; perMinute: number; burst?: number; json?: boolean }) => {
      const store = await withDatabase(async (db) => {
        const found = await findStoreBySlug(db, opts.slug);
        if (!found) throw new CliError(`No store with slug "${opts.slug}"`, 'not_found');
        return db
          .updateTable('stores')
          .set({ rate_limit_per_minute: opts.perMinute, rate_limit_burst: opts.burst ?? opts.perMinute, updated_at: new Date() })
          .where('id', '=', found.id)
          .returning(['id', 'slug', 'rate_limit_per_minute', 'rate_limit_burst'])
          .executeTakeFirstOrThrow();
      });
      printResult(
        Boolean(opts.json),
        { store },
        () => `Store ${store.slug}: ${store.rate_limit_per_minute}/min, burst ${store.rate_limit_burst}`,
      );
    });
}
