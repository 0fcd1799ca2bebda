import fc from 'fast-check';

/**
 * Requests for the API fuzz suite, generated from the served OpenAPI document: values that
 * follow each operation's schemas, and the same values mutated into what a careless or
 * hostile client sends.
 */

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
};

interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The OpenAPI path, e.g. /api/v2/products/{product}. */
  path: string;
  pathParams: Array<{ name: string; schema: JsonSchema }>;
  queryParams: Array<{ name: string; required: boolean; schema: JsonSchema }>;
  body: JsonSchema | null;
  /** Names and enum values from this operation's own schemas, for free-form strings. */
  words: string[];
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const parameters = op.parameters ?? [];
      operations.push({
        method: method as Operation['method'],
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        queryParams: parameters
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, required: p.required ?? false, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
        words: wordsOf(doc, op),
      });
    }
  }
  return operations;
}

/** Strings that broke, or could break, something between the edge and the database. */
export const hostileStrings = [
  '\u0000',
  'a\u0000b',
  'x\u0000',
  'buyer\u0000@example.com',
  '%00',
  '\ud800',
  'x\udfffy',
  "'",
  '"',
  '\\',
  '%_\\',
  "' OR 1=1 --",
  '../../etc/passwd',
  '',
  ' ',
  '😀',
  'é',
  '\u202e',
  'NaN',
  '-1',
  '1e309',
  '2147483648',
  '0x10',
  '[]',
  'null',
  'true',
  '2026-02-30T25:61:00Z',
  'a'.repeat(5000),
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...hostileStrings) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      ...[null, true, false, 0, -1, 1.5, 2 ** 31, 2 ** 53, -(2 ** 31) - 1, 1e308, -1e308],
      ...[[], {}, [null], { '\u0000': 1 }, ['\u0000']],
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

function resolve(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; current.$ref && hops < 10; hops += 1) {
    const name = current.$ref.split('/').pop()!;
    current = doc.components?.schemas?.[name] ?? {};
  }
  return current;
}

const SQL_WORDS = ['=', '!=', '<>', '<', '<=', '>', '>=', 'like', 'not like', 'ilike', 'in', 'not in', 'asc', 'desc'];

/**
 * The words an operation's own schemas use (property and parameter names, enum values), its
 * request's and its responses', with $refs followed: free-form strings such as a search
 * filter's field reach deeper with them than random text does.
 */
function wordsOf(doc: OpenApiDocument, op: unknown): string[] {
  const words = new Set<string>();
  const seen = new Set<string>();
  const visit = (node: unknown, key?: string) => {
    if (Array.isArray(node)) {
      for (const item of node) {
        if (key === 'enum' && typeof item === 'string') words.add(item);
        visit(item);
      }
    } else if (node && typeof node === 'object') {
      for (const [name, value] of Object.entries(node)) {
        if (key === 'properties') words.add(name);
        if (name === 'name' && typeof value === 'string') words.add(value);
        if (name === '$ref' && typeof value === 'string' && !seen.has(value)) {
          seen.add(value);
          visit(doc.components?.schemas?.[value.split('/').pop()!]);
        }
        visit(value, name);
      }
    }
  };
  visit(op);
  return [...words].filter((word) => word.length <= 64);
}

const DATES = fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true });

