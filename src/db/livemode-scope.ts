import { AsyncLocalStorage } from 'node:async_hooks';
import {
  AliasNode,
  type ColumnNode,
  type DeleteQueryNode,
  IdentifierNode,
  type InsertQueryNode,
  JoinNode,
  OperationNodeTransformer,
  PrimitiveValueListNode,
  QueryNode,
  type SelectQueryNode,
  TableNode,
  type UpdateQueryNode,
  ValueListNode,
  ValueNode,
  sql,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RawBuilder,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';

/**
 * Live and test data are two worlds. A request made with a test key runs inside
 * `inLivemode(false, …)`, a live key inside `inLivemode(true, …)`; every query built with
 * Kysely in that scope sees and changes only rows of its own mode, whatever the handler
 * forgot to filter. Outside a scope (workers, CLI, provider webhooks) nothing is added:
 * those act for a row whose mode they already know.
 *
 * How each table knows its mode:
 * - `column`: its own `livemode` boolean;
 * - `keyMode`: API keys, by their `mode` text; a test scope sees and makes test keys only,
 *   while a live key (the seller's own) also manages the store's test keys;
 * - `parent`: through the row it belongs to (a license key through its invoice);
 * - `catalogWrites`: the catalogue is readable in both modes, but a test scope may only
 *   update or delete rows created in test mode (drafts); live rows never change.
 * Raw `sql` statements are not rewritten: request paths use the query builder.
 */
type ModeRule =
  | { kind: 'column' }
  | { kind: 'keyMode' }
  | { kind: 'parent'; column: string; parent: string; nullMeansLive?: boolean }
  | { kind: 'catalogWrites' }
  | { kind: 'catalogParentWrites'; column: string; parent: string };

const MODE_RULES: Record<string, ModeRule> = {
  invoices: { kind: 'column' },
  subscriptions: { kind: 'column' },
  webhook_endpoints: { kind: 'column' },
  notification_channels: { kind: 'column' },
  affiliate_payouts: { kind: 'column' },
  affiliate_referrals: { kind: 'column' },
  community_grants: { kind: 'column' },
  events: { kind: 'column' },
  customers: { kind: 'column' },
  customer_sessions: { kind: 'column' },
  refunds: { kind: 'column' },
  disputes: { kind: 'column' },
  api_keys: { kind: 'keyMode' },
  invoice_lines: { kind: 'parent', column: 'invoice_id', parent: 'invoices' },
  delivery_steps: { kind: 'parent', column: 'invoice_id', parent: 'invoices' },
  license_keys: { kind: 'parent', column: 'invoice_id', parent: 'invoices' },
  license_key_instances: { kind: 'parent', column: 'license_key_id', parent: 'license_keys' },
  feedback: { kind: 'parent', column: 'invoice_id', parent: 'invoices' },
  // A ticket opened without an order is the live store's.
  tickets: { kind: 'parent', column: 'invoice_id', parent: 'invoices', nullMeansLive: true },
  ticket_messages: { kind: 'parent', column: 'ticket_id', parent: 'tickets' },
  coupon_redemptions: { kind: 'parent', column: 'invoice_id', parent: 'invoices' },
  crypto_payments: { kind: 'parent', column: 'invoice_id', parent: 'invoices' },
  crypto_payment_txs: { kind: 'parent', column: 'invoice_id', parent: 'invoices' },
  invoice_community_links: { kind: 'parent', column: 'invoice_id', parent: 'invoices' },
  subscription_payments: { kind: 'parent', column: 'subscription_id', parent: 'subscriptions' },
  webhook_deliveries: { kind: 'parent', column: 'endpoint_id', parent: 'webhook_endpoints' },
  notification_deliveries: { kind: 'parent', column: 'channel_id', parent: 'notification_channels' },
  products: { kind: 'catalogWrites' },
  product_variants: { kind: 'catalogParentWrites', column: 'product_id', parent: 'products' },
};

/** The tables whose rows belong to one mode (for tests that walk every table). */
export const MODE_SCOPED_TABLES = Object.keys(MODE_RULES);

export class LivemodeViolationError extends Error {}

const scope = new AsyncLocalStorage<{ livemode: boolean }>();

/** Runs `work` with every query confined to one mode's rows. */
export function inLivemode<T>(livemode: boolean, work: () => T): T {
  return scope.run({ livemode }, work);
}

/** The mode of the scope this code runs in, if any. */
export function currentLivemode(): boolean | undefined {
  return scope.getStore()?.livemode;
}

type Ref = (column: string) => RawBuilder<unknown>;

/** `row belongs to this mode`, for a row of `table` reached through `ref`. */
function belongsToMode(table: string, ref: Ref, livemode: boolean): RawBuilder<unknown> | null {
  const rule = MODE_RULES[table];
  switch (rule?.kind) {
    case 'column':
      return sql`${ref('livemode')} = ${livemode}`;
    case 'keyMode':
      return livemode ? null : sql`${ref('mode')} = 'test'`;
    case 'parent': {
      const inParent = sql`${ref(rule.column)} in (select ${sql.ref(`${rule.parent}.id`)} from ${sql.table(rule.parent)} where ${belongsToMode(rule.parent, (c) => sql.ref(`${rule.parent}.${c}`), livemode)})`;
      return rule.nullMeansLive ? sql`(${inParent} or (${ref(rule.column)} is null and ${livemode}))` : inParent;
    }
    default:
      return null;
  }
}

/** For updates and deletes: the catalogue's live rows are out of a test scope's reach. */
function writableInMode(table: string, ref: Ref, livemode: boolean): RawBuilder<unknown> | null {
  const rule = MODE_RULES[table];
  if (livemode) return rule?.kind === 'catalogWrites' || rule?.kind === 'catalogParentWrites' ? null : belongsToMode(table, ref, livemode);
  if (rule?.kind === 'catalogWrites') return sql`${ref('livemode')} = false`;
  if (rule?.kind === 'catalogParentWrites') {
    return sql`${ref(rule.column)} in (select ${sql.ref(`${rule.parent}.id`)} from ${sql.table(rule.parent)} where ${sql.ref(`${rule.parent}.livemode`)} = false)`;
  }
  return belongsToMode(table, ref, livemode);
}

/** The table a FROM/JOIN item names and the name its columns are reached by. */
function tableOf(node: OperationNode): { table: string; refName: string } | null {
  if (TableNode.is(node)) {
    const name = node.table.identifier.name;
    return { table: name, refName: name };
  }
  if (AliasNode.is(node) && TableNode.is(node.node) && IdentifierNode.is(node.alias)) {
    return { table: node.node.table.identifier.name, refName: node.alias.name };
  }
  return null;
}

function refTo(refName: string): Ref {
  return (column) => sql.ref(`${refName}.${column}`);
}

class LivemodeTransformer extends OperationNodeTransformer {
  constructor(private readonly livemode: boolean) {
    super();
  }

  private confine<T extends SelectQueryNode | UpdateQueryNode | DeleteQueryNode>(
    node: T,
    items: readonly OperationNode[],
    predicate: typeof belongsToMode,
  ): T {
    let confined = node;
    for (const item of items) {
      const target = tableOf(item);
      const condition = target && predicate(target.table, refTo(target.refName), this.livemode);
      if (condition) confined = QueryNode.cloneWithWhere(confined, condition.toOperationNode());
    }
    return confined;
  }

  private confineJoins(joins: readonly JoinNode[] | undefined, predicate: typeof belongsToMode): JoinNode[] | undefined {
    return joins?.map((join) => {
      const target = tableOf(join.table);
      const condition = target && predicate(target.table, refTo(target.refName), this.livemode);
      // A condition in ON keeps a LEFT JOIN's unmatched rows, as the query meant.
      return condition ? JoinNode.cloneWithOn(join, condition.toOperationNode()) : join;
    });
  }

  protected override transformSelectQuery(node: SelectQueryNode): SelectQueryNode {
    const inner = super.transformSelectQuery(node);
    const confined = this.confine(inner, inner.from?.froms ?? [], belongsToMode);
    return { ...confined, joins: this.confineJoins(confined.joins, belongsToMode) };
  }

  protected override transformUpdateQuery(node: UpdateQueryNode): UpdateQueryNode {
    const inner = super.transformUpdateQuery(node);
    const targets = [inner.table, ...(inner.from?.froms ?? [])].filter((t): t is OperationNode => t !== undefined);
    const confined = this.confine(inner, targets, writableInMode);
    return { ...confined, joins: this.confineJoins(confined.joins, writableInMode) };
  }

  protected override transformDeleteQuery(node: DeleteQueryNode): DeleteQueryNode {
    const inner = super.transformDeleteQuery(node);
    const confined = this.confine(inner, [...inner.from.froms, ...(inner.using?.tables ?? [])], writableInMode);
    return { ...confined, joins: this.confineJoins(confined.joins, writableInMode) };
  }

  protected override transformInsertQuery(node: InsertQueryNode): InsertQueryNode {
    const inner = super.transformInsertQuery(node);
    const target = inner.into ? tableOf(inner.into) : null;
    const rule = target ? MODE_RULES[target.table] : undefined;
    if (!target || !inner.columns || !inner.values) return inner;
    const column =
      rule?.kind === 'column' || rule?.kind === 'catalogWrites' ? 'livemode' : rule?.kind === 'keyMode' && !this.livemode ? 'mode' : null;
    const index = column ? inner.columns.findIndex((c: ColumnNode) => c.column.name === column) : -1;
    if (index < 0 || !('values' in inner.values)) return inner;
    const expected = column === 'mode' ? 'test' : this.livemode;
    for (const row of inner.values.values as readonly OperationNode[]) {
      const value = PrimitiveValueListNode.is(row)
        ? row.values[index]
        : ValueListNode.is(row) && ValueNode.is(row.values[index]!)
          ? (row.values[index] as ValueNode).value
          : expected;
      if (value !== expected) {
        throw new LivemodeViolationError(
          `A ${this.livemode ? 'live' : 'test'}-mode request cannot write ${target.table} of the other mode`,
        );
      }
    }
    return inner;
  }
}

/** Installed on every database handle; inert outside `inLivemode`. */
export class LivemodeScopePlugin implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const livemode = currentLivemode();
    if (livemode === undefined) return args.node;
    return new LivemodeTransformer(livemode).transformNode(args.node);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
