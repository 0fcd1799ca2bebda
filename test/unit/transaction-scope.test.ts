import fs from 'node:fs';
import path from 'node:path';

/**
 * Inside a transaction's callback every query goes through the transaction. Embedded PGlite (the
 * `npm start` default) has one connection: a query on the pool there waits for the transaction
 * that waits for it, for ever. Postgres hides the mistake (another pooled connection answers), so
 * the tests on Postgres cannot catch it; this reads the sources instead. It caught the PayPal
 * capture reading the store's settings on the pool while it held the invoice's lock.
 *
 * Nor does a transaction wait on PayPal: on PGlite its one connection (the whole database) would
 * be held for as long as PayPal takes to answer, on Postgres a connection and the row locks. The
 * capture once held the invoice's lock across PayPal's capture call; it claims the invoice instead
 * (src/orders/paypal-capture-claim.ts).
 */
const ROOT = path.join(__dirname, '..', '..');
const SOURCES = ['src', 'activities', 'workflows'];
/** The pool by the names the code gives it; the transaction's own name (trx) never matches. */
const POOL_QUERY = /(\b(?:deps|this|ctx)\.db\b|\bdb\.(?:selectFrom|updateTable|insertInto|deleteFrom|transaction)\b|[(,]\s*db\s*[,)])/g;
/** A call to PayPal: the gateway goes by `paypal` (deps.paypal, or a local of that name) wherever it is called. */
const PAYPAL_CALL = /\bpaypal\.\w+\(/g;
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

/** Where `pattern` matches inside a transaction's callback. */
function inTransactions(text: string, pattern: RegExp): { line: number; code: string }[] {
  const found: { line: number; code: string }[] = [];
  for (const transaction of text.matchAll(TRANSACTION)) {
    const start = transaction.index + transaction[0].length;
    const body = callbackBody(text, start);
    for (const query of body.matchAll(pattern)) {
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

const poolQueriesInTransactions = (text: string) => inTransactions(text, POOL_QUERY);
const paypalCallsInTransactions = (text: string) => inTransactions(text, PAYPAL_CALL);

/** Every source's matches, as file:line: code. */
function offenders(find: (text: string) => { line: number; code: string }[]): string[] {
  return SOURCES.flatMap((dir) => sourceFiles(path.join(ROOT, dir))).flatMap((file) =>
    find(fs.readFileSync(file, 'utf8')).map((q) => `${path.relative(ROOT, file)}:${q.line}: ${q.code}`),
  );
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
    expect(offenders(poolQueriesInTransactions)).toEqual([]);
  });

  it('finds a PayPal call inside a transaction (the check itself can fail)', () => {
    // The capture as it was: PayPal's capture call under the invoice's lock.
    const wrong = `const { applied } = await deps.db.transaction().execute(async (trx) => {
      const invoice = await trx.selectFrom('invoices').selectAll().forUpdate().executeTakeFirstOrThrow();
      const order = await deps.paypal.captureOrder(credentials, input.orderId, captureRequestId(invoice, input.orderId));
      return { applied: await applyPaypalCapture(trx, invoice.id, order.capture, report) };
    });`;
    expect(paypalCallsInTransactions(wrong)).toEqual([{ line: 3, code: 'paypal.captureOrder(credentials, input.orderId, captureReque' }]);
    const right = `const claimed = await deps.db.transaction().execute(async (trx) => claim(trx, input));
    const order = await deps.paypal.captureOrder(credentials, input.orderId, requestId);
    await deps.db.transaction().execute(async (trx) => applyPaypalCapture(trx, invoice.id, order.capture, report));`;
    expect(paypalCallsInTransactions(right)).toEqual([]);
  });

  it('no source calls PayPal while it holds a transaction', () => {
    expect(offenders(paypalCallsInTransactions)).toEqual([]);
  });
});