function stringArb(schema: JsonSchema, words: string[]): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 24, 24));
  switch (schema.format) {
    case 'date-time':
      return DATES.map((d) => d.toISOString());
    case 'date':
      return DATES.map((d) => d.toISOString().slice(0, 10));
    case 'email':
      return fc.oneof(fc.constantFrom('buyer@example.com', 'a@b.co'), fc.emailAddress());
    case 'uri':
    case 'url':
      return fc.constantFrom('https://example.com/hook', 'http://127.0.0.1:9/hook', 'https://hooks.example.org/a?b=c');
    case 'uuid':
      return fc.uuid();
  }
  if (schema.pattern) {
    try {
      const pattern = new RegExp(schema.pattern);
      const fits = (s: string) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity);
      return fc.stringMatching(pattern, { size: 'xsmall' }).filter(fits);
    } catch {
      // A pattern JavaScript cannot read: plain strings then.
    }
  }
  // The longest string the schema takes (within reason): storage narrower than the schema shows.
  const longest = schema.maxLength !== undefined && schema.maxLength > maxLength ? ['x'.repeat(Math.min(schema.maxLength, 10_000))] : [];
  const fitting = (list: string[]) => list.filter((word) => word.length >= minLength && word.length <= (schema.maxLength ?? Infinity));
  const own = fitting(words);
  const sql = fitting(SQL_WORDS);
  return fc.oneof(
    { weight: 2, arbitrary: fc.string({ minLength, maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength, maxLength }) },
    { weight: own.length > 0 ? 3 : 0, arbitrary: own.length > 0 ? fc.constantFrom(...own) : fc.constant('') },
    { weight: sql.length > 0 ? 1 : 0, arbitrary: sql.length > 0 ? fc.constantFrom(...sql) : fc.constant('') },
    { weight: longest.length > 0 ? 1 : 0, arbitrary: fc.constantFrom('', ...longest) },
  );
}

/**
 * Numbers in a schema's range, mostly small ones, and its edges: where it sets no bound, the
 * edges are those of the database's integer and of JavaScript's safe integers, which the
 * schema allows and the storage behind it may not.
 */
function numberArb(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const lowest = schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : 1e-9) : schema.minimum;
  const highest = schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - (integer ? 1 : 1e-9) : schema.maximum;
  const min = Math.max(lowest ?? -1000, -(2 ** 31));
  const max = Math.min(highest ?? Math.max(min + 1000, 100_000), 2 ** 31 - 1);
  const edges = [
    ...(lowest === undefined ? [-(2 ** 31), -(2 ** 31) - 1, Number.MIN_SAFE_INTEGER] : [lowest]),
    ...(highest === undefined ? [2 ** 31 - 1, 2 ** 31, Number.MAX_SAFE_INTEGER] : [highest]),
    // Fractions finer than cents, just inside the range: what rounds to a bound (or past it) when stored.
    ...(integer ? [] : [min + 0.001, min + 0.004, max - 0.001].filter((edge) => edge > min && edge < max)),
  ].filter((edge) => !integer || Number.isInteger(edge));
  const usual =
    integer || min > max
      ? fc.integer({ min: Math.ceil(Math.min(min, max)), max: Math.floor(Math.max(min, max)) })
      : fc.oneof(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), fc.double({ min, max, noNaN: true, noDefaultInfinity: true }));
  return edges.length > 0 ? fc.oneof({ weight: 4, arbitrary: usual }, { weight: 1, arbitrary: fc.constantFrom(...edges) }) : usual;
}

/** Values that follow a schema (as far as JSON Schema says; business rules are the API's to enforce). */
export function valueFor(doc: OpenApiDocument, raw: JsonSchema, words: string[] = [], depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(doc, raw);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices && choices.length > 0) return fc.oneof(...choices.map((choice) => valueFor(doc, choice, words, depth + 1)));
  if (schema.allOf && schema.allOf.length > 0) {
    const parts = fc.tuple(...schema.allOf.map((part) => valueFor(doc, part, words, depth + 1)));
    return parts.map((values) => Object.assign({}, ...values.filter((v) => typeof v === 'object')));
  }
  if (Array.isArray(schema.type)) {
    return fc.oneof(...schema.type.map((type) => valueFor(doc, { ...schema, type }, words, depth + 1)));
  }
  if (depth > 6) return fc.constant(null);
  switch (schema.type) {
    case 'string':
      return stringArb(schema, words);
    case 'integer':
      return numberArb(schema, true);
    case 'number':
      return numberArb(schema, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 3, 3));
      return fc.array(valueFor(doc, schema.items ?? {}, words, depth + 1), { minLength, maxLength });
    }
    case 'object':
    case undefined: {
      if (!schema.properties && schema.type === undefined) return fc.jsonValue({ maxDepth: 2 });
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, property] of Object.entries(schema.properties ?? {})) model[name] = valueFor(doc, property, words, depth + 1);
      const record = fc.record(model, { requiredKeys: (schema.required ?? []).filter((name) => name in model) });
      const extra = schema.additionalProperties;
      if (extra && typeof extra === 'object') {
        const key = fc.string({ minLength: 1, maxLength: 12 });
        const dictionary = fc.dictionary(key, valueFor(doc, extra, words, depth + 1), { maxKeys: 3 });
        return fc.tuple(record, dictionary).map(([known, more]) => ({ ...more, ...known }));
      }
      return record;
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every place in a JSON value a mutation can land, as key paths. */
type Place = Array<string | number>;

