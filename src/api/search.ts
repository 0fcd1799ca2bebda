import { type Expression, type SqlBool, sql } from 'kysely';
import { z } from 'zod';
import { invalidRequest } from './errors';

/** SellApp's generic search body (every POST …/search except invoices); one level of `nested`. */
const filterLeaf = z.object({
  field: z.string().min(1),
  operator: z.string().default('='),
  value: z.unknown().optional(),
  type: z.enum(['and', 'or']).default('and'),
});
const filterSchema = filterLeaf.extend({ nested: z.array(filterLeaf).optional() }).openapi('SearchFilter');

export interface SearchFilter {
  field: string;
  operator: string;
  value?: unknown;
  type: 'and' | 'or';
  nested?: SearchFilter[];
}

export const searchBody = z
  .object({
    filters: z.array(filterSchema).optional(),
    sort: z.array(z.object({ field: z.string().min(1), direction: z.enum(['asc', 'desc']).default('asc') })).optional(),
    search: z.object({ value: z.string().nullable().optional(), case_sensitive: z.boolean().optional() }).optional(),
    includes: z.array(z.object({ relation: z.string() })).optional(),
  })
  .openapi('SearchRequest');

export type SearchBody = z.infer<typeof searchBody>;

const OPERATORS: Record<string, string> = {
  '=': '=',
  '!=': '<>',
  '<>': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  like: 'like',
  'not like': 'not like',
  ilike: 'ilike',
  in: 'in',
  'not in': 'not in',
  // The spellings of the newer searches (orders, line items); `contains` is a case-insensitive substring.
  eq: '=',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  contains: 'contains',
};

const LIKE_OPERATORS = new Set(['like', 'not like', 'ilike']);
const MAX_IN_VALUES = 1000;
/** The text form of a number as Postgres writes integers, numerics and floats. */
const NUMERIC_TEXT = '^-?[0-9]+(\\.[0-9]+)?(e[-+]?[0-9]+)?$';

/**
 * Turns filters, free-text search and sort into SQL over a whitelist of fields: a field or
 * operator not on the list is a 422 naming it, never an injected identifier.
 */
export class SearchTranslator {
  constructor(
    private readonly fields: Record<string, string>,
    private readonly searchable: string[],
  ) {}

  private column(field: string, param: string): string {
    // Own keys only: "__proto__" or "constructor" must not find Object.prototype's members.
    const column = Object.hasOwn(this.fields, field) ? this.fields[field] : undefined;
    if (!column)
      throw invalidRequest('invalid_field', `Cannot filter or sort on "${field}"; allowed: ${Object.keys(this.fields).join(', ')}`, param);
    return column;
  }

  private condition(filter: SearchFilter, param: string): ReturnType<typeof sql<SqlBool>> {
    const operator = filter.operator.toLowerCase();
    const op = Object.hasOwn(OPERATORS, operator) ? OPERATORS[operator] : undefined;
    if (!op) throw invalidRequest('invalid_field', `Unknown operator "${filter.operator}"`, `${param}.operator`);
    const column = sql.ref(this.column(filter.field, `${param}.field`));
    let own: ReturnType<typeof sql<SqlBool>>;
    if (op === 'in' || op === 'not in') {
      const values = Array.isArray(filter.value) ? filter.value : [filter.value];
      if (values.length === 0) throw invalidRequest('invalid_field', `"${filter.operator}" needs a non-empty list`, `${param}.value`);
      if (values.length > MAX_IN_VALUES) {
        throw invalidRequest('invalid_field', `"${filter.operator}" takes at most ${MAX_IN_VALUES} values`, `${param}.value`);
      }
      own = sql<SqlBool>`${column}::text ${sql.raw(op)} (${sql.join(values.map((v) => String(v)))})`;
    } else if (filter.value === null && (op === '=' || op === '<>')) {
      own = sql<SqlBool>`${column} ${sql.raw(op === '=' ? 'is null' : 'is not null')}`;
    } else if (op === 'contains') {
      const pattern = `%${String(filter.value).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      own = sql<SqlBool>`${column}::text ilike ${pattern}`;
    } else if (LIKE_OPERATORS.has(op)) {
      const pattern = String(filter.value);
      // Postgres refuses a pattern whose last backslash escapes nothing.
      if (/(^|[^\\])(\\\\)*\\$/.test(pattern)) {
        throw invalidRequest('invalid_field', 'A like pattern cannot end with an unescaped backslash', `${param}.value`);
      }
      own = sql<SqlBool>`${column}::text ${sql.raw(op)} ${pattern}`;
    } else if (typeof filter.value === 'number') {
      // Numbers compare numerically with the values that are numbers (whatever the column's
      // type) and match nothing else: a boolean, a timestamp, 1.5 or 1e308 against an integer
      // column are no cast errors.
      const numeric = sql`(case when ${column}::text ~ ${NUMERIC_TEXT} then (${column}::text)::numeric end)`;
      own = sql<SqlBool>`${numeric} ${sql.raw(op)} ${String(filter.value)}::numeric`;
    } else {
      own = sql<SqlBool>`${column}::text ${sql.raw(op)} ${String(filter.value)}`;
    }
    if (!filter.nested?.length) return own;
    return this.combine([{ ...filter, nested: undefined }, ...filter.nested], param, own);
  }

  private combine(filters: SearchFilter[], param: string, first?: ReturnType<typeof sql<SqlBool>>): ReturnType<typeof sql<SqlBool>> {
    let result = first ?? this.condition(filters[0]!, `${param}.0`);
    filters.slice(1).forEach((filter, i) => {
      const next = this.condition(filter, `${param}.${i + 1}`);
      result = filter.type === 'or' ? sql<SqlBool>`(${result} or ${next})` : sql<SqlBool>`(${result} and ${next})`;
    });
    return result;
  }

  /** The WHERE condition of a search body, or null when it filters nothing. */
  where(body: SearchBody): Expression<SqlBool> | null {
    const parts: ReturnType<typeof sql<SqlBool>>[] = [];
    if (body.filters?.length) parts.push(this.combine(body.filters, 'filters'));
    const text = body.search?.value?.trim();
    if (text) {
      const like = body.search?.case_sensitive ? 'like' : 'ilike';
      const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      parts.push(
        sql<SqlBool>`(${sql.join(
          this.searchable.map((c) => sql`${sql.ref(c)}::text ${sql.raw(like)} ${pattern}`),
          sql` or `,
        )})`,
      );
    }
    if (parts.length === 0) return null;
    return sql<SqlBool>`${sql.join(parts, sql` and `)}`;
  }

  orderBy(body: SearchBody): { column: string; direction: 'asc' | 'desc' }[] {
    return (body.sort ?? []).map((s, i) => ({ column: this.column(s.field, `sort.${i}.field`), direction: s.direction }));
  }
}
