import fs from 'node:fs';
import path from 'node:path';

/**
 * Inside a transaction's callback every query goes through the transaction. Embedded PGlite (the
 * `npm start` default) has one connection: a query on the pool there waits for the transaction
 * that waits for it, for ever. Postgres hides the mistake (another pooled connection answers), so
 * the tests on Postgres cannot catch it; this reads the sources instead. It caught the PayPal
 * capture reading the store's settings on the pool while it held the invoice's lock.
 */
const ROOT = path.join(__dirname, '..', '..');
const SOURCES = ['src', 'activities', 'workflows'];
/** The pool by the names the code gives it; the transaction's own name (trx) never matches. */
const POOL_QUERY = /(\b(?:deps|this|ctx)\.db\b|\bdb\.(?:selectFrom|updateTable|insertInto|deleteFrom|transaction)\b|[(,]\s*db\s*[,)])/g;
const TRANSACTION = /\.transaction\(\)(?:\.setIsolationLevel\([^)]*\))?\s*\.execute\(\s*(?:async\s*)?\(?\w+\)?\s*=>\s*/g;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The callback's body: a braced block, or an expression up to the closing parenthesis of execute(. */
function callbackBody(text: string, start: number): string {
  const [open, close] = text[start] === '{' ? ['{', '}'] : ['(', ')'];
  let depth = 1;
  let i = text[start] === '{' ? start + 1 : start;
  for (; i < text.length && depth > 0; i += 1) {
    if (text[i] === open) depth += 1;
    else if (text[i] === close) depth -= 1;
  }
  return text.slice(start, i);
}

function poolQueriesInTransactions(text: string): { line: number; code: string }[] {
  const found: { line: number; code: string }[] = [];
  for (const transaction of text.matchAll(TRANSACTION)) {
    const start = transaction.index + transaction[0].length;
    const body = callbackBody(text, start);
    for (const query of body.matchAll(POOL_QUERY)) {
      const at = start + query.index;
      found.push({
        line: text.slice(0, at).split('\n').length,
        code: text
          .slice(at, at + 60)
          .split('\n')[0]!
          .trim(),
      });
    }
  }
  return found;
}

describe('transaction scope', () => {
  it('finds a pool query inside a transaction (the check itself can fail)', () => {
    const wrong = `await deps.db.transaction().execute(async (trx) => {
      const invoice = await trx.selectFrom('invoices').selectAll().executeTakeFirst();
      const settings = await gatewaySettings(deps.db, secrets, invoice.store_id, 'PAYPAL');
    });`;
    expect(poolQueriesInTransactions(wrong)).toEqual([{ line: 3, code: "deps.db, secrets, invoice.store_id, 'PAYPAL');" }]);
    const right = wrong.replace('gatewaySettings(deps.db,', 'gatewaySettings(trx,');
    expect(poolQueriesInTransactions(right)).toEqual([]);
    expect(poolQueriesInTransactions('await db.transaction().execute((trx) => db.selectFrom("x").execute());')).toHaveLength(1);
  });

  it('no source queries the pool while it holds a transaction', () => {
    const offenders = SOURCES.flatMap((dir) => sourceFiles(path.join(ROOT, dir))).flatMap((file) =>
      poolQueriesInTransactions(fs.readFileSync(file, 'utf8')).map((q) => `${path.relative(ROOT, file)}:${q.line}: ${q.code}`),
    );
    expect(offenders).toEqual([]);
  });
});