function placesIn(value: unknown, path: Place = [], out: Place[] = []): Place[] {
  out.push(path);
  if (Array.isArray(value)) value.forEach((item, i) => placesIn(item, [...path, i], out));
  else if (value !== null && typeof value === 'object') Object.entries(value).forEach(([key, item]) => placesIn(item, [...path, key], out));
  return out;
}

function valueAt(root: unknown, path: Place): unknown {
  return path.reduce<unknown>((node, step) => (node as Record<string | number, unknown>)[step], root);
}

export type Mutation = 'replace' | 'delete' | 'add' | 'poison';

/** Sets an own property, even one named __proto__. */
function put(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * One change to a valid value: a place replaced by something hostile, removed, a key added, or
 * a string poisoned with what Postgres cannot store (`poison` is appended to it).
 */
export function mutate(value: unknown, pick: number, mutation: Mutation, replacement: unknown, extraKey: string, poison: string): unknown {
  const copy = JSON.parse(JSON.stringify(value ?? null)) as Json;
  const all = placesIn(copy);
  const strings = all.filter((path) => typeof valueAt(copy, path) === 'string');
  const places = mutation === 'poison' && strings.length > 0 ? strings : all;
  const path = places[pick % places.length]!;
  const at = (node: unknown) => (mutation === 'poison' && typeof node === 'string' ? `${node}${poison}` : replacement);
  if (path.length === 0) {
    if (mutation !== 'add' || !copy || typeof copy !== 'object' || Array.isArray(copy)) return at(copy);
    put(copy, extraKey, replacement);
    return copy;
  }
  let parent = copy as Record<string | number, Json>;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  const target = parent[last];
  if (mutation === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (mutation === 'add' && target && typeof target === 'object' && !Array.isArray(target)) {
    put(target, extraKey, replacement);
  } else {
    parent[last] = at(target) as Json;
  }
  return copy;
}

export function mutatedValue(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      valid,
      fc.nat(),
      fc.constantFrom<Mutation>('replace', 'replace', 'delete', 'add', 'poison', 'poison'),
      hostileValue,
      fc.constantFrom('extra', '\u0000', 'é', '__proto__', 'constructor'),
      fc.constantFrom('\u0000', 'a\u0000', '\ud800', '\udfff'),
    )
    .map(([value, pick, mutation, replacement, extraKey, poison]) => mutate(value, pick, mutation, replacement, extraKey, poison));
}

/** encodeURIComponent that also takes lone surrogates, as the bytes a client might send for them (CESU-8). */
export function encodeComponent(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    const paired = code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    if (paired) {
      out += encodeURIComponent(text.slice(i, i + 2));
      i += 1;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      const bytes = [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
      out += bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(text[i]!);
    }
  }
  return out;
}

/** One query parameter as a client may shape it: once, repeated, bracketed, or as an array. */
export type QueryShape = 'plain' | 'repeated' | 'bracketed' | 'array';

export function queryPart(name: string, value: unknown, shape: QueryShape): string {
  const text = (v: unknown) => encodeComponent(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
  const key = encodeComponent(name);
  if (Array.isArray(value)) return value.map((item) => `${key}[]=${text(item)}`).join('&') || `${key}[]=`;
  switch (shape) {
    case 'repeated':
      return `${key}=${text(value)}&${key}=${text(value)}x`;
    case 'bracketed':
      return `${key}[a]=${text(value)}`;
    case 'array':
      return `${key}[]=${text(value)}`;
    default:
      return `${key}=${text(value)}`;
  }
}
