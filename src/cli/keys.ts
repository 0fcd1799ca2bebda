import type { Command } from 'commander';
import { issueApiKey, listApiKeys, revokeApiKey } from '../accounts/api-keys';
import { findStoreBySlug } from '../accounts/stores';
import { parseScopes, SCOPES } from '../domain/scopes';
import { CliError, printResult } from './output';
import { positiveInt } from './parse';
import { withDatabase } from './with-database';

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('create, list and revoke API keys');

  keys
    .command('create')
    .description('create an API key (shown once)')
    .requiredOption('--store <slug>', 'store the key acts on')
    .option('--mode <mode>', 'live or test', 'live')
    .option('--scopes <list>', `comma-separated scopes (default: all): ${SCOPES.join(',')}`)
    .option('--account-wide', 'let the key act on every store of the account (X-STORE selects)')
    .option('--name <name>', 'a label for people')
    .option('--rate-limit <n>', 'requests per minute for this key', positiveInt)
    .option('--burst <n>', 'requests allowed at once for this key', positiveInt)
    .option('--json', 'print one JSON object')
    .action(
      async (opts: {
        store: string;
        mode: string;
        scopes?: string;
        accountWide?: boolean;
        name?: string;
        rateLimit?: number;
        burst?: number;
        json?: boolean;
      }) => {
        if (opts.mode !== 'live' && opts.mode !== 'test') throw new CliError('--mode must be live or test', 'invalid_mode');
        const mode = opts.mode;
        const parsed = opts.scopes === undefined ? { scopes: [...SCOPES], unknown: [] } : parseScopes(opts.scopes);
        if (parsed.unknown.length > 0) throw new CliError(`Unknown scopes: ${parsed.unknown.join(', ')}`, 'invalid_scope');
        if (parsed.scopes.length === 0) throw new CliError('--scopes names no scope', 'invalid_scope');
        const issued = await withDatabase(async (db) => {
          const store = await findStoreBySlug(db, opts.store);
          if (!store) throw new CliError(`No store with slug "${opts.store}"`, 'not_found');
          return issueApiKey(db, {
            accountId: store.account_id,
            storeId: opts.accountWide ? null : store.id,
            mode,
            scopes: parsed.scopes,
            name: opts.name,
            rateLimitPerMinute: opts.rateLimit ?? null,
            rateLimitBurst: opts.burst ?? opts.rateLimit ?? null,
          });
        });
        printResult(
          Boolean(opts.json),
          { key: issued },
          () => `Key ${issued.id} (${issued.mode}): ${issued.key}\nShown once; only its hash is stored.`,
        );
      },
    );

  keys
    .command('list')
    .description('list the keys that can act on a store (never the secrets)')
    .requiredOption('--store <slug>', 'store slug')
    .option('--json', 'print one JSON object')
    .action(async (opts: { store: string; json?: boolean }) => {
      const rows = await withDatabase(async (db) => {
        const store = await findStoreBySlug(db, opts.store);
        if (!store) throw new CliError(`No store with slug "${opts.store}"`, 'not_found');
        return listApiKeys(db, { accountId: store.account_id, storeId: store.id });
      });
      printResult(Boolean(opts.json), { keys: rows }, () =>
        rows.map((k) => `${k.id}\t${k.prefix}…\t${k.mode}\t${k.revoked_at ? 'revoked' : 'active'}\t${k.scopes.join(',')}`).join('\n'),
      );
    });

  keys
    .command('revoke <id>')
    .description('revoke a key; it stops working at once')
    .option('--json', 'print one JSON object')
    .action(async (id: string, opts: { json?: boolean }) => {
      const keyId = positiveInt(id);
      const revoked = await withDatabase((db) => revokeApiKey(db, { id: keyId }));
      if (!revoked) throw new CliError(`No active key with id ${keyId}`, 'not_found');
      printResult(Boolean(opts.json), { revoked: { id: keyId } }, () => `Key ${keyId} revoked.`);
    });
}
